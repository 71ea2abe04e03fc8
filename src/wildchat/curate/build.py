"""``wildchat build``: an export file in, a complete corpus folder out (or nothing, on failure).

The build runs in a work folder beside the output (``.NAME.build``): partition the export by consent
into buckets, run the pipeline over every bucket with an engine, resolve duplicates over the keys the
workers wrote, then assemble the corpus folder in a staging folder that replaces the output only when
it is complete. The work folder survives a failure, so ``--resume`` can skip what was finished (the
partition, and every bucket whose part is written), provided the input and options are unchanged;
it is removed after a successful build.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wildchat import __version__
from wildchat.corpus_io import (
    DatasetCard,
    package_versions,
    shard_path,
    staged_corpus_dir,
    utc_now_iso,
    write_card,
    write_manifest,
    write_shard,
)
from wildchat.curate.duplicates import DUPLICATES_FILE, resolved_duplicates, write_duplicates
from wildchat.curate.engines import EngineName, get_engine
from wildchat.curate.partition import bucket_count, bucket_file, partition_export
from wildchat.curate.pipeline import (
    BucketResult,
    BucketTask,
    BuildOptions,
    finished_results,
    keys_file,
    merge_results,
    release_memory,
)
from wildchat.curate.reader import InputError, ReadReport, count_rows, is_parquet

MANIFEST_VERSION = 1
#: Distributions whose versions the manifest records (besides Python, wildchat and pyarrow).
VERSIONED = (
    "lingua-language-detector",
    "presidio-analyzer",
    "presidio-anonymizer",
    "alt-profanity-check",
    "duckdb",
    "ray",
)


@dataclass
class TombstoneSource:
    """Where the tombstones came from and whether they could be applied, for the manifest."""

    applied: bool
    source: str | None = None
    note: str = ""
    consents: int = 0
    hashed_ips: int = 0


@dataclass
class BuildResult:
    out: Path
    conversations: int
    shards: int
    manifest: dict[str, Any] = field(default_factory=dict)


def work_dir_for(out: Path) -> Path:
    return out.parent / f".{out.name}.build"


def build_corpus(
    logs: Path,
    out: Path,
    *,
    options: BuildOptions,
    tombstones: TombstoneSource,
    engine: EngineName = "local",
    workers: int = 1,
    resume: bool = False,
    progress: bool = True,
) -> BuildResult:
    logs, out = logs.resolve(), out.resolve()
    options = dataclasses.replace(options, parallel_enrichers=workers <= 1)
    if not logs.is_file():
        raise InputError(f"{logs}: no such export file")
    work = work_dir_for(out)
    # At least one bucket per worker, so that a small export still keeps every worker busy.
    buckets = max(bucket_count(logs, options.calls_per_bucket), workers)
    fingerprint = {
        "version": __version__,
        "input": {"path": str(logs), "size": logs.stat().st_size, "mtime_ns": logs.stat().st_mtime_ns},
        "options": options.fingerprint(),
        "buckets": buckets,
    }
    state_file = work / "state.json"
    reused = resume and state_file.exists() and json.loads(state_file.read_text()) == fingerprint
    if not reused:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        state_file.write_text(json.dumps(fingerprint), encoding="utf-8")
    bucket_dir, parts_dir, keys_dir = work / "buckets", work / "parts", work / "keys"

    with _progress(progress) as bar:
        read = _partition(logs, bucket_dir, buckets, options, bar)
        tasks = [
            BucketTask(i, str(bucket_file(bucket_dir, i)), str(parts_dir), str(keys_dir))
            for i in range(buckets)
        ]
        done = list(finished_results(parts_dir, range(buckets))) if reused else []
        done_indices = {r.index for r in done}
        pending = [t for t in tasks if t.index not in done_indices]
        task_bar = bar.add_task("link + enrich buckets", total=buckets, completed=len(done))
        conv_bar = bar.add_task("conversations enriched", total=None)
        new = get_engine(engine)(
            pending,
            options,
            workers,
            lambda _r: bar.advance(task_bar),
            lambda n: bar.advance(conv_bar, n),
        )
        results: list[BucketResult] = sorted([*done, *new], key=lambda r: r.index)
        enriched = sum(r.conversations for r in results)
        bar.update(conv_bar, total=enriched, completed=enriched)
        steps, link, classifiers = merge_results(results)

        key_files = [keys_file(keys_dir, i) for i in range(buckets)]
        with (
            _duplicates(options, key_files, work, bar) as dups,
            staged_corpus_dir(out) as stage,
        ):
            write_bar = bar.add_task("write shards", total=buckets)
            drop = dups if options.dedup == "drop" else None
            written, stats = _write_shards(parts_dir, buckets, stage, drop, lambda: bar.advance(write_bar))
            dedup_counts: dict[str, Any] = {"mode": options.dedup}
            if dups is not None:
                write_duplicates(stage / DUPLICATES_FILE, dups)
                found = dups.counts()
                dedup_counts.update(
                    {
                        "in": found["documents"],
                        "out": stats["conversations"],
                        "exact_duplicates": found["exact_duplicates"],
                        "near_duplicates": found["near_duplicates"],
                        "clusters": found["clusters"],
                        "dropped": {
                            "exact_duplicate": found["exact_duplicates"],
                            "near_duplicate": found["near_duplicates"],
                        }
                        if options.dedup == "drop"
                        else {},
                    }
                )
            classifiers = _classifier_status(steps, classifiers)
            manifest = {
                "manifest_version": MANIFEST_VERSION,
                "created_at": utc_now_iso(),
                "inputs": _inputs(logs, read, tombstones),
                "parameters": {
                    "engine": engine,
                    "workers": workers,
                    "resume": resume,
                    "resumed_buckets": len(done),
                    "dedup": options.dedup,
                    "strict": options.strict,
                    "calls_per_bucket": options.calls_per_bucket,
                    "buckets": buckets,
                    "steps_factory": options.steps_factory,
                },
                "versions": package_versions(*VERSIONED),
                "classifiers": classifiers,
                # Counts in and out of every step, in pipeline order (worker-seconds per step).
                "counts": {
                    "read": read["report"],
                    **{
                        name: {**counts.as_dict(), **(link.as_dict() if name == "link" else {})}
                        for name, counts in steps.items()
                    },
                    "dedup": dedup_counts,
                    "write": {"conversations": stats["conversations"], "shards": written},
                },
                "statistics": stats,
            }
            write_manifest(stage, manifest)
            write_card(stage, _card(stats, classifiers, tombstones, options, logs))
    shutil.rmtree(work, ignore_errors=True)
    return BuildResult(out=out, conversations=int(stats["conversations"]), shards=written, manifest=manifest)


def _inputs(logs: Path, read: dict[str, Any], tombstones: TombstoneSource) -> dict[str, Any]:
    return {
        "logs": str(logs),
        "format": "parquet" if is_parquet(logs) else "jsonl",
        "rows": read["report"]["rows_read"],
        "tombstones": {
            "applied": tombstones.applied,
            "source": tombstones.source,
            "withdrawn_consents": tombstones.consents,
            "forgotten_hashed_ips": tombstones.hashed_ips,
            "note": tombstones.note,
        },
    }


def _partition(
    logs: Path, bucket_dir: Path, buckets: int, options: BuildOptions, bar: Progress
) -> dict[str, Any]:
    marker = bucket_dir / "DONE.json"
    if marker.exists():
        data: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
        return data
    shutil.rmtree(bucket_dir, ignore_errors=True)
    total = count_rows(logs)
    task = bar.add_task("read + partition calls", total=total)
    report = ReadReport()
    try:
        partition_export(logs, bucket_dir, buckets, report, options.strict, lambda n: bar.advance(task, n))
    except InputError:
        shutil.rmtree(bucket_dir.parent, ignore_errors=True)
        raise
    data = {"buckets": buckets, "report": report.as_dict()}
    marker.write_text(json.dumps(data), encoding="utf-8")
    release_memory()  # the partition's buffers, before the workers start
    return data


def _write_shards(
    parts_dir: Path, buckets: int, stage: Path, drop: Any | None, advance: Callable[[], None]
) -> tuple[int, dict[str, Any]]:
    """Move (or, when dropping duplicates, filter) the parts into the stage; gather statistics."""
    written = 0
    stats = _Stats()
    for i in range(buckets):
        part = shard_path(parts_dir, i)
        if pq.ParquetFile(part).metadata.num_rows:
            target = shard_path(stage, written)
            if drop is not None:
                table = pq.read_table(part)
                table = table.filter(pa.array(drop.keep_mask(table["conversation_id"].to_pylist(), "drop")))
                if len(table):
                    write_shard(stage, written, table)
                    stats.add(target)
                    written += 1
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(part, target)
                stats.add(target)
                written += 1
        advance()
    return written, stats.as_dict()


@contextmanager
def _duplicates(options: BuildOptions, key_files: list[Path], work: Path, bar: Progress) -> Iterator[Any]:
    if options.dedup == "off":
        yield None
        return
    task = bar.add_task("find duplicates", total=1)
    with resolved_duplicates(key_files, work) as result:
        bar.update(task, completed=1)
        yield result


class _Stats:
    """Statistics for the card and manifest, read back from the written shards one at a time."""

    COLUMNS = ("turn", "language", "toxic", "redacted", "model", "country", "timestamp")

    def __init__(self) -> None:
        self.conversations = 0
        self.user_turns = 0
        self.toxic = 0
        self.redacted = 0
        self.languages: Counter[str] = Counter()
        self.models: Counter[str] = Counter()
        self.countries: Counter[str] = Counter()
        self.first: Any = None
        self.last: Any = None

    def add(self, shard: Path) -> None:
        t = pq.read_table(shard, columns=list(self.COLUMNS))
        self.conversations += len(t)
        self.user_turns += int(pc.sum(t["turn"]).as_py() or 0)
        self.toxic += int(pc.sum(pc.cast(t["toxic"], "int64")).as_py() or 0)
        self.redacted += int(pc.sum(pc.cast(t["redacted"], "int64")).as_py() or 0)
        for name, counter in (
            ("language", self.languages),
            ("model", self.models),
            ("country", self.countries),
        ):
            counter.update(v for v in t[name].to_pylist() if v is not None)
        lo, hi = pc.min_max(t["timestamp"]).values()
        if lo.is_valid:
            self.first = lo.as_py() if self.first is None else min(self.first, lo.as_py())
            self.last = hi.as_py() if self.last is None else max(self.last, hi.as_py())

    def as_dict(self) -> dict[str, Any]:
        n = self.conversations
        return {
            "conversations": n,
            "user_turns": self.user_turns,
            "mean_user_turns": round(self.user_turns / n, 3) if n else 0.0,
            "toxic_conversations": self.toxic,
            "redacted_conversations": self.redacted,
            "languages": len(self.languages),
            "top_languages": dict(self.languages.most_common(10)),
            "models": dict(self.models.most_common(10)),
            "top_countries": dict(self.countries.most_common(10)),
            "first_timestamp": self.first.isoformat() if self.first else None,
            "last_timestamp": self.last.isoformat() if self.last else None,
        }


def _classifier_status(steps: dict[str, Any], reported: dict[str, str]) -> dict[str, str]:
    status: dict[str, str] = {}
    status["language (lingua, high accuracy)"] = "ran" if "language" in steps else "off"
    status["pii + secrets (presidio + secret detectors)"] = "ran" if "redact" in steps else "off"
    if "toxicity" not in steps:
        status["toxicity"] = "off"
    status.update(reported)
    return status


def _card(
    stats: dict[str, Any],
    classifiers: dict[str, str],
    tombstones: TombstoneSource,
    options: BuildOptions,
    logs: Path,
) -> DatasetCard:
    table_stats: dict[str, Any] = {
        "conversations": stats["conversations"],
        "user turns": stats["user_turns"],
        "mean user turns per conversation": float(stats["mean_user_turns"]),
        "toxic conversations": stats["toxic_conversations"],
        "redacted conversations": stats["redacted_conversations"],
        "languages": stats["languages"],
        "top languages": ", ".join(f"{k} ({v:,})" for k, v in stats["top_languages"].items()) or "-",
        "models": ", ".join(f"{k} ({v:,})" for k, v in stats["models"].items()) or "-",
        "first conversation": stats["first_timestamp"] or "-",
        "last conversation": stats["last_timestamp"] or "-",
    }
    notes = [
        "Schema: WildChat-1M's, same names and Arrow types, plus a unique `conversation_id`.",
        "`conversation_hash` is an MD5 of the published turns (roles and text), as in WildChat: "
        "it is not unique by design; use `conversation_id` to identify a row.",
        f"Duplicates (user turns, exact and MinHash LSH): mode `{options.dedup}`"
        + ("; the groups are listed in `duplicates.parquet`." if options.dedup != "off" else "."),
        "Withdrawn consents and forgotten IPs: "
        + ("applied" if tombstones.applied else "NOT applied")
        + (f" ({tombstones.note})" if tombstones.note else "")
        + ".",
    ]
    return DatasetCard(
        pretty_name="WildChat-style corpus",
        summary=(
            "Conversations collected with consent by a self-hosted chatbot gateway, linked from its call "
            "logs and labelled for language, toxicity and personal information, in WildChat-1M's schema."
        ),
        num_rows=int(stats["conversations"]),
        statistics=table_stats,
        classifiers=classifiers,
        sources=[f"call logs export `{logs.name}`"],
        notes=notes,
    )


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress]:
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=False,
    )
    with bar:
        yield bar
