"""Peak memory of `wildchat import` on a big JSON array, beside loading the whole file at once.

The figure: peak RSS (and wall time) of `wildchat import --format sharegpt` on a synthetic ShareGPT
JSON array, which the importer decodes element by element from a sliding window and writes in shards.
The baseline: the obvious way, `json.load` of the whole file, every row built, one Arrow table, one
Parquet file. Each runs in its own process so that its peak RSS is its own. One run of each.

    .venv/bin/python benchmarks/import_memory.py [--conversations 60000] [--shard-rows 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "the",
    "a",
    "model",
    "user",
    "prompt",
    "answer",
    "city",
    "river",
    "music",
    "code",
    "python",
    "data",
    "light",
    "sound",
    "north",
    "paper",
]

MEASURE = """
import json, resource, sys, time
start = time.perf_counter()
{body}
print(json.dumps({{"seconds": time.perf_counter() - start,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

STREAMING = """
from pathlib import Path
from wildchat.analyze.importers import run_import
result = run_import("sharegpt", [Path(sys.argv[1])], Path(sys.argv[2]), shard_rows=int(sys.argv[3]))
assert result.conversations == int(sys.argv[4])
"""

WHOLE_FILE = """
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
from wildchat.records import CORPUS_SCHEMA
items = json.load(open(sys.argv[1], encoding="utf-8"))
rows = []
for i, item in enumerate(items):
    turns = [{"role": "user" if m["from"] == "human" else "assistant", "content": m["value"]}
             for m in item["conversations"]]
    rows.append({"conversation_id": item["id"], "conversation": turns,
                 "turn": sum(t["role"] == "user" for t in turns),
                 "openai_moderation": [], "detoxify_moderation": []})
table = pa.Table.from_pylist(rows, schema=CORPUS_SCHEMA)
Path(sys.argv[2]).mkdir(parents=True, exist_ok=True)
pq.write_table(table, Path(sys.argv[2]) / "train-00000.parquet", compression="zstd")
assert table.num_rows == int(sys.argv[4])
"""


def make_sharegpt(path: Path, conversations: int) -> None:
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[\n")
        for i in range(conversations):
            messages = []
            for turn in range(rng.randint(1, 4)):
                for speaker, words in (("human", 40), ("gpt", 220)):
                    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(words // 4, words)))
                    messages.append({"from": speaker, "value": f"{turn}: {text}"})
            fh.write(("," if i else "") + json.dumps({"id": f"conv{i}", "conversations": messages}) + "\n")
        fh.write("]\n")


def run(body: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE.format(body=body), *args], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=60_000)
    parser.add_argument("--shard-rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-memory-") as tmp:
        source = Path(tmp) / "sharegpt.json"
        started = time.perf_counter()
        make_sharegpt(source, args.conversations)
        size_mib = source.stat().st_size / 2**20
        print(
            f"input: {args.conversations:,} ShareGPT conversations, {size_mib:,.0f} MiB JSON array "
            f"(made in {time.perf_counter() - started:.0f} s)"
        )
        n = str(args.conversations)
        streaming = run(STREAMING, str(source), str(Path(tmp) / "streamed"), str(args.shard_rows), n)
        whole = run(WHOLE_FILE, str(source), str(Path(tmp) / "whole"), str(args.shard_rows), n)
    print(f"{'':28}{'peak RSS':>12}{'wall time':>12}")
    print(
        f"{'wildchat import (stream)':28}{streaming['peak_rss_mib']:>9,.0f} MiB{streaming['seconds']:>10.1f} s"
    )
    print(f"{'baseline: json.load + table':28}{whole['peak_rss_mib']:>9,.0f} MiB{whole['seconds']:>10.1f} s")
    print(
        f"ratio (import / baseline): peak RSS {streaming['peak_rss_mib'] / whole['peak_rss_mib']:.2f}, "
        f"wall time {streaming['seconds'] / whole['seconds']:.2f}"
    )


if __name__ == "__main__":
    main()
