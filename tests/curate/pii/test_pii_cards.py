"""Card numbers: Luhn and issuer prefixes decide, whatever the layout; order numbers stay."""

from __future__ import annotations

import pytest

from wildchat.curate.pii import Redactor
from wildchat.curate.pii.cards import luhn_valid


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    "number",
    [
        "2223 0031 2200 3222",
        "3056 9309 0259 04",
        "5555-5555-5555-4444",
        "4000056655665556",
        "6200 0000 0000 0005",
    ],
)
def test_cards_in_any_layout_are_cards(redactor: Redactor, number: str) -> None:
    [result] = redactor.redact([f"pay with {number} please"])
    assert result.entities == ["CREDIT_CARD"], result.text


@pytest.mark.parametrize(
    "text",
    [
        "order 4111 1111 1111 1111 shipped",  # Luhn-valid, but labelled as an order and no card word
        "9999 9999 9999 9995 is not issued by anyone",  # Luhn-valid, no issuer starts with 9
        "tracking 7489 2345 6789 1234",
    ],
)
def test_numbers_that_are_not_cards_stay(redactor: Redactor, text: str) -> None:
    [result] = redactor.redact([text])
    assert "CREDIT_CARD" not in result.entities, result.text
