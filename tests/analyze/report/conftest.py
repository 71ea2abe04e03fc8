"""Small corpora written by hand for the report tests, and one report built from them.

``hand_corpus`` has five conversations whose Table 1 numbers the tests recompute by hand (with
whitespace word counts as tokens, so every count can be read off the text below).
``bare_corpus`` is a corpus missing most fields: no hashed IPs, geography, moderation or timestamps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wildchat.analyze.report import ReportOptions, ReportResult, build_report
from wildchat.analyze.scan import ScanOptions
from wildchat.analyze.tokens import WhitespaceTokens
from wildchat.corpus_io import write_shard
from wildchat.records import (
    DETOXIFY_LABELS,
    MODERATION_CATEGORIES,
    Conversation,
    Turn,
    conversations_to_table,
)

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
            conversation=[Turn(role="user", content=prompt), Turn(role="assistant", content=reply)],
            turn=1,
        )
        out.append(c)
    return out


@pytest.fixture(scope="session")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hand")
    convs = hand_conversations()
    # Two shards, so the report reads a folder the way it reads a real one.
    write_shard(root, 0, conversations_to_table(convs[:3]))
    write_shard(root, 1, conversations_to_table(convs[3:]))
    return root


@pytest.fixture(scope="session")
def bare_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bare")
    write_shard(root, 0, conversations_to_table(bare_conversations()))
    return root


@pytest.fixture(scope="session")
def narrow_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shard that lacks whole columns (only id, conversation and turn): written by some other tool."""
    root = tmp_path_factory.mktemp("narrow")
    full = conversations_to_table(bare_conversations())
    table = pa.table(
        {
            "conversation_id": full["conversation_id"],
            "conversation": full["conversation"],
            "turn": full["turn"],
        }
    )
    (root / "data").mkdir()
    pq.write_table(table, root / "data" / "train-00000.parquet")
    return root


@pytest.fixture(scope="session")
def hand_report(
    hand_corpus: Path, bare_corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> ReportResult:
    out = tmp_path_factory.mktemp("report") / "report"
    return build_report(
        [hand_corpus, bare_corpus],
        out,
        names=["Hand", "Bare"],
        options=ReportOptions(
            scan=ScanOptions(text_sample_conversations=100), diversity_prompts=5, show_progress=False
        ),
        tokens=WhitespaceTokens(),
    )
