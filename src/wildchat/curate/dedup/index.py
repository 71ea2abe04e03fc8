"""The dedup index: collects signatures on disk and resolves duplicate clusters in bounded memory.

Runs in the builder's main process; see the package docstring for how candidates are verified.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from wildchat.curate.dedup.minhash import DedupMode, DedupParams, DuplicateKind, SignatureBatch

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A document judged a duplicate: ``exact`` (same normalized user turns as an earlier one) or ``near``."""

    kind: DuplicateKind
    duplicate_of: str


class DedupIndex:
    """Collects signatures in Parquet runs on disk and resolves duplicate clusters; a context manager.

    ``order`` is the caller's "earliest" key (e.g. the conversation's first timestamp in microseconds);
    ties go to the smaller id, so the result does not depend on the order batches arrive in. Memory: the
    current run (``flush_rows`` documents) while adding; DuckDB's ``memory_limit`` (it spills to the work
    directory) plus ~16 bytes per verified duplicate PAIR while resolving.
    """

    def __init__(
        self,
        workdir: Path | None = None,
        params: DedupParams = DedupParams(),
        memory_limit: str = "1GB",
        threads: int = 2,
        flush_rows: int = 200_000,
    ) -> None:
        self.params = params
        self._own_dir = workdir is None
        self._dir = Path(tempfile.mkdtemp(prefix="wildchat-dedup-")) if workdir is None else Path(workdir)
        self._dir.mkdir(parents=True, exist_ok=True)
        for stale in [*self._dir.glob("*.parquet"), *self._dir.glob("*.npy")]:
            stale.unlink()
        self._memory_limit = memory_limit
        self._threads = threads
        self._flush_rows = flush_rows
        self._pending: list[tuple[pa.Table, pa.Table]] = []
        self._minhash_runs: list[tuple[int, Path]] = []
        self._warned_unverified = False
        self._pending_rows = 0
        self._runs = 0
        self._next_seq = 0
        self._con: Any = None

    def __enter__(self) -> DedupIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def add(self, ids: Sequence[str], order: Sequence[int], sigs: SignatureBatch) -> None:
        """Append one batch; ``ids`` must be unique across all batches."""
        n = len(sigs)
        if len(ids) != n or len(order) != n:
            raise ValueError(f"ids ({len(ids)}), order ({len(order)}) and signatures ({n}) differ in length")
        if self._con is not None:
            raise RuntimeError("add() after resolve()")
        seq = np.arange(self._next_seq, self._next_seq + n, dtype=np.int64)
        self._next_seq += n
        docs = pa.table(
            {
                "seq": seq,
                "id": pa.array(list(ids), pa.string()),
                "ord": np.asarray(order, dtype=np.int64),
                "ex0": sigs.exact[:, 0],
                "ex1": sigs.exact[:, 1],
            }
        )
        with_text = np.flatnonzero(sigs.has_text)
        b = self.params.bands
        bands = pa.table(
            {
                "seq": np.repeat(seq[with_text], b),
                "band": np.tile(np.arange(b, dtype=np.int16), len(with_text)),
                "key": sigs.bands[with_text].reshape(-1),
            }
        )
        if sigs.minhash is None and not self._warned_unverified:
            self._warned_unverified = True
            log.warning(
                "dedup keys without a MinHash: their LSH candidates are not verified (more false matches)"
            )
        if sigs.minhash is not None:
            # Raw .npy (a memcpy to disk), read back memory-mapped for the few candidate pairs.
            path = self._dir / f"minhash-{len(self._minhash_runs):06d}.npy"
            np.save(path, np.ascontiguousarray(sigs.minhash, dtype=np.uint32))
            self._minhash_runs.append((int(seq[0]) if n else 0, path))
        self._pending.append((docs, bands))
        self._pending_rows += n
        if self._pending_rows >= self._flush_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        import pyarrow.parquet as pq

        for i, name in enumerate(("docs", "bands")):
            table = pa.concat_tables([p[i] for p in self._pending])
            pq.write_table(table, self._dir / f"{name}-{self._runs:05d}.parquet", compression="none")
        self._runs += 1
        self._pending.clear()
        self._pending_rows = 0

    def _connect(self) -> Any:
        import duckdb

        self._flush()
        db = self._dir / "dedup.duckdb"
        db.unlink(missing_ok=True)
        Path(f"{db}.wal").unlink(missing_ok=True)  # left by an interrupted earlier run
        con = duckdb.connect(str(db))
        con.execute(f"SET memory_limit = '{self._memory_limit}'")
        con.execute(f"SET threads = {int(self._threads)}")
        con.execute(f"SET temp_directory = '{self._dir / 'spill'}'")
        con.execute("SET preserve_insertion_order = false")
        if self._runs:
            con.execute(f"CREATE VIEW docs AS SELECT * FROM read_parquet('{self._dir}/docs-*.parquet')")
            con.execute(f"CREATE VIEW bands AS SELECT * FROM read_parquet('{self._dir}/bands-*.parquet')")
        else:
            self._runs = 0
            con.execute("CREATE TABLE docs (seq BIGINT, id VARCHAR, ord BIGINT, ex0 BIGINT, ex1 BIGINT)")
            con.execute("CREATE TABLE bands (seq BIGINT, band SMALLINT, key BIGINT)")
        return con

    def resolve(self, chunk_rows: int = 1_000_000) -> DedupResult:
        """Cluster exact and LSH collisions; every cluster keeps its earliest document."""
        if self._con is not None:
            raise RuntimeError("resolve() called twice")
        con = self._con = self._connect()
        # Rank = position in (order, id); the smallest rank of a cluster is the document it keeps.
        con.execute(
            "CREATE TABLE ranked AS SELECT seq, id, ex0, ex1, "
            "row_number() OVER (ORDER BY ord, id) - 1 AS r FROM docs"
        )
        # Exact edges: every document points at the earliest with the same exact key.
        exact_edges = _arrow_table(
            con.sql(
                "SELECT r, m FROM (SELECT r, min(r) OVER (PARTITION BY ex0, ex1) AS m FROM ranked) WHERE r <> m"
            )
        )
        # LSH candidates: within each colliding band bucket, every document and the bucket's earliest
        # document, and every document and its predecessor (so a chain of edits stays connected even
        # when its far ends are not similar enough to each other).
        con.execute(
            """
            CREATE TABLE cand AS
            WITH br AS (SELECT ranked.r, bands.band, bands.key FROM bands JOIN ranked USING (seq)),
                 bg AS (SELECT band, key FROM br GROUP BY band, key HAVING count(*) > 1),
                 c AS (SELECT br.* FROM br SEMI JOIN bg USING (band, key)),
                 w AS (SELECT r, min(r) OVER g AS m, lag(r) OVER g AS p FROM c
                       WINDOW g AS (PARTITION BY band, key ORDER BY r))
            SELECT DISTINCT r, o FROM (SELECT r, m AS o FROM w UNION ALL SELECT r, p AS o FROM w)
            WHERE o IS NOT NULL AND r <> o
            """
        )
        sources = [_column(exact_edges, "r")]
        targets = [_column(exact_edges, "m")]
        for r, o in self._verified(con, chunk_rows):
            sources.append(r)
            targets.append(o)
        a_all, b_all = np.concatenate(sources), np.concatenate(targets)
        node_arr = np.unique(np.concatenate([a_all, b_all]))
        parent = np.arange(len(node_arr), dtype=np.int64)
        _union(parent, np.searchsorted(node_arr, a_all), np.searchsorted(node_arr, b_all))
        roots = _find_all(parent)
        clusters = pa.table({"r": node_arr, "root": node_arr[roots]})
        con.register("clusters", clusters)
        con.execute(
            """
            CREATE TABLE dups AS
            WITH x AS (SELECT r, id, min(r) OVER (PARTITION BY ex0, ex1) AS first_exact FROM ranked)
            SELECT x.id,
                   CASE WHEN x.first_exact < x.r THEN 'exact' ELSE 'near' END AS kind,
                   CASE WHEN x.first_exact < x.r THEN fe.id ELSE keep.id END AS duplicate_of
            FROM clusters c
            JOIN x ON x.r = c.r
            JOIN ranked keep ON keep.r = c.root
            JOIN ranked fe ON fe.r = x.first_exact
            WHERE c.r <> c.root
            """
        )
        con.unregister("clusters")
        counts = con.execute(
            "SELECT count(*) FILTER (WHERE kind = 'exact'), count(*) FILTER (WHERE kind = 'near'), "
            "(SELECT count(*) FROM ranked) FROM dups"
        ).fetchall()[0]
        return DedupResult(
            con,
            documents=int(counts[2]),
            exact_duplicates=int(counts[0] or 0),
            near_duplicates=int(counts[1] or 0),
            clusters=int(np.unique(roots).size),
        )

    def _verified(
        self, con: Any, chunk_rows: int
    ) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
        """LSH candidate pairs whose MinHash estimate of Jaccard similarity reaches ``verify_threshold``.

        Band collisions alone let through pairs of unrelated texts with a common vocabulary once there
        are billions of pairs; comparing all ``num_perm`` values removes them. A pair without a stored
        MinHash (keys computed without one) is kept unverified.
        """
        query = con.sql(
            "SELECT c.r, c.o, a.seq, b.seq FROM cand c JOIN ranked a ON a.r = c.r JOIN ranked b ON b.r = c.o"
        )
        runs = [(start, np.load(path, mmap_mode="r")) for start, path in self._minhash_runs]
        for batch in _arrow_reader(query, chunk_rows):
            r, o, seq_a, seq_b = (np.asarray(c.to_numpy(), dtype=np.int64) for c in batch.columns)
            ma, known_a = _gather(runs, seq_a, self.params.num_perm)
            mb, known_b = _gather(runs, seq_b, self.params.num_perm)
            known = known_a & known_b
            similar = (ma == mb).mean(axis=1) >= self.params.verify_threshold
            keep = ~known | similar
            yield r[keep], o[keep]


