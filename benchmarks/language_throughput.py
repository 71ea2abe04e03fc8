"""Language labelling throughput: ``LanguageDetector.detect`` (batched) vs lingua one text at a time.

Texts: real WildChat prompts and responses from ``../shared/data/public/wildchat-4.8m`` when present
(chat turns as the builder sees them, long replies included), else the multilingual test sentences,
repeated to --texts. Same detector (all languages, high accuracy, models preloaded), one run each:

1. baseline: ``detect_language_of`` in a Python loop, one text per call;
2. ours, batched with lingua's thread pool (``detect_languages_in_parallel_of``), full texts;
3. ours, batched, each text truncated to --max-chars (the default, 1000).

Prints the model load time and peak RSS, texts/s for each, and the ratios to the baseline.

    .venv/bin/python benchmarks/language_throughput.py [--texts 3000] [--max-chars 1000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import sys
import time
from pathlib import Path

from wildchat.curate.language import LanguageDetector, language_name

REPO = Path(__file__).resolve().parents[1]
WILDCHAT = REPO.parent / "shared" / "data" / "public" / "wildchat-4.8m" / "wildchat_clean_head.jsonl"


def load_texts(n: int) -> tuple[list[str], str]:
    if WILDCHAT.exists():
        texts: list[str] = []
        with WILDCHAT.open() as f:
            for line in f:
                row = json.loads(line)
                texts += [row.get("prompt") or "", row.get("response") or ""]
        source = f"WildChat turns ({WILDCHAT.name})"
    else:
        sys.path.insert(0, str(REPO / "tests" / "curate"))
        from test_language import SENTENCES

        texts = list(SENTENCES.values())
        source = "the multilingual test sentences"
    return list(itertools.islice(itertools.cycle(texts), n)), source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--max-chars", type=int, default=1000)
    args = parser.parse_args()

    texts, source = load_texts(args.texts)
    print(f"{len(texts):,} texts from {source}, mean {sum(map(len, texts)) / len(texts):,.0f} chars")
    started = time.perf_counter()
    detector = LanguageDetector(max_chars=None)
    load_s = time.perf_counter() - started
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"lingua, all languages, high accuracy: models loaded in {load_s:.1f} s, peak RSS {rss_gb:.2f} GB\n"
    )

    lingua = detector._detector
    t = time.perf_counter()
    baseline = [
        language_name(lingua.detect_language_of(text)) if text.strip() else "Nolang" for text in texts
    ]
    base_rate = len(texts) / (time.perf_counter() - t)

    t = time.perf_counter()
    batched = detector.detect(texts)
    batched_rate = len(texts) / (time.perf_counter() - t)

    detector.max_chars = args.max_chars
    t = time.perf_counter()
    truncated = detector.detect(texts)
    truncated_rate = len(texts) / (time.perf_counter() - t)

    agree = sum(a == b for a, b in zip(batched, truncated, strict=True)) / len(texts)
    print(f"  baseline: one text per call            {base_rate:8,.0f} texts/s")
    print(
        f"  ours: batched, lingua's thread pool     {batched_rate:8,.0f} texts/s  = {batched_rate / base_rate:.2f}x"
    )
    print(
        f"  ours: batched, first {args.max_chars} chars        {truncated_rate:8,.0f} texts/s  = "
        f"{truncated_rate / base_rate:.2f}x  (same label as full text for {agree:.1%})"
    )
    assert batched == baseline, "batched labels differ from one-at-a-time labels"


if __name__ == "__main__":
    main()
