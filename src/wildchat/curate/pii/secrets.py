"""Detectors for credentials people paste into chats: API keys, tokens, private keys, passwords in URLs.

Every pattern anchors on a vendor's documented prefix or structure, so a match is rarely anything but a key.
The validators reject what documentation and tutorials write instead of a key (``sk-xxxx…``, ``hf_xxx``,
``${DB_PASSWORD}``), because redacting those would only damage code samples.
"""

from __future__ import annotations

import re

from wildchat.curate.pii import entities as E
from wildchat.curate.pii.regex_recognizer import RegexRecognizer, Validator

# Not preceded by a character that would make the prefix part of a longer identifier (``task-``, ``my_hf_``).
_START = r"(?<![A-Za-z0-9_\-])"
_END = r"(?![A-Za-z0-9_\-])"

_TEMPLATE_PASSWORDS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "your_password", "yourpassword", "mypassword", "changeme"}
)


def _looks_random(body: str, min_classes: int = 2) -> bool:
    """Real keys are random: they mix character classes and repeat no character for long.

    Base62 keys of 30+ characters hold digits, upper and lower case all three (missing one has odds under
    1%), which hyphenated words (``sk-learn-tutorial-2023``) do not; AWS keys are upper case and digits, and
    Hugging Face tokens letters only, so those need two.
    """
    classes = any(c.isdigit() for c in body) + any(c.isupper() for c in body) + any(c.islower() for c in body)
    return classes >= min_classes and len(set(body)) >= 8


def _random_after_prefix(prefix_len: int, min_classes: int = 2) -> Validator:
    def check(text: str, start: int, end: int) -> bool:
        return _looks_random(text[start + prefix_len : end], min_classes)

    return check


def _aws_key(prefix_len: int) -> Validator:
    """Random after the prefix, and not one of the example keys AWS prints in its documentation."""

    def check(text: str, start: int, end: int) -> bool:
        return "EXAMPLE" not in text[start:end] and _looks_random(text[start + prefix_len : end])

    return check


def _random_body(text: str, start: int, end: int) -> bool:
    token = text[start:end]
    body = token.split("_", 2)[-1] if token.count("_") >= 1 else token.split("-", 1)[-1]
    return _looks_random(body, min_classes=3)


def _openai_key(text: str, start: int, end: int) -> bool:
    body = re.sub(r"^sk-(?:proj-|svcacct-|admin-|None-)?", "", text[start:end])
    return _looks_random(body, min_classes=3)


def _telegram_token(text: str, start: int, end: int) -> bool:
    return _looks_random(text[start:end].split(":", 1)[1][2:])


def _slack_token(text: str, start: int, end: int) -> bool:
    # Slack tokens carry numeric workspace/user ids between the dashes.
    return sum(c.isdigit() for c in text[start:end]) >= 8


def _url_password(text: str, start: int, end: int) -> bool:
    userinfo = text[start:end]
    password = userinfo.split(":", 1)[1]
    if password[:1] in "$%{<[*(" or password.strip("*x.") == "":
        return False
    return password.lower() not in _TEMPLATE_PASSWORDS


def _recognizer(entity: str, pattern: str, validator: Validator | None = None) -> RegexRecognizer:
    compiled = re.compile(pattern)
    if validator is None:
        return RegexRecognizer(entity, compiled)
    return RegexRecognizer(entity, compiled, validator)


def secret_recognizers() -> list[RegexRecognizer]:
    """One recognizer per secret type, in the order they are documented in ``entities``."""
    return [
        _recognizer(
            E.OPENAI_API_KEY,
            _START + r"sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}" + _END,
            _openai_key,
        ),
        _recognizer(
            E.ANTHROPIC_API_KEY, _START + r"sk-ant-[A-Za-z0-9_\-]{20,}" + _END, _random_after_prefix(7, 3)
        ),
        _recognizer(
            E.HUGGINGFACE_TOKEN, _START + r"hf_[A-Za-z0-9]{30,}(?![A-Za-z0-9_])", _random_after_prefix(3)
        ),
        _recognizer(
            E.GITHUB_TOKEN,
            _START + r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})(?![A-Za-z0-9_])",
            _random_body,
        ),
        _recognizer(E.SLACK_TOKEN, _START + r"xox[abposr]-[A-Za-z0-9\-]{10,}" + _END, _slack_token),
        _recognizer(
            E.SLACK_WEBHOOK,
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_\-]+/[A-Za-z0-9_\-/]+",
        ),
        _recognizer(
            E.STRIPE_KEY,
            _START + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}(?![A-Za-z0-9_])",
            _random_after_prefix(8, 3),
        ),
        _recognizer(E.GOOGLE_API_KEY, _START + r"AIza[0-9A-Za-z_\-]{35}" + _END, _random_after_prefix(4, 3)),
        _recognizer(
            E.AWS_ACCESS_KEY_ID,
            # Access keys only (long-term AKIA, temporary ASIA); AIDA/AROA/... name users and roles, not secrets.
            r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])",
            _aws_key(4),
        ),
        # A 40-character secret key is indistinguishable from other base64 without its label nearby.
        _recognizer(
            E.AWS_SECRET_ACCESS_KEY,
            r"(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?\s*[:=]\s*[\"']?"
            r"(?P<span>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
            _aws_key(0),
        ),
        _recognizer(
            E.JWT,
            _START + r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*" + _END,
        ),
        # A whole PEM block; a block cut off before its END line still loses all its base64 lines.
        _recognizer(
            E.PRIVATE_KEY,
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"|(?:[ \t]*\r?\n?[ \t]*[A-Za-z0-9+/=:,\- ]{16,})*)",
        ),
        # BotFather's format: the bot's numeric id, a colon, then 35 characters starting with AA.
        _recognizer(
            E.TELEGRAM_BOT_TOKEN,
            r"(?<![A-Za-z0-9_:])\d{8,10}:AA[A-Za-z0-9_\-]{33}" + _END,
            _telegram_token,
        ),
        # scheme://user:password@host: the user and password go; the scheme and host stay for context.
        _recognizer(
            E.URL_CREDENTIALS,
            r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://(?P<span>[^\s:/?#@<>\"'`]*:[^\s/?#@<>\"'`]+)@[A-Za-z0-9\[]",
            _url_password,
        ),
    ]