def _gather(
    runs: list[tuple[int, npt.NDArray[np.uint32]]], seqs: npt.NDArray[np.int64], width: int
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.bool_]]:
    """The stored MinHash rows of ``seqs`` (memory-mapped runs), and which seqs had one."""
    out = np.zeros((len(seqs), width), dtype=np.uint32)
    known = np.zeros(len(seqs), dtype=np.bool_)
    if not runs or not len(seqs):
        return out, known
    starts = np.array([start for start, _ in runs], dtype=np.int64)
    run_of = np.searchsorted(starts, seqs, side="right") - 1
    for i in np.unique(run_of[run_of >= 0]):
        start, matrix = runs[i]
        inside = (run_of == i) & (seqs < start + matrix.shape[0])
        local = seqs[inside] - start
        order = np.argsort(local)  # sorted reads touch each page of the map once
        rows = np.empty((len(local), width), dtype=np.uint32)
        rows[order] = matrix[local[order]]
        out[inside] = rows
        known[inside] = True
    return out, known


def _arrow_table(relation: Any) -> pa.Table:
    """A query result as an Arrow table (DuckDB 2 renamed ``arrow()`` to ``to_arrow_table()``)."""
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
    return fetch()


def _arrow_reader(relation: Any, rows: int) -> pa.RecordBatchReader:
    fetch = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    return fetch(rows)


