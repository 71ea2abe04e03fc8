"""Figure: `wildchat report` on a 1M-conversation corpus: wall time and peak RSS (target <= 120 s, <= 4 GB).

Builds the corpus with its own vectorised generator (numpy -> Arrow, no Python loop per row) with
WildChat-like distributions: user turns per conversation (geometric, mean ~2.3, long tail), languages
and countries (WildChat's top shares plus a long tail), states, heavy-tailed users per hashed IP,
timestamps over a year with a daily cycle, log-normal prompt/response lengths, model mix, moderation
flags and Detoxify scores (about 10% toxic user turns). The corpus is cached under benchmarks/out/.

Then runs `wildchat report` in a child process and, as the side-by-side baseline, a naive pure-Python
pass (pyarrow to_pylist, row by row) computing Table 1's count-based columns over the same shards.

    .venv/bin/python benchmarks/report_scale.py [--conversations 1000000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from wildchat.corpus_io import shard_files, write_shard
from wildchat.records import (
    CORPUS_SCHEMA,
    DETOXIFY_LABELS,
    MODERATION_CATEGORIES,
    OPENAI_MODERATION_TYPE,
    TURN_TYPE,
)

OUT = Path(__file__).resolve().parent / "out"
SHARD_ROWS = 50_000

LANGS = [
    "English",
    "Chinese",
    "Russian",
    "French",
    "Spanish",
    "Portuguese",
    "German",
    "Arabic",
    "Italian",
    "Turkish",
    "Japanese",
    "Korean",
    "Vietnamese",
    "Polish",
    "Indonesian",
    "Ukrainian",
    "Dutch",
    "Persian",
]
LANG_P = [
    0.53,
    0.13,
    0.12,
    0.03,
    0.03,
    0.02,
    0.02,
    0.02,
    0.01,
    0.01,
    0.01,
    0.01,
    0.01,
    0.01,
    0.005,
    0.005,
    0.004,
    0.004,
]
TAIL_LANGS = [f"Language{i:02d}" for i in range(50)]  # the long tail of rare languages
COUNTRIES = {
    "United States": ["California", "New York", "Texas", "Florida", "Washington"],
    "Russia": ["Moscow", "Saint Petersburg", "Novosibirsk Oblast"],
    "China": ["Beijing", "Shanghai", "Guangdong"],
    "Hong Kong": ["Central and Western"],
    "United Kingdom": ["England", "Scotland"],
    "Germany": ["Bavaria", "Berlin"],
    "France": ["Île-de-France"],
    "Japan": ["Tokyo"],
    "Canada": ["Ontario", "Quebec"],
    "India": ["Maharashtra", "Karnataka"],
    "Brazil": ["São Paulo"],
    "Türkiye": ["Istanbul"],
}
COUNTRY_P = [0.21, 0.15, 0.12, 0.05, 0.04, 0.03, 0.03, 0.02, 0.02, 0.02, 0.02, 0.02]
MODELS = [
    "gpt-3.5-turbo-0301",
    "gpt-3.5-turbo-0613",
    "gpt-3.5-turbo-0125",
    "gpt-4-0314",
    "gpt-4-1106-preview",
    "gpt-4-0125-preview",
]
MODEL_P = [0.35, 0.30, 0.10, 0.10, 0.10, 0.05]
WORDS = [
    "the",
    "a",
    "to",
    "of",
    "and",
    "in",
    "is",
    "for",
    "you",
    "it",
    "that",
    "on",
    "with",
    "as",
    "this",
    "be",
    "are",
    "can",
    "write",
    "story",
    "code",
    "please",
    "explain",
    "function",
    "data",
    "how",
    "what",
    "why",
    "make",
    "list",
    "python",
    "table",
    "model",
    "user",
    "time",
    "people",
    "help",
    "answer",
    "question",
    "привет",
    "как",
    "это",
    "что",
    "для",
    "мир",
    "你好",
    "我们",
    "这个",
    "什么",
    "bonjour",
    "hola",
    "gracias",
    "danke",
]


def word_pool(rng: np.random.Generator, size: int) -> np.ndarray:
    words = rng.choice(np.array(WORDS, dtype=object), size=size // 5)
    return np.frombuffer(" ".join(words).encode("utf-8"), dtype=np.uint8)


def string_array(pool: np.ndarray, lengths: np.ndarray, start: int) -> pa.Array:
    """Consecutive slices of the (tiled) pool: message i is pool[cum_i : cum_i + len_i], no Python loop."""
    # Cut at byte lengths, then fix the offsets so no multi-byte character is split: snap each offset
    # back to a UTF-8 boundary (continuation bytes are 0b10xxxxxx).
    total = int(lengths.sum())
    while (pool[start % len(pool)] & 0xC0) == 0x80:  # start on a character boundary
        start += 1
    data = np.resize(np.roll(pool, -start), total + 4)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    for _ in range(3):
        cont = (data[offsets] & 0xC0) == 0x80
        offsets = offsets - cont.astype(np.int64)
    offsets = np.maximum.accumulate(offsets)
    return pa.LargeStringArray.from_buffers(
        len(lengths), pa.py_buffer(offsets), pa.py_buffer(data[: offsets[-1]].tobytes())
    ).cast(pa.string())


def moderation(rng: np.random.Generator, toxic: np.ndarray) -> tuple[pa.Array, pa.Array]:
    n = len(toxic)
    cats, scores = [], []
    for k, _name in enumerate(MODERATION_CATEGORIES):
        flag = toxic & (rng.random(n) < (0.5 if k in (12, 0) else 0.08))
        cats.append(pa.array(flag))
        scores.append(pa.array(np.where(flag, rng.uniform(0.5, 1, n), rng.uniform(0, 0.05, n))))
    oai = pa.StructArray.from_arrays(
        [
            pa.StructArray.from_arrays(cats, list(MODERATION_CATEGORIES)),
            pa.StructArray.from_arrays(scores, list(MODERATION_CATEGORIES)),
            pa.array(toxic),
        ],
        fields=list(OPENAI_MODERATION_TYPE),
    )
    base = rng.beta(0.3, 20, (len(DETOXIFY_LABELS), n))
    base[DETOXIFY_LABELS.index("toxicity")] = np.where(toxic, rng.uniform(0.1, 1, n), rng.uniform(0, 0.09, n))
    dtx = pa.StructArray.from_arrays([pa.array(b) for b in base], list(DETOXIFY_LABELS))
    return oai, dtx


def make_shard(rng: np.random.Generator, n: int, first: int, pool: np.ndarray, ips: np.ndarray) -> pa.Table:
    user_turns = np.minimum(rng.geometric(0.44, n), 200)
    msgs = 2 * user_turns
    total = int(msgs.sum())
    conv_of = np.repeat(np.arange(n), msgs)
    within = np.arange(total) - np.repeat(np.cumsum(msgs) - msgs, msgs)
    is_user = within % 2 == 0
    lang_all = np.array(LANGS + TAIL_LANGS, dtype=object)
    lang_p = np.array(LANG_P + [(1 - sum(LANG_P)) / len(TAIL_LANGS)] * len(TAIL_LANGS))
    conv_lang = rng.choice(lang_all, n, p=lang_p / lang_p.sum())
    countries = np.array(list(COUNTRIES), dtype=object)
    conv_country = rng.choice(np.append(countries, "Other"), n, p=np.append(COUNTRY_P, 1 - sum(COUNTRY_P)))
    conv_state = np.full(n, None, dtype=object)
    for country, states in COUNTRIES.items():
        mask = conv_country == country
        conv_state[mask] = rng.choice(np.array(states, dtype=object), int(mask.sum()))
    # Heavy-tailed activity: low user indices are drawn far more often than high ones.
    conv_ip = ips[(len(ips) * rng.random(n) ** 2.5).astype(np.int64)]
    start = np.datetime64("2023-04-09T00:00:00", "s").astype(np.int64)
    days = rng.integers(0, 386, n)
    hours = rng.choice(24, n, p=(lambda w: w / w.sum())(1.2 + np.sin((np.arange(24) - 9) / 24 * 2 * np.pi)))
    ts = (start + days * 86400 + hours * 3600 + rng.integers(0, 3600, n)) * 1_000_000
    lengths = np.where(is_user, rng.lognormal(4.8, 1.3, total), rng.lognormal(6.8, 0.8, total)).astype(
        np.int64
    )
    lengths = np.clip(lengths, 1, 60_000)
    content = string_array(pool, lengths, int(rng.integers(0, len(pool))))
    toxic = is_user & (rng.random(total) < 0.10)
    role = pa.DictionaryArray.from_arrays(
        pa.array(np.where(is_user, 0, 1).astype(np.int32)), pa.array(["user", "assistant"])
    ).cast(pa.string())
    turn_ts = pa.array(np.repeat(ts, msgs) + within * 30_000_000, type=pa.timestamp("us", tz="UTC"))

    def user_only(values: np.ndarray) -> pa.Array:
        return pa.array(np.where(is_user, values, np.array(None, dtype=object)))

    header = pa.StructArray.from_arrays(
        [
            user_only(np.repeat(np.array(["en-US,en;q=0.9"] * n, dtype=object), msgs)),
            user_only(np.repeat(np.array(["Mozilla/5.0"] * n, dtype=object), msgs)),
        ],
        ["accept-language", "user-agent"],
    )
    turns = pa.StructArray.from_arrays(
        [
            content,
            user_only(np.repeat(conv_country, msgs)),
            user_only(np.repeat(conv_ip, msgs)),
            header,
            pa.array(np.repeat(conv_lang, msgs)),
            pa.array(np.zeros(total, dtype=bool)),
            role,
            user_only(np.repeat(conv_state, msgs)),
            turn_ts,
            pa.array(toxic),
            pa.array(first * 10 + np.arange(total, dtype=np.int64)),
        ],
        fields=list(TURN_TYPE),
    )
    offsets = pa.array(np.concatenate([[0], np.cumsum(msgs)]).astype(np.int32))
    oai, dtx = moderation(rng, toxic)
    conv_toxic = np.zeros(n, dtype=bool)
    np.logical_or.at(conv_toxic, conv_of, toxic)
    ids = pa.array([f"{first + i:032x}" for i in range(n)])
    columns = {
        "conversation_hash": ids,
        "model": pa.array(rng.choice(np.array(MODELS, dtype=object), n, p=MODEL_P)),
        "timestamp": pa.array(ts, type=pa.timestamp("us", tz="UTC")),
        "conversation": pa.ListArray.from_arrays(offsets, turns),
        "turn": pa.array(user_turns.astype(np.int64)),
        "language": pa.array(conv_lang),
        "openai_moderation": pa.ListArray.from_arrays(offsets, oai),
        "detoxify_moderation": pa.ListArray.from_arrays(offsets, dtx),
        "toxic": pa.array(conv_toxic),
        "redacted": pa.array(np.zeros(n, dtype=bool)),
        "state": pa.array(conv_state),
        "country": pa.array(conv_country),
        "hashed_ip": pa.array(conv_ip),
        "header": pa.StructArray.from_arrays(
            [pa.array(["en-US,en;q=0.9"] * n), pa.array(["Mozilla/5.0"] * n)],
            ["accept-language", "user-agent"],
        ),
        "conversation_id": ids,
    }
    return pa.table(columns).cast(CORPUS_SCHEMA)


def build_corpus(path: Path, conversations: int, seed: int = 7) -> float:
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    pool = word_pool(rng, 16_000_000)
    ips = np.array([f"{h:064x}" for h in rng.integers(0, 2**63, 250_000)], dtype=object)
    stage = path.with_name(path.name + ".partial")
    shutil.rmtree(stage, ignore_errors=True)
    for index, first in enumerate(range(0, conversations, SHARD_ROWS)):
        n = min(SHARD_ROWS, conversations - first)
        write_shard(stage, index, make_shard(rng, n, first, pool, ips))
        print(f"  generated {first + n:,}/{conversations:,} conversations", end="\r", flush=True)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(stage, path)
    print()
    return time.perf_counter() - started


def run_child(args: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak RSS (GB) and exit status of a child process (its rusage, via wait4).

    CPU seconds are printed too because this machine is shared: wall time grows with other people's load.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(args)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, cpu, usage.ru_maxrss / 1024 / 1024, proc.returncode


BASELINE = r"""
import sys, statistics, pyarrow.parquet as pq
from pathlib import Path
from wildchat.corpus_io import shard_files
convs = 0; users = set(); turns = []; langs = {}; toxic = 0; user_turns = 0
for f in shard_files(Path(sys.argv[1])):
    for batch in pq.ParquetFile(f).iter_batches(batch_size=5000, columns=["conversation", "hashed_ip"]):
        for row in batch.to_pylist():
            convs += 1
            if row["hashed_ip"]:
                users.add(row["hashed_ip"])
            n = 0
            for m in row["conversation"]:
                if m["role"] == "user":
                    n += 1; user_turns += 1; toxic += bool(m["toxic"])
                    langs[m["language"]] = langs.get(m["language"], 0) + 1
            turns.append(n)
