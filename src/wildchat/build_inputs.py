"""What `wildchat build` builds from: the one place where the collect and curate stages meet.

The corpus builder (``curate``) reads export files and knows nothing of stores; the gateway's side
(``collect``) knows how to export a store and read its tombstones. ``wildchat build --logs`` accepts an
export file, a data directory or a store URL, so this module turns any of them into an export file plus
the tombstones the builder must honour — also for an export made before a withdrawal, through the
store the export names in its metadata (or ``--store``).
"""

from __future__ import annotations

from pathlib import Path

from wildchat.collect.export import export_calls, read_tombstones
from wildchat.collect.store import open_store, redact_url, sqlite_url
from wildchat.curate.build import TombstoneSource
from wildchat.curate.reader import InputError, store_url_of


def build_inputs(
    logs: str, store: str | None, tmp: Path, progress: bool
) -> tuple[Path, TombstoneSource, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The export file to build from, where its tombstones came from, and the withdrawn consent ids and
    forgotten hashed IPs to honour.

    ``logs`` is an export file, a data directory or a store URL; a store is exported to ``tmp`` first.
    """
    path = Path(logs)
    found = []
    if "://" in logs or path.is_dir():
        url = logs if "://" in logs else sqlite_url(path / "logs.sqlite3")
        try:
            log_store = open_store(url, create=False)
            try:
                export = export_calls(log_store, tmp / "calls.parquet", progress=progress).path
                found = log_store.tombstones()
            finally:
                log_store.close()
        except Exception as exc:  # any store failure here is a problem with the --logs the user gave
            raise InputError(f"{redact_url(url)}: cannot export the calls ({exc})") from exc
        source = TombstoneSource(applied=True, source=redact_url(url))
    else:
        export = path
        store_url = store or store_url_of(path)
        if store_url is None:
            source = TombstoneSource(
                applied=False, note="the export names no store and --store was not given"
            )
        else:
            try:
                found = read_tombstones(store_url)
                source = TombstoneSource(applied=True, source=redact_url(store_url))
            except Exception as exc:  # an unreachable store must not stop the build; the card says so
                source = TombstoneSource(
                    applied=False,
                    source=redact_url(store_url),
                    note=f"store unreadable: {type(exc).__name__}",
                )
    consents = tuple(sorted({t.consent_id for t in found if t.consent_id}))
    ips = tuple(sorted({t.hashed_ip for t in found if t.hashed_ip}))
    source.consents, source.hashed_ips = len(consents), len(ips)
    return export, source, (consents, ips)
