"""PII/secret redaction: precision and recall per entity, hard negatives touched, and texts/s vs plain Presidio.

Figures, each printed beside the same figure for plain Presidio defaults (its predefined recognizers and its
default lemma context enhancer, over the same blank spaCy pipeline, since its default model cannot be
downloaded here; its email recognizer uses the bundled suffix list instead of fetching one):

1. precision and recall per entity type on tests/curate/pii/eval_cases.jsonl (NER-only spans apart when no
   spaCy NER model is installed);
2. the share of identifier-like non-PII cases (families ``neg:*``) that get any finding;
3. throughput in texts/s, one process, on realistic chat text: WildChat's own prompts and responses
   (``../shared/data/public/wildchat-4.8m``) when present, else the evaluation texts, repeated to --texts.
   Plain Presidio runs on the first --baseline-texts of the same stream (it is much slower). One run each.

    .venv/bin/python benchmarks/pii_eval.py [--texts 6000] [--baseline-texts 600]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from wildchat.curate.pii import Finding, Redactor
from wildchat.curate.pii.analyzer import LANGUAGE, LocalSpacyNlpEngine, OfflineEmailRecognizer
from wildchat.curate.pii.evaluation import Score, load_cases, score

REPO = Path(__file__).resolve().parents[1]
EVAL_CASES = REPO / "tests" / "curate" / "pii" / "eval_cases.jsonl"
WILDCHAT = REPO.parent / "shared" / "data" / "public" / "wildchat-4.8m" / "wildchat_clean_head.jsonl"


class PlainPresidio:
    """Presidio as its README sets it up (analyzer + anonymizer defaults), on a blank spaCy pipeline."""

    def __init__(self) -> None:
        from presidio_analyzer import AnalyzerEngine
        from presidio_anonymizer import AnonymizerEngine

        self.analyzer = AnalyzerEngine(nlp_engine=LocalSpacyNlpEngine(None))
        self.analyzer.registry.remove_recognizer("EmailRecognizer")
        self.analyzer.registry.add_recognizer(OfflineEmailRecognizer())
        self.anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]

    def find(self, texts: Sequence[str]) -> list[list[Finding]]:
        out = []
        for text in texts:
            results = self.analyzer.analyze(text=text, language=LANGUAGE)
            out.append([Finding(r.entity_type, r.start, r.end, r.score) for r in results])
        return out

    def redact(self, texts: Sequence[str]) -> list[str]:
        out = []
        for text in texts:
            results = self.analyzer.analyze(text=text, language=LANGUAGE)
            out.append(self.anonymizer.anonymize(text=text, analyzer_results=results).text)  # type: ignore[arg-type]
        return out


def chat_texts() -> tuple[list[str], str]:
    """The distinct realistic texts to time on, and where they come from."""
    if WILDCHAT.is_file():
        rows = [
            json.loads(line) for line in WILDCHAT.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        pool = [t for row in rows for t in (row["prompt"], row["response"]) if t]
        source = f"WildChat rows ({len(pool)} prompts and responses)"
    else:
        pool = [c.text for c in load_cases(EVAL_CASES)]
        source = f"evaluation texts ({len(pool)}; WildChat sample not found)"
    return pool, source


def texts_per_second(redact: Callable[[list[str]], object], texts: list[str]) -> tuple[float, float]:
    """Texts per wall-clock second and per CPU second (the machine is shared: CPU time is the steadier)."""
    wall, cpu = time.perf_counter(), time.process_time()
    redact(texts)
    return len(texts) / (time.perf_counter() - wall), len(texts) / (time.process_time() - cpu)


def print_scores(ours: Score, plain: Score) -> None:
    print(f"{'entity':24s} {'ours P':>7s} {'ours R':>7s} {'n':>4s}   {'plain P':>7s} {'plain R':>7s}")
    for entity in sorted(set(ours.entity_types) | set(plain.entity_types)):
        n = ours.true_positives[entity] + ours.false_negatives[entity]
        print(
            f"{entity:24s} {ours.precision(entity):7.3f} {ours.recall(entity):7.3f} {n:4d}   "
            f"{plain.precision(entity):7.3f} {plain.recall(entity):7.3f}"
        )
    print(
        f"{'ALL':24s} {ours.precision():7.3f} {ours.recall():7.3f} {'':4s}   {plain.precision():7.3f} {plain.recall():7.3f}"
    )
    for entity, total in sorted(ours.ner_only.items()):
        print(
            f"NER-only {entity}: {ours.ner_only_found[entity]}/{total} found (no spaCy NER model installed)"
        )
    print(
        f"identifier-like non-PII touched: ours {len(ours.touched_negatives)}/{ours.hard_negatives} "
        f"= {ours.touched_share:.1%}   plain {len(plain.touched_negatives)}/{plain.hard_negatives} "
        f"= {plain.touched_share:.1%}"
    )
    for line in ours.misses + ours.spurious:
        print("  ours:", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=6000)
    parser.add_argument("--baseline-texts", type=int, default=600)
    args = parser.parse_args()

    redactor = Redactor()
    plain = PlainPresidio()
    cases = load_cases(EVAL_CASES)
    redactor.redact(["warm up"])  # loads the engines and decides on NER
    ner = redactor.ner_model is not None
    print(f"evaluation set: {len(cases)} cases; NER model: {redactor.ner_model or 'none installed'}")
    print_scores(score(redactor, cases, ner), score(plain, cases, ner))

    pool, source = chat_texts()
    texts = list(itertools.islice(itertools.cycle(pool), args.texts))
    plain.redact(texts[:20])  # warm up both before timing
    ours_rate = texts_per_second(redactor.redact, texts)
    plain_rate = texts_per_second(plain.redact, texts[: args.baseline_texts])
    touched = sum(bool(r.entities) for r in redactor.redact(pool))
    print(f"\nthroughput on {source}, one process:")
    print(f"  {'':6s} {'texts/s':>9s} {'per CPU s':>10s}")
    print(
        f"  {'ours':6s} {ours_rate[0]:9.0f} {ours_rate[1]:10.0f}   over {len(texts)} texts ({touched} of the {len(pool)} redacted)"
    )
    print(f"  {'plain':6s} {plain_rate[0]:9.0f} {plain_rate[1]:10.0f}   over {args.baseline_texts} texts")
    print(f"  ratio  {ours_rate[0] / plain_rate[0]:8.1f}x {ours_rate[1] / plain_rate[1]:9.1f}x")


if __name__ == "__main__":
    main()
