"""A Presidio recognizer driven by one compiled regex and a validator: the building block of our detectors.

Presidio's own ``PatternRecognizer`` recompiles with its registry's global flags (IGNORECASE among them),
which would make case-sensitive prefixes such as ``AKIA`` or ``ghp_`` match ``akia`` and ``GHP_``; this class
keeps the regex exactly as written and lets a match report a sub-span through a named group ``span``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

# A validator sees the whole text and the span found; returning False drops the match.
Validator = Callable[[str, int, int], bool]


def _always(_text: str, _start: int, _end: int) -> bool:
    return True


class RegexRecognizer(EntityRecognizer):  # type: ignore[misc]
    """Reports every match of ``pattern`` (or of its ``span`` group) that ``validator`` accepts."""

    def __init__(
        self,
        entity: str,
        pattern: re.Pattern[str],
        validator: Validator = _always,
        score: float = 0.95,
        name: str | None = None,
    ) -> None:
        self.entity = entity
        self.pattern = pattern
        self.validator = validator
        self.score = score
        super().__init__(supported_entities=[entity], name=name or f"{entity.title()}Recognizer")

    def load(self) -> None:
        """Nothing to load: the regex is compiled at construction."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if entities and self.entity not in entities:
            return []
        results = []
        for match in self.pattern.finditer(text):
            group = "span" if "span" in self.pattern.groupindex else 0
            start, end = match.span(group)
            if start < end and self.validator(text, start, end):
                results.append(RecognizerResult(self.entity, start, end, self.score))
        return results
