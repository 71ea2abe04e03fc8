"""Score a redactor on a labelled set: precision and recall per entity type, and hard negatives touched.

A case is one JSON line: ``{"id", "lang", "family", "text", "entities": [{"type", "value", "ner"?}]}``.
``value`` is the exact substring expected to be redacted (its first occurrence); ``ner: true`` marks what
only named-entity recognition can find, scored apart when no NER model is installed. Families starting
with ``neg:`` are identifier-like non-PII (hashes, versions, order numbers, ...): any finding there counts
as touching it. A finding matches an expected span of the same type when their overlap covers at least half
of the longer of the two.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from wildchat.curate.pii.redactor import Finding


class Finder(Protocol):
    """Anything that reports findings per text: the ``Redactor``, or a baseline to compare with."""

    def find(self, texts: Sequence[str]) -> list[list[Finding]]: ...


@dataclass(frozen=True)
class Expected:
    entity: str
    start: int
    end: int
    ner: bool


@dataclass(frozen=True)
class Case:
    id: str
    lang: str
    family: str
    text: str
    expected: tuple[Expected, ...]

    @property
    def is_hard_negative(self) -> bool:
        return self.family.startswith("neg:")


def load_cases(path: Path) -> list[Case]:
    """Read an evaluation set; a value that is not in its text is an error naming the line."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        expected = []
        for entity in raw["entities"]:
            start = raw["text"].find(entity["value"])
            if start < 0:
                raise ValueError(f"{path}:{number}: value {entity['value']!r} not found in text")
            expected.append(
                Expected(entity["type"], start, start + len(entity["value"]), entity.get("ner", False))
            )
        cases.append(Case(raw["id"], raw["lang"], raw["family"], raw["text"], tuple(expected)))
    return cases


def _matches(finding: Finding, expected: Expected) -> bool:
    overlap = min(finding.end, expected.end) - max(finding.start, expected.start)
    longest = max(finding.end - finding.start, expected.end - expected.start)
    return finding.entity == expected.entity and overlap * 2 >= longest


@dataclass
class Score:
    """Counts per entity type, and the hard negatives touched (their ids)."""

    true_positives: Counter[str] = field(default_factory=Counter)
    false_positives: Counter[str] = field(default_factory=Counter)
    false_negatives: Counter[str] = field(default_factory=Counter)
    ner_only: Counter[str] = field(
        default_factory=Counter
    )  # expected NER spans found / total, when scored apart
    ner_only_found: Counter[str] = field(default_factory=Counter)
    hard_negatives: int = 0
    touched_negatives: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)

    def precision(self, entity: str | None = None) -> float:
        tp = self._total(self.true_positives, entity)
        fp = self._total(self.false_positives, entity)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, entity: str | None = None) -> float:
        tp = self._total(self.true_positives, entity)
        fn = self._total(self.false_negatives, entity)
        return tp / (tp + fn) if tp + fn else 1.0

    @property
    def touched_share(self) -> float:
        return len(self.touched_negatives) / self.hard_negatives if self.hard_negatives else 0.0

    @property
    def entity_types(self) -> list[str]:
        return sorted(set(self.true_positives) | set(self.false_positives) | set(self.false_negatives))

    @staticmethod
    def _total(counts: Counter[str], entity: str | None) -> int:
        return counts[entity] if entity is not None else sum(counts.values())


def score(redactor: Finder, cases: Sequence[Case], ner_available: bool) -> Score:
    """Run ``redactor`` over ``cases`` and count; NER-only spans count in recall only if ``ner_available``."""
    result = Score()
    for case, findings in zip(cases, redactor.find([c.text for c in cases]), strict=True):
        if case.is_hard_negative:
            result.hard_negatives += 1
            if findings:
                result.touched_negatives.append(case.id)
        unmatched = list(findings)
        for expected in case.expected:
            hit = next((f for f in unmatched if _matches(f, expected)), None)
            if hit is not None:
                unmatched.remove(hit)
            if expected.ner and not ner_available:
                result.ner_only[expected.entity] += 1
                result.ner_only_found[expected.entity] += hit is not None
            elif hit is not None:
                result.true_positives[expected.entity] += 1
            else:
                result.false_negatives[expected.entity] += 1
                result.misses.append(
                    f"{case.id}: {expected.entity} {case.text[expected.start : expected.end]!r}"
                )
        for finding in unmatched:
            result.false_positives[finding.entity] += 1
            result.spurious.append(f"{case.id}: {finding.entity} {case.text[finding.start : finding.end]!r}")
    return result
