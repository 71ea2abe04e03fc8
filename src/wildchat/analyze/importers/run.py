"""``wildchat import``: read public corpus files, convert them, write a corpus folder all-or-nothing.

Rows stream from the readers through the importer into Arrow record batches of a few thousand rows,
and a shard is written whenever ``shard_rows`` have gathered, so memory stays bounded by one shard's
Arrow data whatever the input's size. Everything is written into ``corpus_io.staged_corpus_dir``:
on any error the output folder is left as it was (absent, or the previous corpus).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from wildchat.analyze.importers.base import ImportFailed, ImportOptions, ImportStats, Record
from wildchat.analyze.importers.readers import Advance, input_kind, read_records
from wildchat.analyze.importers.registry import get_importer
from wildchat.corpus_io import (
    DatasetCard,
    package_versions,
    staged_corpus_dir,
    utc_now_iso,
    write_card,
    write_manifest,
    write_shard,
)
from wildchat.records import CORPUS_SCHEMA

MANIFEST_VERSION = 1
DEFAULT_SHARD_ROWS = 50_000
_BATCH_ROWS = 2_048
_INPUT_SUFFIXES = (
    ".parquet",
    ".json",
    ".jsonl",
    ".csv",
    ".tsv",
    ".json.gz",
    ".jsonl.gz",
    ".csv.gz",
    ".tsv.gz",
)


@dataclass
class ImportResult:
    out_dir: Path
    conversations: int
    shards: int
    manifest: dict[str, Any] = field(default_factory=dict)


@dataclass
class _InputFile:
    path: Path
    kind: str
    size: int
    records: int = 0


def expand_inputs(inputs: Sequence[Path], out_dir: Path) -> list[Path]:
    """Files to read, in order: folders give their data files (sorted, recursively)."""
    if not inputs:
        raise ImportFailed("no input files given")
    out = out_dir.resolve()
    files: list[Path] = []
    for given in inputs:
        if not given.exists():
            raise ImportFailed(f"{given}: no such file or folder")
        if given.is_dir():
            found = sorted(
                p for p in given.rglob("*") if p.is_file() and p.name.lower().endswith(_INPUT_SUFFIXES)
            )
            if not found:
                raise ImportFailed(f"{given}: no {', '.join(_INPUT_SUFFIXES)} files in this folder")
            files += found
        else:
            files.append(given)
    for path in files:
        resolved = path.resolve()
        if resolved == out or out in resolved.parents:
            raise ImportFailed(f"{path}: lies inside the output folder {out_dir}, which the import replaces")
    return files


def run_import(
    format_name: str,
    inputs: Sequence[Path],
    out_dir: Path,
    options: ImportOptions | None = None,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    show_progress: bool = False,
) -> ImportResult:
    """Convert ``inputs`` (files or folders) of ``format_name`` into the corpus folder ``out_dir``."""
    options = options or ImportOptions()
    if options.oasst_paths not in ("all", "best"):
        raise ImportFailed(f"--oasst-paths must be 'all' or 'best', got {options.oasst_paths!r}")
    if shard_rows < 1:
        raise ImportFailed(f"shard rows must be at least 1, got {shard_rows}")
    importer = get_importer(format_name)
    files = [_InputFile(p, input_kind(p), p.stat().st_size) for p in expand_inputs(inputs, out_dir)]
    stats = ImportStats()
    with _progress(show_progress) as progress, staged_corpus_dir(out_dir) as stage:
        task = progress.add_task(f"import {format_name}", total=sum(f.size for f in files) or None)

        def advance(n: int) -> None:
            progress.advance(task, n)

        writer = _ShardWriter(stage, shard_rows)
        for row in importer.convert(_records(files, advance), stats, options):
            writer.add(row)
        writer.close()
        stats.conversations_out = writer.rows
        stats.turns_out = writer.turns
        hashes = {str(f.path): _sha256(f.path) for f in files}
        manifest = _manifest(format_name, files, hashes, options, shard_rows, stats, writer)
        write_manifest(stage, manifest)
        write_card(stage, _card(format_name, files, hashes, stats, writer))
    return ImportResult(out_dir=out_dir, conversations=writer.rows, shards=writer.shards, manifest=manifest)


def _records(files: list[_InputFile], advance: Advance) -> Iterator[Record]:
    for f in files:
        for record in read_records(f.path, advance):
            f.records += 1
            yield record


class _ShardWriter:
    """Rows -> Arrow batches -> shards of exactly ``shard_rows`` rows (the last one may be short)."""

    def __init__(self, stage: Path, shard_rows: int) -> None:
        self.stage = stage
        self.shard_rows = shard_rows
        self.pending: list[dict[str, Any]] = []
        self.batches: list[pa.RecordBatch] = []
        self.in_shard = 0
        self.shards = 0
        self.rows = 0
        self.turns = 0
        self.user_turns = 0
        self.with_openai = 0
        self.with_detoxify = 0

    def add(self, row: dict[str, Any]) -> None:
        self.pending.append(row)
        self.rows += 1
        self.turns += len(row["conversation"])
        self.user_turns += row["turn"] or 0
        self.with_openai += bool(row["openai_moderation"])
        self.with_detoxify += bool(row["detoxify_moderation"])
        if len(self.pending) >= _BATCH_ROWS or self.in_shard + len(self.pending) >= self.shard_rows:
            self._batch()

    def _batch(self) -> None:
        if not self.pending:
            return
        try:
            batch = pa.RecordBatch.from_pylist(self.pending, schema=CORPUS_SCHEMA)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            raise ImportFailed(_unstorable(self.pending, exc)) from exc
        self.batches.append(batch)
        self.in_shard += len(self.pending)
        self.pending = []
        if self.in_shard >= self.shard_rows:
            self._shard()

    def _shard(self) -> None:
        write_shard(self.stage, self.shards, pa.Table.from_batches(self.batches, schema=CORPUS_SCHEMA))
        self.shards += 1
        self.batches, self.in_shard = [], 0

    def close(self) -> None:
        self._batch()
        if self.batches or self.shards == 0:  # an empty corpus still gets one (empty) shard to load
            self._shard()


def _unstorable(rows: list[dict[str, Any]], exc: Exception) -> str:
    """Name the first row that Arrow refuses (the batch error does not say which)."""
    for row in rows:
        try:
            pa.RecordBatch.from_pylist([row], schema=CORPUS_SCHEMA)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as row_exc:
            return f"conversation {row['conversation_id']}: cannot be stored in the corpus schema: {row_exc}"
    return f"cannot be stored in the corpus schema: {exc}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest(
    format_name: str,
    files: list[_InputFile],
    hashes: dict[str, str],
    options: ImportOptions,
    shard_rows: int,
    stats: ImportStats,
    writer: _ShardWriter,
) -> dict[str, Any]:
    importer = get_importer(format_name)
    source = importer.source
    return {
        "manifest_version": MANIFEST_VERSION,
        "kind": "import",
        "created_at": utc_now_iso(),
        "format": format_name,
        "source": {
            "name": source.pretty_name,
            "homepage": source.homepage,
            "license": source.license,
            "license_note": source.license_note,
            "citation": source.citation,
        },
        "inputs": [
            {
                "path": str(f.path.resolve()),
                "container": f.kind,
                "bytes": f.size,
                "sha256": hashes[str(f.path)],
                "records": f.records,
            }
            for f in files
        ],
        "parameters": {"shard_rows": shard_rows, **options.as_dict()},
        "versions": package_versions(),
        "counts": {
            "records_in": stats.records_in,
            "record_kind": importer.record_noun,
            "conversations_out": stats.conversations_out,
            "messages_out": stats.turns_out,
            "user_turns_out": writer.user_turns,
            "skipped": sum(stats.skipped.values()),
            "shards": writer.shards,
            "with_openai_moderation": writer.with_openai,
            "with_detoxify_moderation": writer.with_detoxify,
        },
        "skipped": {
            reason: {"count": count, "first_at": stats.skipped_first[reason]}
            for reason, count in sorted(stats.skipped.items())
        },
        "details": dict(sorted(stats.extra.items())),
    }


def _card(
    format_name: str,
    files: list[_InputFile],
    hashes: dict[str, str],
    stats: ImportStats,
    writer: _ShardWriter,
) -> DatasetCard:
    source = get_importer(format_name).source
    skipped = [f"Skipped {count:,}: {reason}." for reason, count in sorted(stats.skipped.items())]
    return DatasetCard(
        pretty_name=f"{source.pretty_name} (imported)",
        summary=(
            f"{source.pretty_name} ({source.homepage}), converted by `wildchat import --format {format_name}` "
            "into WildChat-1M's schema so that `wildchat report` can put it beside other corpora. Fields "
            "the source does not have are null, and moderation lists are empty where the source ran no "
            "classifier. The field mapping is in the project's docs/importers.md; `manifest.json` lists "
            "the input files, their checksums and every count."
        ),
        num_rows=writer.rows,
        license=source.license,
        license_note=source.license_note,
        statistics={
            "conversations": writer.rows,
            "messages": writer.turns,
            "user turns": writer.user_turns,
            f"input {get_importer(format_name).record_noun}": stats.records_in,
            "skipped": sum(stats.skipped.values()),
        },
        classifiers={
            "OpenAI moderation": _classifier_status(writer.with_openai, writer.rows),
            "Detoxify": _classifier_status(writer.with_detoxify, writer.rows),
        },
        sources=[
            f"{source.pretty_name}: {source.homepage}",
            *(f"`{f.path.name}`: {f.size:,} bytes, sha256 `{hashes[str(f.path)]}`" for f in files),
        ],
        notes=[f"Cite: {source.citation}", *source.notes, *skipped],
        credit_dbip=False,
    )


def _classifier_status(with_scores: int, rows: int) -> str:
    if with_scores == 0:
        return "not in the source (lists are empty)"
    return f"scores from the source, for {with_scores:,} of {rows:,} conversations"


class _NoProgress:
    def add_task(self, description: str, total: float | None = None) -> int:
        return 0

    def advance(self, task: int, advance: float = 1) -> None:
        pass

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _progress(show: bool) -> Any:
    """A rich progress bar over input bytes on stderr, or a silent stand-in."""
    if not show:
        return _NoProgress()
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
