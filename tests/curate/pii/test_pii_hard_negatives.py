"""Every family of identifier-like non-PII in the evaluation set survives redaction untouched."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from wildchat.curate.pii import Redactor
from wildchat.curate.pii.evaluation import Case, load_cases

_EVAL_CASES = Path(__file__).with_name("eval_cases.jsonl")
_FAMILIES = sorted({c.family for c in load_cases(_EVAL_CASES) if c.is_hard_negative})


@pytest.fixture(scope="module")
def negatives_by_family(eval_cases: list[Case]) -> dict[str, list[Case]]:
    grouped: dict[str, list[Case]] = defaultdict(list)
    for case in eval_cases:
        if case.is_hard_negative:
            grouped[case.family].append(case)
    return grouped


@pytest.mark.parametrize("family", _FAMILIES)
def test_family_survives(redactor: Redactor, negatives_by_family: dict[str, list[Case]], family: str) -> None:
    cases = negatives_by_family[family]
    touched = [
        (c.id, r.text)
        for c, r in zip(cases, redactor.redact([c.text for c in cases]), strict=True)
        if r.entities
    ]
    assert touched == []


@pytest.mark.parametrize(
    "text",
    [
        "Luhn fails: 4532 0151 1283 0367 is my order",
        "IBAN with a bad checksum: GB29 NWBK 6016 1331 9268 18",
        "colour #c0ffee and #bada55, ids #123456",
        "timestamp 1700000000000 and 2024-02-29T23:59:59+01:00",
        "version 192.168.100.200 of nothing; 1.2.3.4.5.6 is not an address",
        "the hash 9e107d9d372bb6826bd81d3542a419d6 and d41d8cd98f00b204e9800998ecf8427e",
        "this week's lottery: 07 12 19 33 41 45",
        "ISO 9001-2015 and DIN 0100-2014",
        "CEP 04538-132, São Paulo",
        "the Second World War (1939-1945)",
        "seed = 1681035697 and llama_model_load: mem required = 27186.82 MB",
        "Lat 51.104 17.0304 4111, 52.2332 21.013 5814",
    ],
)
def test_more_look_alikes_survive(redactor: Redactor, text: str) -> None:
    [result] = redactor.redact([text])
    assert result.entities == [], result.text
