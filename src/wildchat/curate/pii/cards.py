"""Card numbers Presidio's pattern misses: 2-series Mastercard, Mir, and 14-19 digit layouts like 4-4-4-2.

Presidio's credit-card regex starts only with 1, 3, 4, 5 or 6 and wants a last group of 3-5 digits, so
``2223 0031 2200 3222`` and ``3056 9309 0259 04`` escape it (and the second then looks like a phone). This
recognizer accepts a grouped 13-19 digit number when it passes Luhn AND starts with an issuer prefix (IIN)
that issues numbers of that length.
"""

from __future__ import annotations

import re

from wildchat.curate.pii import context
from wildchat.curate.pii.entities import CREDIT_CARD
from wildchat.curate.pii.regex_recognizer import RegexRecognizer

_CANDIDATE = re.compile(r"(?<![\d\-])(?<!\d )\d{4}(?:[ \-]?\d{2,6}){2,4}(?![\d\-]|[ \-]\d)")

# (first digits as a range, allowed lengths): the major issuers' published IIN ranges.
_ISSUERS: tuple[tuple[int, int, range | tuple[int, ...]], ...] = (
    (4, 4, (13, 16, 19)),  # Visa (a 15-digit Luhn number starting with 4 is an IMEI, not a card)
    (51, 55, range(16, 17)),  # Mastercard
    (2221, 2720, range(16, 17)),  # Mastercard 2-series
    (2200, 2204, range(16, 20)),  # Mir
    (34, 34, range(15, 16)),  # American Express
    (37, 37, range(15, 16)),
    (300, 305, range(14, 20)),  # Diners Club
    (36, 36, range(14, 20)),
    (38, 39, range(14, 20)),
    (6011, 6011, range(16, 20)),  # Discover
    (644, 649, range(16, 20)),
    (65, 65, range(16, 20)),
    (3528, 3589, range(16, 20)),  # JCB
    (62, 62, range(16, 20)),  # UnionPay
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def issued_card_number(digits: str) -> bool:
    """Luhn-valid and starting with an issuer prefix that issues numbers of this length."""
    return luhn_valid(digits) and _issued(digits)


def _issued(digits: str) -> bool:
    for low, high, lengths in _ISSUERS:
        prefix = int(digits[: len(str(low))])
        if low <= prefix <= high and len(digits) in lengths:
            return True
    return False


def _card(text: str, start: int, end: int) -> bool:
    digits = re.sub(r"\D", "", text[start:end])
    if not issued_card_number(digits):
        return False
    labelled_other = context.NOT_PHONE_WORDS.search(context.before(text, start, 30))
    return not labelled_other or context.says_card(text, start)


def card_recognizer() -> RegexRecognizer:
    return RegexRecognizer(CREDIT_CARD, _CANDIDATE, _card, score=0.96, name="WildchatCardRecognizer")
