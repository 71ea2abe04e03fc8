"""A redactor shared by the PII tests (Presidio loads once per session), and the evaluation set."""

from __future__ import annotations

from pathlib import Path

import pytest

from wildchat.curate.pii import Redactor
from wildchat.curate.pii.evaluation import Case, load_cases

EVAL_CASES = Path(__file__).with_name("eval_cases.jsonl")


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    """Pattern recognizers only, whatever spaCy models are installed, so results do not depend on them."""
    return Redactor(ner_model=None)


@pytest.fixture(scope="session")
def eval_cases() -> list[Case]:
    return load_cases(EVAL_CASES)
