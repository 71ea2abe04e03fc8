"""The labelled evaluation set: its shape, and the precision/recall floors the redactor must keep."""

from __future__ import annotations

from collections import Counter

import pytest

from wildchat.curate.pii import Redactor
from wildchat.curate.pii.evaluation import Case, Score, score

# Floors the implementation meets on eval_cases.jsonl; a regression below them fails here.
RECALL_FLOOR = 0.98
PRECISION_FLOOR = 0.98
PER_ENTITY_RECALL_FLOOR = 0.9
TOUCHED_NEGATIVES_CEILING = 0.01


@pytest.fixture(scope="module")
def result(redactor: Redactor, eval_cases: list[Case]) -> Score:
    return score(redactor, eval_cases, ner_available=False)


def test_the_set_is_large_multilingual_and_mostly_hard(eval_cases: list[Case]) -> None:
    assert len(eval_cases) >= 200
    assert len({c.id for c in eval_cases}) == len(eval_cases)
    languages = Counter(c.lang for c in eval_cases)
    for lang in ("en", "zh", "ru", "es", "fr", "de", "pt", "ar", "ja", "ko"):
        assert languages[lang] >= 3, lang
    negatives = [c for c in eval_cases if c.is_hard_negative]
    assert len(negatives) >= 0.4 * len(eval_cases)
    families = {c.family for c in negatives}
    for family in ("git_sha", "hash", "uuid", "version", "order_number", "colour", "loopback", "timestamp"):
        assert f"neg:{family}" in families
    assert any(e.ner for c in eval_cases for e in c.expected), "NER-only cases are marked"


def test_overall_recall_and_precision_floors(result: Score) -> None:
    assert result.recall() >= RECALL_FLOOR, result.misses
    assert result.precision() >= PRECISION_FLOOR, result.spurious


def test_every_entity_type_is_found(result: Score) -> None:
    for entity in result.entity_types:
        assert result.recall(entity) >= PER_ENTITY_RECALL_FLOOR, (entity, result.misses)


def test_identifier_like_non_pii_survives(result: Score) -> None:
    assert result.hard_negatives >= 100
    assert result.touched_share <= TOUCHED_NEGATIVES_CEILING, result.touched_negatives


def test_ner_only_cases_are_scored_apart_without_a_model(result: Score) -> None:
    assert sum(result.ner_only.values()) >= 10
    assert "PERSON" not in result.true_positives
