"""The ``wildchat`` command line: it parses arguments and calls into the stages, nothing more.

Imports of the stages are local to each command so that ``wildchat --help`` stays fast and a
command only loads what it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from datetime import datetime

    from wildchat.collect.store import LogStore

app = typer.Typer(
    help="Collect consented chatbot conversations, curate them into a WildChat-schema corpus, analyze it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
logs_app = typer.Typer(help="Work with the collected call logs.", no_args_is_help=True)
app.add_typer(logs_app, name="logs")


# ------------------------------------------------------------------------------------------ collect
# (owned by the collect stage: `serve`, `logs export`, `logs forget`)


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on (default: 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default: 8000)."),
    data_dir: Path = typer.Option(None, help="Data directory (store, salt) (default: ./wildchat-data)."),
    db: str = typer.Option(None, help="sqlite:///PATH or postgresql://… (default: <data-dir>/logs.sqlite3)."),
    upstream_url: str = typer.Option(None, help="OpenAI-compatible …/v1 URL (default: embedded SmolLM2)."),
    upstream_key: str = typer.Option(None, help="API key for the upstream (better: WILDCHAT_UPSTREAM_KEY)."),
    models: str = typer.Option(None, help="Allowed models, comma-separated (default: the upstream's list)."),
    trusted_proxies: str = typer.Option(None, help="CIDRs whose X-Forwarded-For counts, comma-separated."),
    headers: str = typer.Option(None, help="Headers to record (default: user-agent,accept-language)."),
    terms_file: Path = typer.Option(None, help="Consent terms text file (default: the packaged terms)."),
    terms_version: str = typer.Option(None, help="Terms version (default: the file's terms_version line)."),
    rate_limit_key: float = typer.Option(None, help="Calls/minute per consent key, 0: off (default: 60)."),
    rate_limit_ip: float = typer.Option(None, help="Calls/minute per hashed IP, 0: off (default: 300)."),
    rate_limit_consent: float = typer.Option(None, help="Consents/minute per hashed IP (default: 10)."),
    max_body_bytes: int = typer.Option(None, help="Largest request body accepted (default: 1000000)."),
    upstream_timeout_s: float = typer.Option(None, help="Longest upstream silence, seconds (default: 120)."),
    max_tokens_cap: int = typer.Option(None, help="Cap on max_tokens per call (default: none)."),
    salt_file: Path = typer.Option(None, help="IP-hash salt file (default: <data-dir>/salt, created once)."),
    geoip_mmdb: Path = typer.Option(None, help="GeoLite2-City .mmdb (default: bundled DB-IP City Lite)."),
    log_level: str = typer.Option(None, help="critical|error|warning|info|debug (default: info)."),
) -> None:
    """Run the consented chat gateway (OpenAI-compatible API, chat page, logging). Env: WILDCHAT_*."""
    given = dict(locals())  # the flags, None where not given (env and .env fill those)
    from wildchat.collect.server import serve as run_server
    from wildchat.collect.settings import SettingsError, load_settings

    try:
        settings = load_settings(**given)
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(run_server(settings))


_DATA_DIR_OPTION = typer.Option(
    Path("wildchat-data"),
    "--data-dir",
    envvar="WILDCHAT_DATA_DIR",
    help="Data directory holding logs.sqlite3.",
)
_DB_OPTION = typer.Option(
    None,
    "--db",
    envvar="WILDCHAT_DB",
    help="sqlite:///PATH or postgresql://… (default: <data-dir>/logs.sqlite3).",
)


def _open_logs(data_dir: Path, db: str | None) -> LogStore:
    """The existing store named by --db, or the data directory's SQLite file; exits 2 with a message."""
    from wildchat.collect.store import backend_errors, open_store, redact_url, sqlite_url

    url = db or sqlite_url(data_dir / "logs.sqlite3")
    try:
        store = open_store(url, create=False)
        store.migrate()
    except backend_errors() as exc:
        _fail(f"{redact_url(url)}: {exc}")
    return store


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _utc_option(value: str | None, flag: str) -> datetime | None:
    from datetime import datetime

    from wildchat.records import as_utc

    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        message = f"{value!r} is not an ISO-8601 date or time (naive means UTC)"
        raise typer.BadParameter(message, param_hint=flag) from None