def _column(table: pa.Table, name: str) -> npt.NDArray[np.int64]:
    return np.asarray(table.column(name).to_numpy(), dtype=np.int64)


def _find_all(parent: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Path halving for every node at once until each points at its root."""
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent[:] = grand


def _union(parent: npt.NDArray[np.int64], a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> None:
    """Vectorized union-find: hook the larger root under the smaller until every edge is inside a tree.

    Hooking toward the smaller index keeps each tree's root its smallest node, i.e. the earliest document
    (node arrays are sorted by rank).
    """
    while True:
        ra = _find_all(parent)[a]
        rb = parent[b]
        differ = ra != rb
        if not differ.any():
            return
        lo = np.minimum(ra[differ], rb[differ])
        hi = np.maximum(ra[differ], rb[differ])
        np.minimum.at(parent, hi, lo)
        a, b = a[differ], b[differ]


class DedupResult:
    """Which documents are duplicates, held in the index's DuckDB table (looked up per batch)."""

    def __init__(
        self, con: Any, *, documents: int, exact_duplicates: int, near_duplicates: int, clusters: int
    ) -> None:
        self._con = con
        self.documents = documents
        self.exact_duplicates = exact_duplicates
        self.near_duplicates = near_duplicates
        #: Duplicate clusters (groups of two or more documents); each keeps one document.
        self.clusters = clusters

    @property
    def duplicates(self) -> int:
        return self.exact_duplicates + self.near_duplicates

    def counts(self) -> dict[str, int]:
        return {
            "documents": self.documents,
            "exact_duplicates": self.exact_duplicates,
            "near_duplicates": self.near_duplicates,
            "clusters": self.clusters,
            "kept": self.documents - self.duplicates,
        }

    def lookup(self, ids: Sequence[str]) -> list[Duplicate | None]:
        """For each id: its Duplicate record, or None if it is kept (unique or the earliest of a cluster)."""
        if not ids:
            return []
        probe = pa.table({"pos": np.arange(len(ids), dtype=np.int64), "id": pa.array(list(ids), pa.string())})
        self._con.register("probe", probe)
        rows = self._con.execute(
            "SELECT probe.pos, dups.kind, dups.duplicate_of FROM probe JOIN dups USING (id)"
        ).fetchall()
        self._con.unregister("probe")
        out: list[Duplicate | None] = [None] * len(ids)
        for pos, kind, of in rows:
            out[pos] = Duplicate(kind=kind, duplicate_of=of)
        return out

    def keep_mask(self, ids: Sequence[str], mode: DedupMode) -> list[bool]:
        """Which of ``ids`` stay in the corpus: all of them unless ``mode`` is ``drop``."""
        if mode != "drop":
            return [True] * len(ids)
        return [d is None for d in self.lookup(ids)]

    def iter_duplicates(self, batch_rows: int = 100_000) -> Iterator[tuple[str, Duplicate]]:
        """Every duplicate (id, record), streamed."""
        reader = _arrow_reader(
            self._con.sql("SELECT id, kind, duplicate_of FROM dups ORDER BY id"), batch_rows
        )
        for batch in reader:
            for id_, kind, of in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                yield id_, Duplicate(kind=kind, duplicate_of=of)
