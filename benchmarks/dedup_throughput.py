"""Dedup throughput: ours (curate/dedup.py) vs datatrove's four-stage MinHash dedup, same documents.

Both read the same seeded synthetic prompts from JSONL shards, use 2 worker processes, find exact and
near duplicates and write the kept documents back as JSONL:

* ours: signatures in 2 worker processes (one per shard) -> ``DedupIndex`` (Parquet runs + DuckDB)
  -> resolve -> filter (look each shard's ids up, write the kept documents);
* datatrove: ``MinhashDedupSignature`` -> ``MinhashDedupBuckets`` -> ``MinhashDedupCluster`` ->
  ``MinhashDedupFilter`` (its defaults: word 5-grams, 14 buckets x 8 hashes), ``LocalPipelineExecutor``
  with 2 workers.

The corpus: chat-like prompts (Zipf-distributed words, 10% of them CJK, log-normal lengths), of which
5% are exact copies of an earlier prompt with case/spacing changed and 10% are copies with 1-3 words
edited. Prints seconds per stage, documents/s end to end, the ratio, and how many duplicates each found.
One run each (datatrove logs to stderr: add `2>/dev/null` to see only the figures):

    .venv/bin/python benchmarks/dedup_throughput.py [--docs 100000] [--skip-datatrove]
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson

SHARDS = 2


def synthetic_corpus(
    n: int, seed: int = 0, pairs: list[tuple[int, int, str]] | None = None
) -> tuple[list[str], dict[str, int]]:
    """Seeded prompts with planted exact (re-cased/re-spaced) and near (1-3 words edited) duplicates."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ren", "to", "sa", "vu", "ne", "di", "por", "tal", "es", "qu", "an", "ble"]
    vocab = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(20_000)]
    cjk = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    cum_weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocab))))
    docs: list[str] = []
    planted = {"exact": 0, "near": 0}
    for _ in range(n):
        roll = rng.random()
        if docs and roll < 0.05:
            i = rng.randrange(len(docs))
            src = docs[i]
            docs.append("  " + src.upper() if rng.random() < 0.5 else src.replace(" ", "  "))
            planted["exact"] += 1
            if pairs is not None:
                pairs.append((len(docs) - 1, i, "exact"))
        elif docs and roll < 0.15:
            i = rng.randrange(len(docs))
            words = docs[i].split(" ")
            for _ in range(rng.randint(1, 3)):
                words[rng.randrange(len(words))] = rng.choice(vocab)
            docs.append(" ".join(words))
            planted["near"] += 1
            if pairs is not None:
                pairs.append((len(docs) - 1, i, "near"))
        else:
            length = max(8, min(800, int(rng.lognormvariate(4.0, 0.8))))
            if rng.random() < 0.1:
                docs.append(
                    " ".join("".join(rng.choices(cjk, k=rng.randint(4, 12))) for _ in range(length // 6 + 1))
                )
            else:
                docs.append(" ".join(rng.choices(vocab, cum_weights=cum_weights, k=length)))
    return docs, planted


def write_shards(docs: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    paths = [folder / f"{i:05d}.jsonl" for i in range(SHARDS)]
    for i, path in enumerate(paths):
        with path.open("wb") as f:
            for j in range(i, len(docs), SHARDS):
                f.write(orjson.dumps({"id": f"d{j:07d}", "text": docs[j], "order": j}) + b"\n")
    return paths


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        return [orjson.loads(line) for line in f]


def _signatures_of_shard(path: Path) -> tuple[list[str], list[int], Any]:
    from wildchat.curate.dedup import SignatureBatch, signatures

    rows = _read(path)
    parts = [signatures([[r["text"]] for r in rows[i : i + 2000]]) for i in range(0, len(rows), 2000)]
    import numpy as np

    sigs = SignatureBatch(
        exact=np.concatenate([p.exact for p in parts]),
        bands=np.concatenate([p.bands for p in parts]),
        has_text=np.concatenate([p.has_text for p in parts]),
        minhash=np.concatenate([p.minhash for p in parts if p.minhash is not None]),
    )
    return [r["id"] for r in rows], [r["order"] for r in rows], sigs


def run_ours(paths: list[Path], work: Path) -> tuple[dict[str, float], int, dict[str, int]]:
    from wildchat.curate.dedup import DedupIndex

    times: dict[str, float] = {}
    start = t = time.perf_counter()
    with ProcessPoolExecutor(SHARDS) as pool:
        shards = list(pool.map(_signatures_of_shard, paths))
    times["signatures (2 processes)"] = time.perf_counter() - t
    t = time.perf_counter()
    kept = 0
    with DedupIndex(workdir=work / "index") as index:
        for ids, order, sigs in shards:
            index.add(ids, order, sigs)
        result = index.resolve()
        times["index + resolve (DuckDB)"] = time.perf_counter() - t
        t = time.perf_counter()
        out = work / "kept"
        out.mkdir()
        for path in paths:
            rows = _read(path)
            keep = result.keep_mask([r["id"] for r in rows], "drop")
            with (out / path.name).open("wb") as f:
                for row, k in zip(rows, keep, strict=True):
                    if k:
                        f.write(orjson.dumps(row) + b"\n")
                        kept += 1
        times["filter + write"] = time.perf_counter() - t
        counts = result.counts()
    times["total"] = time.perf_counter() - start
    return times, kept, counts


def _xxhash64_of_str(data: str | bytes) -> int:
    """datatrove hashes ``str`` shingles with xxhash, which xxhash >= 4 only accepts as bytes: encode first
    (exactly what xxhash < 4 did internally), so datatrove runs as it was written to."""
    import xxhash

    return int(xxhash.xxh64_intdigest(data.encode() if isinstance(data, str) else data))


def run_datatrove(inputs: Path, work: Path) -> tuple[dict[str, float], int]:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    config = MinhashConfig()
    logs = str(work / "logs")

    def reader() -> JsonlReader:
        return JsonlReader(str(inputs), glob_pattern="*.jsonl", id_key="id", text_key="text")

    signature = MinhashDedupSignature(output_folder=str(work / "sigs"), config=config)
    signature._hash_func = _xxhash64_of_str
    stages = {
        "1 signatures": LocalPipelineExecutor(
            pipeline=[reader(), signature],
            tasks=SHARDS,
            workers=SHARDS,
            logging_dir=f"{logs}/1",
        ),
        "2 buckets": LocalPipelineExecutor(
            pipeline=[
                MinhashDedupBuckets(
                    input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=config
                )
            ],
            tasks=config.num_buckets,
            workers=SHARDS,
            logging_dir=f"{logs}/2",
        ),
        "3 cluster": LocalPipelineExecutor(
            pipeline=[
                MinhashDedupCluster(
                    input_folder=str(work / "buckets"), output_folder=str(work / "remove"), config=config
                )
            ],
            tasks=1,
            logging_dir=f"{logs}/3",
        ),
        "4 filter + write": LocalPipelineExecutor(
            pipeline=[
                reader(),
                MinhashDedupFilter(input_folder=str(work / "remove")),
                JsonlWriter(str(work / "kept"), compression=None),
            ],
            tasks=SHARDS,
            workers=SHARDS,
            logging_dir=f"{logs}/4",
        ),
    }
    times: dict[str, float] = {}
    start = time.perf_counter()
    for name, executor in stages.items():
        t = time.perf_counter()
        executor.run()
        times[name] = time.perf_counter() - t
    times["total"] = time.perf_counter() - start
    kept = sum(1 for p in (work / "kept").glob("*.jsonl") for _ in p.open("rb"))
    return times, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--skip-datatrove", action="store_true")
    args = parser.parse_args()

    docs, planted = synthetic_corpus(args.docs)
    work = Path(tempfile.mkdtemp(prefix="dedup-bench-"))
    try:
        paths = write_shards(docs, work / "input")
        print(
            f"{len(docs):,} documents in {SHARDS} shards, mean {sum(map(len, docs)) / len(docs):.0f} chars; "
            f"planted {planted['exact']:,} exact and {planted['near']:,} near duplicates\n"
        )
        ours, ours_kept, counts = run_ours(paths, work / "ours")
        for name, seconds in ours.items():
            print(f"  ours       {name:<28} {seconds:8.2f} s")
        ours_rate = len(docs) / ours["total"]
        print(
            f"  ours: {ours_rate:,.0f} docs/s end to end; found {counts['exact_duplicates']:,} exact + "
            f"{counts['near_duplicates']:,} near, kept {ours_kept:,}\n"
        )
        if args.skip_datatrove:
            return
        theirs, theirs_kept = run_datatrove(work / "input", work / "datatrove")
        for name, seconds in theirs.items():
            print(f"  datatrove  {name:<28} {seconds:8.2f} s")
        theirs_rate = len(docs) / theirs["total"]
        print(
            f"  datatrove: {theirs_rate:,.0f} docs/s end to end; removed {len(docs) - theirs_kept:,}, kept {theirs_kept:,}\n"
        )
        print(
            f"end to end: ours {ours_rate:,.0f} docs/s vs datatrove {theirs_rate:,.0f} docs/s "
            f"= {ours_rate / theirs_rate:.1f}x"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