@logs_app.command("export")
def logs_export(
    out: Path = typer.Option(..., "--out", help="Target file: .parquet or .jsonl (written atomically)."),
    data_dir: Path = _DATA_DIR_OPTION,
    db: str = _DB_OPTION,
    since: str = typer.Option(None, help="Only calls received at or after this ISO time (UTC if naive)."),
    until: str = typer.Option(None, help="Only calls received before this ISO time (UTC if naive)."),
    progress: bool = typer.Option(True, help="Show progress on stderr."),
) -> None:
    """Export logged calls in the documented export schema (docs/export-schema.md) for `wildchat build`."""
    from wildchat.collect.export import ExportError, export_calls
    from wildchat.collect.store import backend_errors

    since_at, until_at = _utc_option(since, "--since"), _utc_option(until, "--until")
    store = _open_logs(data_dir, db)
    try:
        result = export_calls(store, out, since=since_at, until=until_at, progress=progress)
    except ExportError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{out}: cannot write ({exc.strerror or exc}); nothing was written")
    except backend_errors() as exc:
        _fail(f"{store.url}: {exc}; nothing was written")
    finally:
        store.close()
    typer.echo(f"exported {result.calls} calls from {store.url} to {result.path} ({result.format})")


@logs_app.command("forget")
def logs_forget(
    hashed_ip: str = typer.Option(None, "--hashed-ip", help="The hashed_ip to forget (64 hex digits)."),
    ip: str = typer.Option(
        None, "--ip", help="Or the raw IP: hashed here with the gateway's salt, never stored."
    ),
    data_dir: Path = _DATA_DIR_OPTION,
    db: str = _DB_OPTION,
    salt_file: Path = typer.Option(
        None,
        envvar="WILDCHAT_SALT_FILE",
        help="The gateway's salt file, for --ip (default: <data-dir>/salt).",
    ),
) -> None:
    """Delete every call from one IP (a request by email) and leave a tombstone for the corpus builder."""
    import os
    import re
    from datetime import UTC, datetime

    from wildchat.collect.ip_hash import IpHasher, SaltError, existing_salt, verify_salt
    from wildchat.collect.store import backend_errors

    if (hashed_ip is None) == (ip is None):
        raise typer.BadParameter("give exactly one of --hashed-ip and --ip", param_hint="--hashed-ip/--ip")
    if hashed_ip is not None and re.fullmatch(r"[0-9a-f]{64}", hashed_ip) is None:
        raise typer.BadParameter("expected 64 lower-case hex digits (HMAC-SHA256)", param_hint="--hashed-ip")
    store = _open_logs(data_dir, db)
    try:
        if ip is not None:
            salt = existing_salt(data_dir, value=os.environ.get("WILDCHAT_SALT"), file=salt_file)
            verify_salt(store, salt, remember=False)
            hashed_ip = IpHasher(salt)(ip)
        assert hashed_ip is not None
        deleted = store.forget_hashed_ip(hashed_ip, datetime.now(UTC))
    except SaltError as exc:
        _fail(str(exc))
    except backend_errors() as exc:
        _fail(f"{store.url}: {exc}; nothing was deleted")
    finally:
        store.close()
    typer.echo(f"deleted {deleted} calls from hashed IP {hashed_ip} in {store.url}; tombstone written")


# ------------------------------------------------------------------------------------------- curate
# (owned by the curate stage: `build`)


