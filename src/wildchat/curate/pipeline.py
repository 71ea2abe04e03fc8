"""The per-bucket pipeline both engines run: calls -> withdrawals -> link -> assemble -> steps -> shard.

A bucket holds every call of some consents (see ``partition``), so linking never needs another
bucket. ``Pipeline`` is built once per worker process (the enrichers load their models then) and
processes bucket after bucket; each bucket becomes one part shard plus its dedup keys and counts,
written atomically, the counts file last: a bucket whose counts file exists is finished, which is
what ``--resume`` relies on.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq

from wildchat.corpus_io import shard_path, write_shard
from wildchat.curate.assemble import assemble
from wildchat.curate.duplicates import DedupKeysStep
from wildchat.curate.link import LinkStats, link_calls
from wildchat.curate.steps import (
    FinalizeStep,
    LanguageStep,
    RedactStep,
    Step,
    StepCounts,
    ToxicityStep,
    WithdrawnFilter,
)
from wildchat.records import ChatCall, Conversation, Tombstone, conversations_to_table

DedupMode = Literal["flag", "drop", "off"]
ENRICH_BATCH = 256  # conversations per enricher call: big enough to batch, small enough to bound memory


@dataclass(frozen=True)
class BuildOptions:
    """Everything that decides what a build produces (and so whether ``--resume`` may reuse work)."""

    dedup: DedupMode = "flag"
    strict: bool = False
    calls_per_bucket: int = 10_000
    #: "module:function" returning the conversation steps, given these options. Tests point it at
    #: fakes; the default runs every enricher.
    steps_factory: str = "wildchat.curate.pipeline:default_steps"
    withdrawn_consents: tuple[str, ...] = ()
    forgotten_ips: tuple[str, ...] = ()
    #: Let enrichers use their own thread pools (when one worker has the machine to itself). Does not
    #: change the output, so it is not part of the fingerprint.
    parallel_enrichers: bool = False

    def tombstones(self) -> list[Tombstone]:
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        return [Tombstone(now, consent_id=c) for c in self.withdrawn_consents] + [
            Tombstone(now, hashed_ip=h) for h in self.forgotten_ips
        ]

    def fingerprint(self) -> dict[str, Any]:
        data = asdict(self)
        del data["parallel_enrichers"]
        data["withdrawn_consents"] = sorted(self.withdrawn_consents)
        data["forgotten_ips"] = sorted(self.forgotten_ips)
        return data


def default_steps(options: BuildOptions) -> list[Step[Conversation]]:
    """Every enricher, in WildChat's order: label the text as written, then redact, then dedup keys."""
    from wildchat.curate.language import LanguageDetector

    steps: list[Step[Conversation]] = [
        LanguageStep(LanguageDetector(parallel=options.parallel_enrichers)),
        ToxicityStep(),
        RedactStep(),
        FinalizeStep(),
    ]
    if options.dedup != "off":
        steps.append(DedupKeysStep())
    return steps


def load_factory(spec: str) -> Callable[[BuildOptions], list[Step[Conversation]]]:
    module, _, name = spec.partition(":")
    factory: Callable[[BuildOptions], list[Step[Conversation]]] = getattr(
        importlib.import_module(module), name
    )
    return factory


@dataclass
class BucketResult:
    """Counts of one bucket, by step name (``link`` has LinkStats' fields)."""

    index: int
    conversations: int
    steps: dict[str, StepCounts] = field(default_factory=dict)
    link: LinkStats = field(default_factory=LinkStats)
    classifiers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "index": self.index,
                "conversations": self.conversations,
                "steps": {k: _counts_json(v) for k, v in self.steps.items()},
                "link": {**self.link.as_dict()},
                "classifiers": self.classifiers,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> BucketResult:
        data = json.loads(text)
        link_data = data["link"]
        link = LinkStats(**{k: v for k, v in link_data.items() if k != "dropped"})
        link.dropped.update(link_data["dropped"])
        return cls(
            index=data["index"],
            conversations=data["conversations"],
            steps={k: _counts_from_json(v) for k, v in data["steps"].items()},
            link=link,
            classifiers=data["classifiers"],
        )


def _counts_json(c: StepCounts) -> dict[str, Any]:
    return {
        "in": c.items_in,
        "out": c.items_out,
        "seconds": c.seconds,
        "dropped": c.dropped,
        "notes": c.notes,
    }


def _counts_from_json(d: dict[str, Any]) -> StepCounts:
    c = StepCounts(items_in=d["in"], items_out=d["out"], seconds=d["seconds"])
    c.dropped.update(d["dropped"])
    c.notes.update(d["notes"])
    return c


@dataclass(frozen=True)
class BucketTask:
    index: int
    bucket_file: str
    parts_dir: str  # a corpus-like folder: parts go to parts_dir/data/train-NNNNN.parquet
    keys_dir: str


