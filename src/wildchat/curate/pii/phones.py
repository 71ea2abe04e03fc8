"""Phone numbers in international and local formats, without firing on every long number.

Presidio's ``PhoneRecognizer`` asks ``phonenumbers`` whether a digit run is a valid number in a few regions;
across the world's numbering plans almost any 8-11 digit run is valid somewhere (Germany alone accepts most),
so validity cannot be the evidence. A candidate is accepted when it is written internationally (``+`` or
``00``) and valid, or when it is valid in some region AND either a phone word stands nearby (any of the
languages in ``context``) or it is laid out like a phone number (an area code in parentheses, groups of
2-6 digits, a national trunk ``0``) in the grouping that region writes its numbers in, with no word nearby
saying it is an order, ticket, ISBN or version. Dates, year ranges, dotted quads, decimals in tables and
placeholder digits (``1234567890``) never are.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberFormat
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from wildchat.curate.pii import context
from wildchat.curate.pii.entities import PHONE_NUMBER

# A run of digits with single separators, optionally led by + / 00 and an area code in parentheses.
# It may not start or end inside a longer token (a hash, a URL, a decimal, a larger digit run).
CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9_+#/.=@$€£¥\-])"
    r"(?:\+\s?|(?<!\d[ .:\-])(?:00\s?)?)"  # a + may follow another number; a digit may not continue one
    r"\(?\d(?:[ \u00a0.\-]?\(?\d|\)[ \u00a0\-]?\d|[ \u00a0]\(\d)*"
    r"(?![A-Za-z0-9_%/#]|[ \u00a0().\-]?\d|[.,:]\d)"
)

# National numbering plans tried for numbers written without a country code: the regions of the
# languages WildChat sees most. Order only changes speed (the first valid region ends the search).
REGIONS = (
    "US", "GB", "CN", "RU", "DE", "FR", "ES", "IT", "BR", "PT", "MX", "JP", "KR", "IN", "TR", "PL",
    "NL", "UA", "SA", "AE", "EG", "ID", "VN", "TW", "HK", "AR", "CO", "CA", "AU",
)  # fmt: skip

_DATE = re.compile(r"(?:19|20)\d\d[-./ ](?:0?[1-9]|1[0-2])[-./ ](?:0?[1-9]|[12]\d|3[01])\b")
_DATE_DMY = re.compile(r"(?:0?[1-9]|[12]\d|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)?\d\d")
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")  # an IPv4 address or a version, never a phone
_YEAR_RANGE = re.compile(r"\(?(?:1[89]|20)\d\d\s?[-–/]\s?(?:(?:1[89]|20)\d\d|\d\d)\)?")
_MIXED_WITH_DOTS = re.compile(r"\d[ \u00a0\-()]+\d.*\.|\.\d+[ \u00a0\-()]")
_AREA_CODE = re.compile(r"\(\d{1,5}\)")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ \u00a0.]\d{3})+")
_GROUPS = re.compile(r"\d+")


def _valid_somewhere(candidate: str, international: bool, grouped: bool = False) -> bool:
    """Valid in some region's numbering plan (and, if ``grouped``, written in that region's grouping)."""
    regions: tuple[str | None, ...] = (None,) if international else REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) and (
            not grouped or _grouped_as_written_there(candidate, number)
        ):
            return True
    return False


def _grouped_as_written_there(candidate: str, number: phonenumbers.PhoneNumber) -> bool:
    """The candidate's digit groups are the region's national format, possibly with neighbours run together.

    ``010-62345678`` is Beijing's ``010 6234 5678`` with the last two groups joined: accepted. Lottery
    numbers ``04 15 23 42 08 16`` or a standard's ``0208-1997`` match no region's layout: refused.
    """
    written = [len(g) for g in _GROUPS.findall(candidate)]
    national = [
        len(g) for g in _GROUPS.findall(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
    ]
    position = 0
    for size in written:
        total = 0
        while total < size and position < len(national):
            total += national[position]
            position += 1
        if total != size:
            return False
    return position == len(national)


def _possible_international(candidate: str) -> bool:
    """Right length for its country code; covers ranges reserved for fiction (UK 07700 900xxx, US 555-01xx)."""
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(candidate, None)))
    except phonenumbers.NumberParseException:
        return False


def _placeholder_digits(candidate: str) -> bool:
    """``1234567890``, ``0000000``, ``5555555555``: what people type when they mean "a phone number"."""
    digits = "".join(c for c in candidate if c.isdigit()).removeprefix("1")
    return len(set(digits)) <= 2 or digits in "01234567890123456789" or digits in "98765432109876543210"


def _laid_out_like_phone(candidate: str) -> bool:
    """An area code in parentheses, 3+ groups of 2-6 digits, or a trunk-0 national form of 9+ digits."""
    if _AREA_CODE.search(candidate):
        return True
    groups = _GROUPS.findall(candidate)
    if len(groups) >= 3:
        first, rest = groups[0], groups[1:]
        return 1 <= len(first) <= 5 and all(2 <= len(g) <= 6 for g in rest)
    national_form = groups[0].startswith("0") and len(groups[0]) <= 5 and len("".join(groups)) >= 9
    return len(groups) == 2 and national_form and "." not in candidate


def _grouped_after_country_code(written: str) -> bool:
    """``+971 4 123 4567``, ``+44 7700 900077``: 2+ groups after the country code, single-digit area codes allowed."""
    groups = _GROUPS.findall(written)[1:]
    return len(groups) >= 2 and all(1 <= len(g) <= 6 for g in groups) and sum(len(g) > 1 for g in groups) >= 2


def is_phone(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (a ``CANDIDATE`` match) is a phone number; see the module docstring."""
    candidate = text[start:end]
    digits = sum(c.isdigit() for c in candidate)
    international = candidate.startswith("+") or candidate.startswith("00")
    if not 7 <= digits <= 15 or (international and digits < 8):
        return False
    if _DATE.match(candidate) or _DATE_DMY.fullmatch(candidate) or _DOTTED_QUAD.fullmatch(candidate):
        return False
    if _YEAR_RANGE.fullmatch(candidate) or _placeholder_digits(candidate):
        return False
    if "." in candidate and _MIXED_WITH_DOTS.search(candidate):
        return False  # ``19.4821 5499``: decimals in a table, not a phone (dotted phones use dots only)
    if international:
        written = "+" + candidate[2:] if candidate.startswith("00") else candidate
        if _valid_somewhere(written, international=True):
            return True
        # Written out by a person (grouped), a number the plan does not list yet is still someone's to hide.
        return _grouped_after_country_code(written) and _possible_international(written)
    if context.says_phone(text, start, end):
        return _valid_somewhere(candidate, international=False)
    if context.says_not_phone(text, start) or _THOUSANDS.fullmatch(candidate):
        return False
    return _laid_out_like_phone(candidate) and _valid_somewhere(candidate, international=False, grouped=True)


class StructuredPhoneRecognizer(EntityRecognizer):  # type: ignore[misc]
    """Presidio recognizer for ``PHONE_NUMBER`` using the rules above."""

    def __init__(self) -> None:
        super().__init__(supported_entities=[PHONE_NUMBER], name="WildchatPhoneRecognizer")

    def load(self) -> None:
        """Nothing to load: ``phonenumbers`` metadata loads lazily per region."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if entities and PHONE_NUMBER not in entities:
            return []
        results = []
        for match in CANDIDATE.finditer(text):
            start, end = match.span()
            if is_phone(text, start, end):
                results.append(RecognizerResult(PHONE_NUMBER, start, end, 0.9))
        return results
