"""Hand-written conversations for the report tests (imported by conftest.py and the tests).

``hand_conversations`` are five conversations whose Table 1 numbers the tests recompute by hand (with
whitespace word counts as tokens, so every count can be read off the texts below).
``bare_conversations`` lack most fields: no hashed IPs, geography, moderation or timestamps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from wildchat.records import DETOXIFY_LABELS, MODERATION_CATEGORIES, Conversation, Turn

IP_A, IP_B, IP_C = "a" * 64, "b" * 64, "c" * 64


def moderation(flagged: bool = False, **categories: bool) -> dict[str, Any]:
    cats = {c: bool(categories.get(c, False)) for c in MODERATION_CATEGORIES}
    return {
        "categories": cats,
        "category_scores": {c: 0.0 for c in MODERATION_CATEGORIES},
        "flagged": flagged,
    }


def detox(**scores: float) -> dict[str, float]:
    return {label: scores.get(label, 0.01) for label in DETOXIFY_LABELS}


def conv(
    cid: str,
    when: datetime,
    model: str,
    language: str,
    ip: str | None,
    country: str | None,
    state: str | None,
    turns: list[tuple[str, str, str, bool]],  # (role, content, language, toxic)
    oai: list[dict[str, Any]] | None = None,
    dtx: list[dict[str, float]] | None = None,
) -> Conversation:
    messages = [
        Turn(
            role=r,
            content=c,
            language=lang,
            toxic=tox,
            hashed_ip=ip if r == "user" else None,
            country=country if r == "user" else None,
            state=state if r == "user" else None,
            timestamp=when,
        )
        for r, c, lang, tox in turns
    ]
    return Conversation(
        conversation_id=cid,
        conversation_hash=cid,
        model=model,
        timestamp=when,
        conversation=messages,
        turn=sum(1 for m in messages if m.role == "user"),
        language=language,
        openai_moderation=oai if oai is not None else [moderation() for _ in messages],
        detoxify_moderation=dtx if dtx is not None else [detox() for _ in messages],
        toxic=any(m.toxic for m in messages),
        state=state,
        country=country,
        hashed_ip=ip,
    )


def hand_conversations() -> list[Conversation]:
    d = datetime
    return [
        conv(
            "c1",
            d(2023, 4, 9, 10, 15, tzinfo=UTC),
            "gpt-4",
            "English",
            IP_A,
            "United States",
            "California",
            [
                ("user", "hello there", "English", False),
                ("assistant", "hi how can I help", "English", False),
                ("user", "tell me a joke", "English", False),
                ("assistant", "why did the chicken cross", "English", False),
            ],
        ),
        conv(
            "c2",
            d(2023, 4, 9, 23, 30, tzinfo=UTC),
            "gpt-3.5-turbo",
            "English",
            IP_A,
            "United States",
            "California",
            [
                ("user", "what is two plus two", "English", True),
                ("assistant", "four", "English", False),
            ],
            # Flagged through the underscore alias only, as later moderation API versions write it.
            oai=[moderation(flagged=True, harassment_threatening=True), moderation()],
            dtx=[detox(toxicity=0.5, insult=0.2), detox()],
        ),
        conv(
            "c3",
            d(2023, 4, 10, 1, 0, tzinfo=UTC),
            "gpt-3.5-turbo",
            "Russian",
            IP_B,
            "Russia",
            "Moscow",
            [
                ("user", "привет мир", "Russian", False),
                ("assistant", "привет", "Russian", False),
                ("user", "как дела друг", "Russian", False),
                ("assistant", "хорошо", "Russian", False),
                ("user", "пока", "Russian", False),
                ("assistant", "до свидания", "Russian", False),
            ],
        ),
        conv(
            "c4",
            d(2023, 4, 10, 1, 45, tzinfo=UTC),
            "gpt-4",
            "Chinese",
            IP_C,
            "China",
            None,
            [
                ("user", "你好", "Chinese", False),
                ("assistant", "你好 有什么 可以 帮忙", "Chinese", False),
            ],
        ),
        conv(
            "c5",
            d(2023, 4, 11, 12, 0, tzinfo=UTC),
            "gpt-3.5-turbo",
            "Nolang",
            IP_B,
            "Russia",
            "Moscow",
            [
                ("user", "", "Nolang", False),
                ("assistant", "please say something", "English", False),
            ],
        ),
    ]


def bare_conversations() -> list[Conversation]:
    out = []
    for i, (prompt, reply) in enumerate([("one two three", "a b"), ("four five", "c d e f"), ("six", "g")]):
        c = Conversation(
            conversation_id=f"b{i}",
            conversation_hash=f"b{i}",
            model="",
            timestamp=None,  # type: ignore[arg-type]
            # No classifier ran: the toxic flags are null, as the importers write them.
            conversation=[
                Turn(role="user", content=prompt, toxic=None),  # type: ignore[arg-type]
                Turn(role="assistant", content=reply, toxic=None),  # type: ignore[arg-type]
            ],
            turn=1,
            toxic=None,  # type: ignore[arg-type]
        )
        out.append(c)
    return out
