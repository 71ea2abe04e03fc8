"""Cheap triggers that say which detectors a text could need, so that most texts never enter Presidio.

Most chat turns hold nothing any detector could match: no ``@``, no run of seven digits, no key prefix.
Each trigger below is a literal substring test or a regex that starts with a literal or a short class (the
fast paths of Python's ``re``); measured on WildChat's own turns, one alternation of all of them scanned at
under 5 MB/s while these separate tests scan at well over 50. A text with no trigger is returned as is; the
others run only the detectors their triggers call for.
"""

from __future__ import annotations

import re

from wildchat.curate.pii import entities as E

_CARD = re.compile(r"\d{4}[ \-]?\d{4,6}[ \-]?\d{4,5}")
_IBAN = re.compile(r"[A-Z]{2}\d\d[ \-]?[A-Z0-9]{4}[ \-]?[A-Z0-9]{4}")
_DIGITS = re.compile(r"\d(?:[ ().\-]{0,2}\d){6,}")  # phones have 7+ digits, SSNs 9
_IPV4 = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d")
_IPV6 = re.compile(r":[0-9A-Fa-f]{1,4}:")
_URL_PASSWORD = re.compile(r"://[^\s/@]*:[^\s/@]*@")

# Literal prefixes of secrets and the detectors each one calls for.
_KEY_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sk-ant-", (E.ANTHROPIC_API_KEY,)),
    ("sk-", (E.OPENAI_API_KEY,)),
    ("hf_", (E.HUGGINGFACE_TOKEN,)),
    ("ghp_", (E.GITHUB_TOKEN,)),
    ("gho_", (E.GITHUB_TOKEN,)),
    ("ghu_", (E.GITHUB_TOKEN,)),
    ("ghs_", (E.GITHUB_TOKEN,)),
    ("ghr_", (E.GITHUB_TOKEN,)),
    ("github_pat_", (E.GITHUB_TOKEN,)),
    ("xox", (E.SLACK_TOKEN,)),
    ("hooks.slack.com", (E.SLACK_WEBHOOK,)),
    ("_live_", (E.STRIPE_KEY,)),
    ("_test_", (E.STRIPE_KEY,)),
    ("AIza", (E.GOOGLE_API_KEY,)),
    ("eyJ", (E.JWT,)),
    ("PRIVATE KEY", (E.PRIVATE_KEY,)),
    (":AA", (E.TELEGRAM_BOT_TOKEN,)),
)
_AWS_SECRET_LABELS = ("ecret_access", "ecretaccess", "ecret access", "ws_secret")  # matched lower-cased


def triggered_entities(text: str) -> set[str]:
    """The entity types whose detectors could match somewhere in ``text`` (empty: nothing to look for)."""
    found: set[str] = set()
    if "@" in text:
        found.add(E.EMAIL_ADDRESS)
        if "://" in text and _URL_PASSWORD.search(text):
            found.add(E.URL_CREDENTIALS)
    if _DIGITS.search(text):
        found.update((E.PHONE_NUMBER, E.US_SSN))
        if _CARD.search(text):
            found.add(E.CREDIT_CARD)
        if _IBAN.search(text):  # every IBAN holds a run of 7+ digits
            found.add(E.IBAN_CODE)
    if _IPV4.search(text) or _IPV6.search(text):
        found.add(E.IP_ADDRESS)
    for prefix, detectors in _KEY_PREFIXES:
        if prefix in text:
            found.update(detectors)
    if "AKIA" in text or "ASIA" in text:
        found.add(E.AWS_ACCESS_KEY_ID)
    if ("ecret" in text or "ECRET" in text) and any(label in text.lower() for label in _AWS_SECRET_LABELS):
        found.add(E.AWS_SECRET_ACCESS_KEY)
    return found
