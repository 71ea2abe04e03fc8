"""US Social Security numbers: only with their label nearby, since AAA-GG-SSSS is also a common id layout."""

from __future__ import annotations

import re

from wildchat.curate.pii import context
from wildchat.curate.pii.entities import US_SSN
from wildchat.curate.pii.regex_recognizer import RegexRecognizer

_LABEL = re.compile(r"(?i)\bssn\b|social\s+security|soc\.?\s*sec|\bsocial\b.{0,20}\bnumber")
_SSN = re.compile(r"(?<![\w\-])(\d{3})[- ](\d{2})[- ](\d{4})(?![\w\-])")


def _valid_ssn(text: str, start: int, end: int) -> bool:
    area, group, serial = re.split(r"[- ]", text[start:end])
    # The SSA never issues area 000, 666 or 9xx, group 00 or serial 0000.
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        return False
    return bool(_LABEL.search(context.before(text, start, 48)))


def ssn_recognizer() -> RegexRecognizer:
    return RegexRecognizer(US_SSN, _SSN, _valid_ssn, score=0.95, name="WildchatSsnRecognizer")