print(f"baseline: {convs:,} conversations, {len(users):,} users, mean turns {statistics.fmean(turns):.2f}, "
      f"{len(langs)} languages, toxic {toxic / user_turns:.2%}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    corpus = OUT / f"synthetic-{args.conversations}"
    if not shard_files(corpus):
        print(f"building a {args.conversations:,}-conversation corpus in {corpus} ...")
        print(f"  generator: {build_corpus(corpus, args.conversations):.1f} s")
    size = sum(f.stat().st_size for f in shard_files(corpus)) / 1e9
    print(f"corpus: {corpus} ({len(shard_files(corpus))} shards, {size:.2f} GB)")
    report_dir = OUT / f"report-{args.conversations}"
    wildchat = str(Path(sys.executable).with_name("wildchat"))
    wall, cpu, rss, rc = run_child(
        [wildchat, "report", str(corpus), "--out", str(report_dir), "--name", "synthetic", "--no-progress"]
    )
    if rc != 0:
        sys.exit(f"wildchat report failed with exit status {rc}")
    load = os.getloadavg()[0]
    print(
        f"report:   wall {wall:7.1f} s   CPU {cpu:7.1f} s   peak RSS {rss:5.2f} GB   (target <= 120 s, <= 4 GB)"
    )
    if not args.skip_baseline:
        b_wall, b_cpu, b_rss, b_rc = run_child([sys.executable, "-c", BASELINE, str(corpus)])
        print(
            f"baseline: wall {b_wall:7.1f} s   CPU {b_cpu:7.1f} s   peak RSS {b_rss:5.2f} GB   (naive pure-Python "
            "pass: Table 1's count columns only, no tokens, figures or embeddings)"
        )
        if b_rc == 0:
            print(
                f"ratio:    report/baseline wall {wall / b_wall:.2f}x, CPU {cpu / b_cpu:.2f}x, "
                f"peak RSS {rss / b_rss:.2f}x"
            )
    print(f"(1-minute load average at the end: {load:.1f} on {os.cpu_count()} cores)")
    print((report_dir / "table1.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
