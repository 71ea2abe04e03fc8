"""One compiled regex that says cheaply which detectors a text could need, so most texts skip Presidio.

Most chat turns hold nothing that any detector could match: no ``@``, no run of six digits, no key prefix.
Each named group is a trigger for the detectors that need it; a text with no trigger is returned as is.
"""

from __future__ import annotations

import re

from wildchat.curate.pii import entities as E

_TRIGGERS = re.compile(
    r"(?P<at>@)"
    r"|(?P<digits>\d(?:[ \u00a0().\-/]{0,2}\d){5,})"
    r"|(?P<ip>\d\.\d{1,3}\.\d{1,3}\.\d|[0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:)"
    r"|(?P<key>sk-|[sr]k_|hf_|gh[pousr]_|github_pat_|xox|hooks\.slack|AIza|A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|ROA|PKA)[A-Z0-9]{8}"
    r"|eyJ|PRIVATE KEY|(?i:secret))"
    r"|(?P<url>://)"
    r"|(?P<crypto>(?<![A-Za-z0-9])(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|bc1[02-9ac-hj-np-z]{8,}))"
)

_ENTITIES_BY_TRIGGER: dict[str, tuple[str, ...]] = {
    "at": (E.EMAIL_ADDRESS, E.URL_CREDENTIALS),
    "digits": (E.PHONE_NUMBER, E.CREDIT_CARD, E.IBAN_CODE, E.US_SSN, E.IP_ADDRESS),
    "ip": (E.IP_ADDRESS,),
    "key": E.SECRETS,
    "url": (E.URL_CREDENTIALS, E.SLACK_WEBHOOK),
    "crypto": (E.CRYPTO,),
}


def triggered_entities(text: str) -> set[str]:
    """The entity types whose detectors could match somewhere in ``text`` (empty: nothing to look for)."""
    found: set[str] = set()
    seen: set[str] = set()
    for match in _TRIGGERS.finditer(text):
        group = match.lastgroup
        if group is not None and group not in seen:
            seen.add(group)
            found.update(_ENTITIES_BY_TRIGGER[group])
            if len(seen) == len(_ENTITIES_BY_TRIGGER):
                break
    return found
