"""Spreading an export over on-disk buckets by consent, in bounded memory.

Linking needs all calls of one consent together, and nothing else together, so the builder first
streams the export once and appends each call to bucket ``hash(consent_id) % n``. Each bucket then
fits in one worker's memory (about ``calls_per_bucket`` calls, unless one consent alone is larger),
and buckets are processed independently: by a process pool, by Ray, or after a restart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from wildchat.curate.reader import ReadReport, count_rows, iter_call_tables
from wildchat.records import CALL_SCHEMA

FLUSH_ROWS = 50_000  # buffered rows over all buckets before they are written out


def bucket_file(bucket_dir: Path, index: int) -> Path:
    return bucket_dir / f"bucket-{index:05d}.parquet"


def bucket_count(path: Path, calls_per_bucket: int) -> int:
    return max(1, math.ceil(count_rows(path) / max(1, calls_per_bucket)))


def bucket_of(consent_ids: pa.ChunkedArray | pa.Array, buckets: int) -> np.ndarray:
    """The bucket of each consent id: stable across runs and machines (xxhash, not Python's hash)."""
    ids = consent_ids.to_pylist()
    return np.fromiter(
        (xxhash.xxh3_64_intdigest(c.encode()) % buckets for c in ids), dtype=np.int64, count=len(ids)
    )


def partition_export(
    path: Path,
    bucket_dir: Path,
    buckets: int,
    report: ReadReport,
    strict: bool = False,
    on_rows: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write the export's valid calls into ``buckets`` Parquet files; return them (all exist, maybe empty)."""
    bucket_dir.mkdir(parents=True, exist_ok=True)
    writers = [
        pq.ParquetWriter(bucket_file(bucket_dir, i), CALL_SCHEMA, compression="zstd") for i in range(buckets)
    ]
    pending: list[list[pa.Table]] = [[] for _ in range(buckets)]
    buffered = 0

    def flush() -> None:
        nonlocal buffered
        for i, tables in enumerate(pending):
            if tables:
                writers[i].write_table(pa.concat_tables(tables))
                tables.clear()
        buffered = 0

    try:
        for table in iter_call_tables(path, report, strict):
            which = bucket_of(table["consent_id"], buckets)
            order = np.argsort(which, kind="stable")
            sorted_table = table.take(pa.array(order))
            sorted_which = which[order]
            bounds = np.flatnonzero(np.diff(sorted_which)) + 1
            starts = np.concatenate([[0], bounds])
            ends = np.concatenate([bounds, [len(sorted_which)]])
            for start, end in zip(starts, ends, strict=True):
                pending[int(sorted_which[start])].append(sorted_table.slice(int(start), int(end - start)))
            buffered += len(table)
            if buffered >= FLUSH_ROWS:
                flush()
            if on_rows is not None:
                on_rows(len(table))
        flush()
    finally:
        for w in writers:
            w.close()
    return [bucket_file(bucket_dir, i) for i in range(buckets)]