@app.command()
def build(
    logs: str = typer.Option(
        ..., "--logs", help="Export file (.parquet/.jsonl), data directory, or store URL."
    ),
    out: Path = typer.Option(
        ..., "--out", help="Corpus folder to write (replaced only when the build succeeds)."
    ),
    engine: str = typer.Option(
        "local", help="local (process pool) or ray (Ray Data; RAY_ADDRESS joins a cluster)."
    ),
    workers: int = typer.Option(None, min=1, help="Worker processes or Ray actors (default: one per core)."),
    resume: bool = typer.Option(
        False, "--resume", help="Skip the buckets a failed build of the same input finished."
    ),
    dedup: str = typer.Option("flag", help="flag (list duplicates), drop (remove them) or off."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first malformed record."),
    store: str = typer.Option(None, help="Store URL to read tombstones from (default: the export's own)."),
    calls_per_bucket: int = typer.Option(10_000, min=1, help="Calls per bucket (memory per worker)."),
    progress: bool = typer.Option(True, help="Show progress on stderr."),
    steps_factory: str = typer.Option(
        "wildchat.curate.pipeline:default_steps", hidden=True, help="module:function giving the steps."
    ),
) -> None:
    """Build a WildChat-schema corpus from the call logs: link, label, redact, dedup, write."""
    import os
    import tempfile

    from wildchat.build_inputs import build_inputs
    from wildchat.curate.build import build_corpus
    from wildchat.curate.engines import WorkerError
    from wildchat.curate.pipeline import BuildOptions
    from wildchat.curate.reader import InputError

    if engine not in ("local", "ray") or dedup not in ("flag", "drop", "off"):
        typer.echo("error: --engine is local or ray; --dedup is flag, drop or off", err=True)
        raise typer.Exit(2)
    with tempfile.TemporaryDirectory(prefix="wildchat-build-") as tmp:
        try:
            export, tombstones, options = build_inputs(logs, store, Path(tmp), progress)
            result = build_corpus(
                export,
                out,
                options=BuildOptions(
                    dedup=dedup,  # type: ignore[arg-type]
                    strict=strict,
                    calls_per_bucket=calls_per_bucket,
                    withdrawn_consents=options[0],
                    forgotten_ips=options[1],
                    steps_factory=steps_factory,
                ),
                tombstones=tombstones,
                engine=engine,  # type: ignore[arg-type]
                workers=workers or os.cpu_count() or 1,
                resume=resume,
                progress=progress,
            )
        except InputError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except WorkerError as exc:
            typer.echo(f"error: {exc}; nothing was written, --resume continues", err=True)
            raise typer.Exit(1) from None
    read = result.manifest["counts"]["read"]
    for problem in read["malformed_examples"][:5]:
        typer.echo(f"skipped malformed record: {problem}", err=True)
    typer.echo(
        f"wrote {result.conversations:,} conversations in {result.shards} shard(s) to {result.out} "
        f"({read['malformed']:,} malformed record(s) skipped; tombstones "
        f"{'applied' if tombstones.applied else 'NOT applied: ' + tombstones.note})"
    )


@app.command("synth-logs")
def synth_logs(
    conversations: int = typer.Option(..., "--conversations", min=1, help="Conversations to simulate."),
    seed: int = typer.Option(0, help="Random seed: the same seed writes the same file."),
    out: Path = typer.Option(..., "--out", help="Parquet export file to write (CALL_SCHEMA)."),
) -> None:
    """Write realistic synthetic call logs (branches, many languages, planted PII, some toxicity)."""
    from wildchat.curate.synthetic import SyntheticConfig, write_synthetic_logs

    calls = write_synthetic_logs(SyntheticConfig(conversations=conversations, seed=seed), out)
    typer.echo(f"wrote {calls:,} calls for {conversations:,} conversations to {out}")


# ------------------------------------------------------------------------------------------ analyze
# (owned by the analyze stage: `import`, `report`)


@app.command("import")
def import_corpus(
    inputs: list[Path] = typer.Argument(
        ..., help="Input files or folders: JSON arrays, JSON Lines, CSV or Parquet (folders: all such files)."
    ),
    format_name: str = typer.Option(
        ...,
        "--format",
        "-f",
        help="Source format: wildchat, wildchat-metadata, lmsys, sharegpt, oasst, alpaca, dolly.",
    ),
    out: Path = typer.Option(
        ..., "--out", help="Corpus folder to write; replaced only if the import succeeds."
    ),
    oasst_paths: str = typer.Option(
        "all", help="OpenAssistant trees: 'all' (one conversation per branch) or 'best' (best-ranked path)."
    ),
    shard_rows: int = typer.Option(50_000, min=1, help="Conversations per Parquet shard."),
    skip_malformed: bool = typer.Option(
        False, help="Skip and count records with a missing or mistyped field instead of stopping."
    ),
    progress: bool = typer.Option(True, help="Show progress on stderr."),
) -> None:
    """Convert a public corpus into our corpus format (WildChat-1M's schema); see docs/importers.md."""
    from wildchat.analyze.importers import ImportFailed, ImportOptions, run_import

    try:
        result = run_import(
            format_name,
            inputs,
            out,
            ImportOptions(oasst_paths=oasst_paths, skip_malformed=skip_malformed),
            shard_rows,
            show_progress=progress,
        )
    except ImportFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"imported {result.conversations:,} conversations into {result.out_dir} ({result.shards} shards)"
    )


