"""MinHash signatures of documents (a conversation's user turns): exact keys, MinHashes, LSH band keys.

Pure and batched: the builder runs this in its worker processes. See the package docstring for the
choices (normalization, shingles, one-permutation MinHash, LSH bands).
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

log = logging.getLogger(__name__)

DedupMode = Literal["flag", "drop", "off"]
DuplicateKind = Literal["exact", "near"]

_U64 = npt.NDArray[np.uint64]
_MASK32: Final = np.uint64(0xFFFFFFFF)
_EMPTY: Final = np.uint32(0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class DedupParams:
    """MinHash LSH settings; documents are only comparable under the same params."""

    shingle_size: int = 5
    num_perm: int = 120
    bands: int = 12
    seed: int = 1
    #: LSH candidates whose MinHash estimate of Jaccard similarity is below this are not duplicates.
    verify_threshold: float = 0.7

    def __post_init__(self) -> None:
        if self.shingle_size < 1 or self.bands < 1 or self.num_perm % self.bands:
            raise ValueError("num_perm must be a positive multiple of bands, shingle_size >= 1")

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    @property
    def threshold(self) -> float:
        """The Jaccard similarity at which the LSH S-curve is steepest, roughly (1/b)^(1/r)."""
        return float((1 / self.bands) ** (1 / self.rows))


@dataclass(slots=True)
class SignatureBatch:
    """Dedup keys of a batch of documents (picklable; a few hundred bytes per document).

    ``exact``: (n, 2) int64, the 128-bit hash of the normalized user turns. ``bands``: (n, bands) int64
    LSH band keys. ``has_text``: False for documents with no user text, which take part in exact dedup
    only (empty conversations are duplicates of each other, never near-duplicates of anything).
    ``minhash``: (n, num_perm) uint32, the MinHash itself, used to verify LSH candidates (without it,
    every band collision counts as a near-duplicate).
    """

    exact: npt.NDArray[np.int64]
    bands: npt.NDArray[np.int64]
    has_text: npt.NDArray[np.bool_]
    minhash: npt.NDArray[np.uint32] | None = None

    def __len__(self) -> int:
        return int(self.exact.shape[0])

    def to_arrow(self) -> pa.Table:
        """Columns ``exact0``, ``exact1``, ``has_text``, ``bands`` and ``minhash`` (fixed-size lists)."""
        columns: dict[str, Any] = {
            "exact0": self.exact[:, 0],
            "exact1": self.exact[:, 1],
            "has_text": self.has_text,
            "bands": pa.FixedSizeListArray.from_arrays(self.bands.reshape(-1), self.bands.shape[1]),
        }
        if self.minhash is not None:
            columns["minhash"] = pa.FixedSizeListArray.from_arrays(
                self.minhash.reshape(-1), self.minhash.shape[1]
            )
        return pa.table(columns)

    @classmethod
    def from_arrow(cls, table: pa.Table) -> SignatureBatch:
        """Inverse of ``to_arrow`` (extra columns, such as ids, are ignored)."""

        def matrix(name: str) -> Any:
            column = table[name].combine_chunks()
            return column.flatten().to_numpy().reshape(len(column), column.type.list_size)

        return cls(
            exact=np.stack([table["exact0"].to_numpy(), table["exact1"].to_numpy()], axis=1),
            bands=matrix("bands"),
            has_text=table["has_text"].to_numpy(zero_copy_only=False),
            minhash=matrix("minhash") if "minhash" in table.column_names else None,
        )


def normalize(text: str) -> str:
    """The text dedup compares: NFKC, case-folded, whitespace collapsed to single spaces."""
    if text.isascii():  # ASCII is NFKC already, and its case folding is lower()
        return " ".join(text.lower().split())
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _mix(x: _U64) -> _U64:
    """splitmix64's finalizer: a bijective 64-bit mixer, so every output bit depends on every input bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def signatures(docs: Sequence[Sequence[str]], params: DedupParams = DedupParams()) -> SignatureBatch:
    """Exact keys and LSH band keys of ``docs`` (each a conversation's user turns), vectorized per batch."""
    n = len(docs)
    exact = np.empty((n, 2), dtype=np.int64)
    texts: list[str] = []
    for i, turns in enumerate(docs):
        normalized = [normalize(t) for t in turns]
        # The separator keeps ["ab", "c"] and ["a", "bc"] apart.
        digest = hashlib.blake2b("\x1e".join(normalized).encode(), digest_size=16).digest()
        exact[i] = np.frombuffer(digest, dtype=np.int64)
        texts.append(" ".join(t for t in normalized if t))
    has_text = np.fromiter((len(t) > 0 for t in texts), dtype=np.bool_, count=n)
    minhashes = _minhash(texts, params)
    return SignatureBatch(
        exact=exact, bands=_band_keys(minhashes, params), has_text=has_text, minhash=minhashes
    )