def part_done_file(parts_dir: Path, index: int) -> Path:
    return parts_dir / f"counts-{index:05d}.json"


def keys_file(keys_dir: Path, index: int) -> Path:
    return keys_dir / f"keys-{index:05d}.parquet"


class Pipeline:
    """The steps, built once per worker, run over bucket after bucket."""

    def __init__(self, options: BuildOptions, on_progress: Callable[[int], None] | None = None) -> None:
        self.options = options
        #: Called with the number of conversations each time a batch has been through every step.
        self.on_progress = on_progress
        self.withdrawn = WithdrawnFilter(options.tombstones())
        self.steps = load_factory(options.steps_factory)(options)
        self.dedup_keys = next((s for s in self.steps if isinstance(s, DedupKeysStep)), None)

    def classifiers(self) -> dict[str, str]:
        status: dict[str, str] = {}
        for step in self.steps:
            if isinstance(step, ToxicityStep) and hasattr(step.suite, "status"):
                status.update(step.suite.status())
        return status

    def process_calls(self, calls: list[ChatCall], result: BucketResult) -> list[Conversation]:
        counts = result.steps.setdefault(self.withdrawn.name, StepCounts())
        calls = _timed(self.withdrawn, calls, counts)
        started = time.perf_counter()
        chains, link_stats = link_calls(calls)
        conversations = [assemble(chain) for chain in chains]
        result.link.merge(link_stats)
        link_counts = result.steps.setdefault("link", StepCounts())
        link_counts.items_in += len(calls)
        link_counts.items_out += len(conversations)
        link_counts.seconds += time.perf_counter() - started
        out: list[Conversation] = []
        for start in range(0, len(conversations), ENRICH_BATCH):
            batch = conversations[start : start + ENRICH_BATCH]
            for step in self.steps:
                batch = _timed(step, batch, result.steps.setdefault(step.name, StepCounts()))
            out.extend(batch)
            if self.on_progress is not None:
                self.on_progress(len(batch))
        return out

    def process_bucket(self, task: BucketTask) -> BucketResult:
        result = BucketResult(index=task.index, conversations=0, classifiers=self.classifiers())
        started = time.perf_counter()
        table = pq.read_table(task.bucket_file)
        calls = [ChatCall.from_row(row) for row in table.to_pylist()]
        del table
        load = result.steps.setdefault("load", StepCounts())
        load.items_in = load.items_out = len(calls)
        load.seconds = time.perf_counter() - started
        conversations = self.process_calls(calls, result)
        result.conversations = len(conversations)
        parts_dir, keys_dir = Path(task.parts_dir), Path(task.keys_dir)
        started = time.perf_counter()
        write_shard(parts_dir, task.index, conversations_to_table(conversations))
        store = result.steps.setdefault("write_part", StepCounts())
        store.items_in = store.items_out = len(conversations)
        store.seconds = time.perf_counter() - started
        keys = self.dedup_keys.take_keys() if self.dedup_keys is not None else None
        if keys is not None:
            keys_dir.mkdir(parents=True, exist_ok=True)
            tmp = keys_file(keys_dir, task.index).with_suffix(".tmp")
            pq.write_table(keys, tmp)
            tmp.replace(keys_file(keys_dir, task.index))
        done = part_done_file(parts_dir, task.index)
        tmp_done = done.with_suffix(".tmp")
        tmp_done.write_text(result.to_json(), encoding="utf-8")
        tmp_done.replace(done)
        del calls, conversations
        release_memory()
        return result


def release_memory() -> None:
    """Hand freed memory back to the OS between buckets, so a long-lived worker does not creep upwards.

    CPython and Arrow keep freed blocks for reuse; after a bucket most of them are garbage, and glibc
    only returns heap pages on request (``malloc_trim``).
    """
    import contextlib
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _timed(step: Step[Any], batch: list[Any], counts: StepCounts) -> list[Any]:
    started = time.perf_counter()
    counts.items_in += len(batch)
    out = step.run(batch, counts)
    counts.items_out += len(out)
    counts.seconds += time.perf_counter() - started
    return out


def finished_results(parts_dir: Path, indices: Sequence[int]) -> Iterator[BucketResult]:
    """Results of buckets already finished (for ``--resume``)."""
    for i in indices:
        done = part_done_file(parts_dir, i)
        if done.exists() and shard_path(parts_dir, i).exists():
            yield BucketResult.from_json(done.read_text(encoding="utf-8"))


def merge_results(results: Sequence[BucketResult]) -> tuple[dict[str, StepCounts], LinkStats, dict[str, str]]:
    steps: dict[str, StepCounts] = {}
    link = LinkStats()
    classifiers: dict[str, str] = {}
    for r in sorted(results, key=lambda r: r.index):
        for name, counts in r.steps.items():
            steps.setdefault(name, StepCounts()).merge(counts)
        link.merge(r.link)
        classifiers.update(r.classifiers)
    return steps, link, classifiers