@app.command()
def report(
    corpora: list[Path] = typer.Argument(
        ..., help="Corpus folders (data/train-*.parquet), shown side by side."
    ),
    out: Path = typer.Option(..., "--out", help="Report folder: index.html, stats.json, table1.md."),
    names: list[str] = typer.Option(
        None, "--name", "--names", help="Display name per corpus, in order (repeat); default: folder names."
    ),
    sample: int = typer.Option(
        5_000, min=1, help="Conversations (random, fixed seed) whose turns are tokenized and embedded."
    ),
    diversity_prompts: int = typer.Option(200, min=0, help="First-turn prompts per corpus for diversity."),
    progress: bool = typer.Option(True, help="Show progress on stderr."),
) -> None:
    """Reproduce the WildChat paper's statistics (Table 1, figures, prompt diversity) as an HTML report."""
    from wildchat.analyze.report import ReportOptions, build_report
    from wildchat.analyze.scan import CorpusError, ScanOptions

    try:
        result = build_report(
            corpora,
            out,
            names=names or None,
            options=ReportOptions(
                scan=ScanOptions(text_sample_conversations=sample),
                diversity_prompts=diversity_prompts,
                show_progress=progress,
            ),
        )
    except (CorpusError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {result.out_dir / 'index.html'}, stats.json, table1.md in {result.seconds:.1f} s")


# --------------------------------------------------------------------------------------------- demo


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-out"), help="Folder for the demo's logs, corpus and report."),
    shared: Path = typer.Option(
        Path("../shared/data/public"), envvar="WILDCHAT_SHARED_DATA", help="The public samples folder."
    ),
    calls: int = typer.Option(240, min=1, help="About how many chat calls the simulated crowd makes."),
    concurrency: int = typer.Option(4, min=1, help="Visitors chatting at the same time."),
    max_tokens: int = typer.Option(32, min=1, help="Reply length cap, to keep the demo quick."),
    port: int = typer.Option(0, help="Service port (0: a free one)."),
    serve: bool = typer.Option(False, "--serve", help="Leave the service running at the end."),
    upstream_url: str | None = typer.Option(None, help="Use this upstream instead of the embedded model."),
    model: str | None = typer.Option(None, help="Model to ask for (default: the service's first)."),
    report: bool = typer.Option(True, help="Import the public samples and write the report."),
) -> None:
    """Collect, curate and report on real prompts, end to end, on embedded defaults."""
    from wildchat.demo.run import DemoOptions, run_demo

    options = DemoOptions(
        out=out,
        shared=shared,
        calls=calls,
        concurrency=concurrency,
        max_tokens=max_tokens,
        port=port,
        serve=serve,
        upstream_url=upstream_url,
        model=model,
        report=report,
    )
    raise typer.Exit(run_demo(options))


def _version_callback(value: bool) -> None:
    if value:
        from wildchat import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """wildchat: your own WildChat, end to end."""
