"""Pasted blobs (base64 images, logs) must not make any regex backtrack over the whole text."""

from __future__ import annotations

import random
import string
from typing import Any

import pytest
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from wildchat.curate.pii import Redactor
from wildchat.curate.pii.analyzer import OfflineEmailRecognizer


def _blob(size: int) -> str:
    rng = random.Random(7)
    return "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(size))


def test_presidio_email_regex_only_sees_windows_around_each_at(
    redactor: Redactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    original = EmailRecognizer.analyze

    def spy(self: EmailRecognizer, text: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(len(text))
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(EmailRecognizer, "analyze", spy)
    text = "data:image/png;base64," + _blob(50_000) + " and mail me at jo.doe@gmail.com " + "a@" * 5000
    [result] = Redactor(ner_model=None).redact([text])
    assert result.entities == ["EMAIL_ADDRESS"]
    assert seen and max(seen) <= OfflineEmailRecognizer.LEFT + 1 + OfflineEmailRecognizer.RIGHT
    assert len(seen) == 1  # the 5000 bare "a@" never reach Presidio


@pytest.mark.parametrize(
    "text",
    ["1" * 50_000 + "a", "12-" * 20_000, "1.1." * 5_000, "ab:cd:" * 10_000, "sk-" * 20_000, "(1) " * 20_000],
)
def test_degenerate_texts_come_back_unchanged(redactor: Redactor, text: str) -> None:
    [result] = redactor.redact([text])
    assert result.text == text
