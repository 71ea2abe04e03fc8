"""Pipeline steps: each is a small class with one method, ``run(batch, counts) -> batch``.

A step is built once per worker process (so a model loads once per worker) and then run over many
batches. It records what it did in its ``StepCounts`` (items in and out, drop reasons, notes such as
how many turns it redacted); the pipeline adds the time and sums counts over batches and workers into
the manifest. Steps wrap the enrichers (``language``, ``toxicity``, ``pii``, ``dedup``); the enrichers
are imported lazily, so a step that is switched off costs nothing.
"""

from __future__ import annotations

import abc
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from wildchat.curate.assemble import finalize
from wildchat.records import ChatCall, Conversation, Tombstone

_Item = TypeVar("_Item")
_Out = TypeVar("_Out")


@dataclass(slots=True)
class StepCounts:
    """What one step did, summed over batches (and, by ``merge``, over workers)."""

    items_in: int = 0
    items_out: int = 0
    seconds: float = 0.0
    dropped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def merge(self, other: StepCounts) -> None:
        self.items_in += other.items_in
        self.items_out += other.items_out
        self.seconds += other.seconds
        self.dropped.update(other.dropped)
        self.notes.update(other.notes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "in": self.items_in,
            "out": self.items_out,
            "dropped": dict(sorted(self.dropped.items())),
            **dict(sorted(self.notes.items())),
            "seconds": round(self.seconds, 3),
        }


class Step(abc.ABC, Generic[_Item]):
    """One stage of the pipeline over a batch of items (calls or conversations)."""

    name: ClassVar[str]

    @abc.abstractmethod
    def run(self, batch: list[_Item], counts: StepCounts) -> list[_Item]:
        """Process a batch; drop items by leaving them out and counting the reason in ``counts``."""


# ------------------------------------------------------------------------------------ withdrawals


class WithdrawnFilter(Step[ChatCall]):
    """Drop every call of a withdrawn consent and every call from a forgotten hashed IP.

    This holds whatever the export's date: a tombstone made after the export still removes the calls.
    It runs on calls, before linking, exactly as the store deletes them: a later call from another IP
    that repeats a forgotten call's messages in its history is what the store itself would still hold.
    """

    name = "withdrawn"

    def __init__(self, tombstones: Iterable[Tombstone]) -> None:
        tombstones = list(tombstones)
        self.consents = frozenset(t.consent_id for t in tombstones if t.consent_id)
        self.hashed_ips = frozenset(t.hashed_ip for t in tombstones if t.hashed_ip)

    def run(self, batch: list[ChatCall], counts: StepCounts) -> list[ChatCall]:
        kept = []
        for call in batch:
            if call.consent_id in self.consents:
                counts.dropped["consent_withdrawn"] += 1
            elif call.hashed_ip is not None and call.hashed_ip in self.hashed_ips:
                counts.dropped["hashed_ip_forgotten"] += 1
            else:
                kept.append(call)
        return kept


# ---------------------------------------------------------------------------------------- enrichers


def _all_turns(batch: Sequence[Conversation]) -> list[Any]:
    return [t for conv in batch for t in conv.conversation]


def _each_text_once(texts: Sequence[str], fn: Callable[[list[str]], Sequence[_Out]]) -> list[_Out]:
    """``fn`` over the distinct texts only, its results spread back to every position.

    Branches of one conversation repeat their shared prefix, and system prompts and greetings repeat
    across conversations: labelling each distinct text once saves the enrichers' time, and gives the
    same turn text the same label everywhere.
    """
    slot: dict[str, int] = {}
    order = [slot.setdefault(t, len(slot)) for t in texts]
    results = list(fn(list(slot)))
    return [results[i] for i in order]


class LanguageStep(Step[Conversation]):
    """Every turn's language (lingua, WildChat's names, "Nolang" for empty text)."""

    name = "language"

    def __init__(self, detector: Any | None = None) -> None:
        if detector is None:
            from wildchat.curate.language import LanguageDetector

            detector = LanguageDetector()
        self.detector = detector

    def run(self, batch: list[Conversation], counts: StepCounts) -> list[Conversation]:
        turns = _all_turns(batch)
        languages = _each_text_once([t.content for t in turns], self.detector.detect)
        for turn, language in zip(turns, languages, strict=True):
            turn.language = language
        counts.notes["turns_labelled"] += len(turns)
        return batch


class ToxicityStep(Step[Conversation]):
    """Every turn's moderation results and ``toxic`` flag; per-conversation moderation lists.

    A moderation list holds one entry per turn when that classifier ran for the batch, and is empty
    when it did not (as ``records.Conversation`` documents).
    """

    name = "toxicity"

    def __init__(self, suite: Any | None = None) -> None:
        if suite is None:
            from wildchat.curate.toxicity import load_classifiers

            suite = load_classifiers(None)
        self.suite = suite

    def run(self, batch: list[Conversation], counts: StepCounts) -> list[Conversation]:
        turns = _all_turns(batch)
        results = iter(_each_text_once([t.content for t in turns], self.suite.classify))
        for conv in batch:
            openai: list[Any] = []
            detoxify: list[Any] = []
            for turn in conv.conversation:
                result = next(results)
                turn.toxic = bool(result.toxic)
                counts.notes["turns_toxic"] += int(turn.toxic)
                openai.append(result.openai_moderation)
                detoxify.append(result.detoxify_moderation)
            conv.openai_moderation = openai if any(r is not None for r in openai) else []
            conv.detoxify_moderation = detoxify if any(r is not None for r in detoxify) else []
        return batch


class RedactStep(Step[Conversation]):
    """Replace personal information and secrets in every turn with placeholders; mark ``redacted``."""

    name = "redact"

    def __init__(self, redactor: Any | None = None) -> None:
        if redactor is None:
            from wildchat.curate.pii import Redactor

            redactor = Redactor()
        self.redactor = redactor

    def run(self, batch: list[Conversation], counts: StepCounts) -> list[Conversation]:
        turns = _all_turns(batch)
        redactions = _each_text_once([t.content for t in turns], self.redactor.redact)
        for turn, result in zip(turns, redactions, strict=True):
            if result.entities:
                turn.content = result.text
                turn.redacted = True
                counts.notes["turns_redacted"] += 1
                for entity in result.entities:
                    counts.notes[f"entity:{entity}"] += 1
        return batch


class FinalizeStep(Step[Conversation]):
    """Recompute the conversation-level fields (language, toxic, redacted, hash) from the turns."""

    name = "finalize"

    def run(self, batch: list[Conversation], counts: StepCounts) -> list[Conversation]:
        return [finalize(conv) for conv in batch]