def _shingle_hashes(texts: list[str], k: int, seed: int) -> tuple[_U64, npt.NDArray[np.int64]]:
    """64-bit hashes of every character k-gram of every text, and the index of the text each comes from."""
    # A non-empty text shorter than k is padded with NULs (absent from normalized text): one shingle.
    padded = [t + "\0" * (k - len(t)) if 0 < len(t) < k else t for t in texts]
    lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
    # One UTF-32 buffer for the whole batch: code points as integers without a Python loop per character.
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    starts = np.cumsum(lengths) - lengths
    counts = np.where(lengths > 0, lengths - k + 1, 0)
    total = int(counts.sum())
    doc_of = np.repeat(np.arange(len(padded), dtype=np.int64), counts)
    pos = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total, dtype=np.int64)
    # Rolling polynomial hash of the k-gram starting at every position of the buffer (k vector passes);
    # grams that straddle two texts are computed too but never selected by ``pos``.
    windows = max(len(codes) - k + 1, 0)
    prime = np.uint64(1_000_003)
    h = np.full(windows, np.uint64(seed), dtype=np.uint64)
    for j in range(k):
        h = h * prime + codes[j : j + windows]
    return _mix(h[pos]), doc_of


def _minhash(texts: list[str], params: DedupParams) -> npt.NDArray[np.uint32]:
    """One-permutation MinHash with rotation densification: (n, num_perm) uint32."""
    k = params.num_perm
    n = len(texts)
    hashes, doc_of = _shingle_hashes(texts, params.shingle_size, params.seed)
    # The top 32 bits choose the bin (multiply-high maps them to [0, k) for any k); the low 32 are the value.
    bins = (((hashes >> np.uint64(32)) * np.uint64(k)) >> np.uint64(32)).astype(np.int64)
    values = (hashes & _MASK32).astype(np.uint32)
    flat = np.full(n * k, _EMPTY, dtype=np.uint32)
    np.minimum.at(flat, doc_of * k + bins, values)
    sig = flat.reshape(n, k)
    empty = sig == _EMPTY
    if empty.any():
        sig = _densify(sig, empty, params.seed)
    return sig


_MAX_PROBES: Final = 256


@lru_cache(maxsize=8)
def _probe_table(k: int, seed: int) -> npt.NDArray[np.int64]:
    """The fixed probe sequence of every bin: (attempts, k) bin indices, the same in every process."""
    return np.random.default_rng(seed).integers(0, k, size=(_MAX_PROBES, k), dtype=np.int64)


def _densify(sig: npt.NDArray[np.uint32], empty: npt.NDArray[np.bool_], seed: int) -> npt.NDArray[np.uint32]:
    """Optimal densification (Shrivastava 2017): each empty bin copies the value of the first non-empty
    bin along its own fixed pseudo-random probe sequence.

    Independent probe sequences per bin keep each bin's collision probability equal to the Jaccard
    similarity without the correlated runs of rotation densification (which made short, unrelated
    prompts collide). The rare bin whose probes all miss (a document with one or two shingles) takes
    the next non-empty bin to its right. Rows with no shingle at all stay empty (no band keys).
    """
    k = sig.shape[1]
    has_any = np.logical_not(np.all(empty, axis=1))
    rows, cols = np.nonzero(empty & has_any.reshape(-1, 1))
    out = sig.copy()
    probes = _probe_table(k, seed)
    pending = np.arange(rows.size)
    for attempt in range(_MAX_PROBES):
        if not pending.size:
            return out
        cand = probes[attempt, cols[pending]]
        hit = ~empty[rows[pending], cand]
        done = pending[hit]
        out[rows[done], cols[done]] = sig[rows[done], cand[hit]]
        pending = pending[~hit]
    # Fallback for the leftovers: the next non-empty bin to the right, circularly.
    r, c = rows[pending], cols[pending]
    nonempty2 = np.concatenate([~empty, ~empty], axis=1)[r]
    nxt = np.argmax(nonempty2[:, :] & (np.arange(2 * k) > c[:, None]), axis=1) % k
    out[r, c] = sig[r, nxt]
    return out


def _band_keys(sig: npt.NDArray[np.uint32], params: DedupParams) -> npt.NDArray[np.int64]:
    """Hash each band's ``rows`` values into one 64-bit key (the band index is mixed in)."""
    n = sig.shape[0]
    bands = sig.reshape(n, params.bands, params.rows).astype(np.uint64)
    h = np.broadcast_to(
        np.arange(params.bands, dtype=np.uint64) + np.uint64(params.seed << 8), (n, params.bands)
    )
    for r in range(params.rows):
        h = _mix(h ^ bands[:, :, r])
    return h.view(np.int64)
