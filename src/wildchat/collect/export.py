"""``wildchat logs export``: stream the store's calls into one Parquet or JSONL file in CALL_SCHEMA.

The corpus builder reads these files; the format is documented (and versioned) in
``docs/export-schema.md``. Memory stays bounded: calls come from ``iter_calls`` in batches and go
out batch by batch (one Parquet row group, or that many JSON lines, each). The file is written
under a temporary name beside the target, fsync'd and renamed at the end, so an error or a kill
never leaves a half-written export where a finished one is expected.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

import orjson
import pyarrow.parquet as pq

from wildchat.collect.store import LogStore, open_store
from wildchat.records import CALL_SCHEMA, EXPORT_SCHEMA_VERSION, ChatCall, Tombstone, calls_to_table

VERSION_KEY: Final = "wildchat.export_schema_version"
STORE_KEY: Final = "wildchat.store"
EXPORTED_AT_KEY: Final = "wildchat.exported_at"
SINCE_KEY: Final = "wildchat.since"
UNTIL_KEY: Final = "wildchat.until"

FORMATS: Final = {".parquet": "parquet", ".jsonl": "jsonl"}
DEFAULT_BATCH: Final = 4096


class ExportError(Exception):
    """The export cannot be made (bad target name, unreadable store); nothing was written."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    format: str
    calls: int


def export_format(out: Path) -> str:
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ExportError(f"{out}: the export file must end in .parquet or .jsonl")
    return fmt


def export_calls(
    store: LogStore,
    out: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: bool = False,
) -> ExportResult:
    """Write the calls received in [since, until) to ``out`` (.parquet or .jsonl), atomically."""
    fmt = export_format(out)
    if not out.parent.is_dir():
        raise ExportError(f"{out}: the folder {out.parent} does not exist")
    batches = store.iter_calls(since=since, until=until, batch_size=batch_size)
    total = store.count_calls() if since is None and until is None else None
    written = 0
    with _atomic_file(out) as fh, _progress(progress, total, out) as advance:
        if fmt == "parquet":
            metadata = _metadata(store.url, since, until)
            with pq.ParquetWriter(fh, CALL_SCHEMA.with_metadata(metadata), compression="zstd") as writer:
                for batch in batches:
                    writer.write_table(calls_to_table(batch))
                    written += len(batch)
                    advance(len(batch))
        else:
            for batch in batches:
                fh.write(b"".join(jsonl_line(call) for call in batch))
                written += len(batch)
                advance(len(batch))
    return ExportResult(out, fmt, written)


def jsonl_line(call: ChatCall) -> bytes:
    """One JSONL record: ``schema_version``, then CALL_SCHEMA's fields in order.

    Unlike Parquet, ``params`` and ``headers`` are JSON objects; timestamps are RFC 3339 in UTC.
    """
    row: dict[str, Any] = {"schema_version": EXPORT_SCHEMA_VERSION}
    row.update(call.to_row())
    row["params"] = call.params
    row["headers"] = call.headers
    return orjson.dumps(row, option=orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE)


def read_export(path: Path, batch_size: int = DEFAULT_BATCH) -> Iterator[list[ChatCall]]:
    """Read an export back as ``ChatCall`` batches (tests, tools; the corpus builder has its own checks)."""
    if export_format(path) == "parquet":
        for record_batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
            yield [ChatCall.from_row(row) for row in record_batch.to_pylist()]
        return
    batch: list[ChatCall] = []
    with open(path, "rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = orjson.loads(line)
            row.pop("schema_version", None)
            for key in ("received_at", "completed_at"):
                row[key] = datetime.fromisoformat(row[key])
            batch.append(ChatCall.from_row(row))
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch


def read_tombstones(store_url: str) -> list[Tombstone]:
    """Every tombstone of the store at ``store_url``, oldest first: what the corpus builder must drop."""
    store = open_store(store_url, create=False)
    try:
        store.migrate()
        return store.tombstones()
    finally:
        store.close()


def _metadata(store_url: str, since: datetime | None, until: datetime | None) -> dict[str, str]:
    metadata = {
        VERSION_KEY: str(EXPORT_SCHEMA_VERSION),
        STORE_KEY: store_url,  # LogStore.url is already free of passwords
        EXPORTED_AT_KEY: datetime.now(UTC).isoformat(),
    }
    if since is not None:
        metadata[SINCE_KEY] = since.isoformat()
    if until is not None:
        metadata[UNTIL_KEY] = until.isoformat()
    return metadata


@contextlib.contextmanager
def _atomic_file(out: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside ``out``; renamed onto ``out`` only when the block completes."""
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    dir_fd = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def _progress(enabled: bool, total: int | None, out: Path) -> Iterator[Any]:
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [
        TextColumn("exporting to {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(out.name, total=total)
        yield lambda n: bar.advance(task, n)
