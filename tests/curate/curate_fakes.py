"""Tiny stand-ins for the enrichers, so engine tests run in seconds (and in worker processes).

They are deterministic and cheap; the real enrichers have their own tests. Importable by module name
in spawned workers and Ray actors because pytest puts this folder on ``sys.path`` (which spawned
children inherit; Ray tests pass it in ``PYTHONPATH``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wildchat.curate.duplicates import DedupKeysStep
from wildchat.curate.pipeline import BuildOptions
from wildchat.curate.steps import FinalizeStep, LanguageStep, RedactStep, Step, ToxicityStep
from wildchat.records import DETOXIFY_LABELS, Conversation

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


class FakeDetector:
    def detect(self, texts: Sequence[str]) -> list[str]:
        out = []
        for t in texts:
            if not t.strip():
                out.append("Nolang")
            elif re.search(r"[\u4e00-\u9fff]", t):
                out.append("Chinese")
            elif re.search(r"[\u0400-\u04ff]", t):
                out.append("Russian")
            else:
                out.append("English")
        return out


@dataclass
class FakeToxicity:
    openai_moderation: dict[str, Any] | None
    detoxify_moderation: dict[str, float] | None
    toxic: bool


class FakeSuite:
    def classify(self, texts: Sequence[str]) -> list[FakeToxicity]:
        out = []
        for t in texts:
            score = 0.9 if "badword" in t else 0.01
            out.append(FakeToxicity(None, {label: score for label in DETOXIFY_LABELS}, score > 0.1))
        return out

    def status(self) -> dict[str, str]:
        return {"openai_moderation": "not configured", "detoxify": "fake (tests)"}


@dataclass
class FakeRedaction:
    text: str
    entities: list[str] = field(default_factory=list)


class FakeRedactor:
    def redact(self, texts: Sequence[str]) -> list[FakeRedaction]:
        out = []
        for t in texts:
            n = len(EMAIL.findall(t))
            out.append(
                FakeRedaction(EMAIL.sub("<PRESIDIO_ANONYMIZED_EMAIL_ADDRESS>", t), ["EMAIL_ADDRESS"] * n)
            )
        return out


def fake_steps(options: BuildOptions) -> list[Step[Conversation]]:
    steps: list[Step[Conversation]] = [
        LanguageStep(FakeDetector()),
        ToxicityStep(FakeSuite()),
        RedactStep(FakeRedactor()),
        FinalizeStep(),
    ]
    if options.dedup != "off":
        steps.append(DedupKeysStep())
    return steps


FAKE_FACTORY = "curate_fakes:fake_steps"
