"""Corpus-wide duplicates in bounded memory: keys in the workers, one resolution pass over them on disk.

Workers see one bucket at a time, but duplicates cross buckets. So each worker only *computes keys*
(``DedupKeysStep``, with ``dedup.signatures``: an exact key, the MinHash and its LSH band keys of
each conversation's user turns, well under a kilobyte per conversation) and writes them beside its part.
The builder then feeds every key file to ``dedup.DedupIndex`` (DuckDB, out of core under a memory
limit), resolves clusters once, and asks per shard which conversations stay. The earliest
conversation of a cluster (by its first reply's time, then id) is kept.

What counts as a duplicate is decided over user turns only (what people asked). Regenerations and
edits branch one conversation into rows with the same user turns, which are exact duplicates by this
rule; with ``--dedup flag`` (the default) nothing is removed and every duplicate is listed with the
row it duplicates in ``duplicates.parquet``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from wildchat.curate.steps import Step, StepCounts
from wildchat.records import Conversation

DUPLICATES_FILE = "duplicates.parquet"
DUPLICATES_SCHEMA = pa.schema(
    [("conversation_id", pa.string()), ("duplicate_of", pa.string()), ("kind", pa.string())]
)


def order_key(conv: Conversation) -> int:
    """When the conversation started (its first reply, in microseconds): earlier rows are kept."""
    times = [t.timestamp for t in conv.conversation if t.timestamp is not None]
    start = min(times) if times else conv.timestamp
    return int(start.timestamp() * 1_000_000)


class DedupKeysStep(Step[Conversation]):
    """Compute each conversation's dedup keys; ``take_keys`` hands them to the writer."""

    name = "dedup_keys"

    def __init__(self) -> None:
        self._tables: list[pa.Table] = []

    def run(self, batch: list[Conversation], counts: StepCounts) -> list[Conversation]:
        from wildchat.curate.dedup import signatures

        sigs = signatures([[t.content for t in c.conversation if t.role == "user"] for c in batch])
        keys = sigs.to_arrow()
        keys = keys.append_column(
            "conversation_id", pa.array([c.conversation_id for c in batch], pa.string())
        )
        self._tables.append(keys.append_column("order", pa.array([order_key(c) for c in batch], pa.int64())))
        return batch

    def take_keys(self) -> pa.Table | None:
        tables, self._tables = self._tables, []
        return pa.concat_tables(tables) if tables else None


@contextmanager
def resolved_duplicates(key_files: Sequence[Path], work_dir: Path) -> Iterator[Any]:
    """Resolve duplicates over the key files; yield ``dedup.DedupResult`` (valid inside the block)."""
    from wildchat.curate.dedup import DedupIndex, SignatureBatch

    with DedupIndex(workdir=work_dir / "dedup") as index:
        for path in key_files:
            if not path.exists():
                continue
            keys = pq.read_table(path)
            if not len(keys):
                continue
            sigs = SignatureBatch.from_arrow(keys)
            index.add(keys["conversation_id"].to_pylist(), keys["order"].to_pylist(), sigs)
        yield index.resolve()


def write_duplicates(path: Path, result: Any) -> None:
    """Every duplicate and the row it duplicates, streamed into one Parquet file."""
    with pq.ParquetWriter(path, DUPLICATES_SCHEMA) as writer:
        rows: list[dict[str, str]] = []
        for conversation_id, dup in result.iter_duplicates():
            rows.append(
                {"conversation_id": conversation_id, "duplicate_of": dup.duplicate_of, "kind": dup.kind}
            )
            if len(rows) >= 50_000:
                writer.write_table(pa.Table.from_pylist(rows, schema=DUPLICATES_SCHEMA))
                rows = []
        writer.write_table(pa.Table.from_pylist(rows, schema=DUPLICATES_SCHEMA))
