"""The shared record types: round trips and WildChat-1M's exact schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from wildchat.records import (
    CALL_SCHEMA,
    CORPUS_SCHEMA,
    MODERATION_CATEGORIES,
    ChatCall,
    Conversation,
    Message,
    Turn,
    calls_to_table,
    conversations_to_table,
)

# WildChat-1M's dataset card (allenai/WildChat-1M, README.md dataset_info), transcribed by hand.
WILDCHAT_1M_TOP_LEVEL = [
    "conversation_hash",
    "model",
    "timestamp",
    "conversation",
    "turn",
    "language",
    "openai_moderation",
    "detoxify_moderation",
    "toxic",
    "redacted",
    "state",
    "country",
    "hashed_ip",
    "header",
]
WILDCHAT_1M_TURN = [
    "content",
    "country",
    "hashed_ip",
    "header",
    "language",
    "redacted",
    "role",
    "state",
    "timestamp",
    "toxic",
    "turn_identifier",
]


def _call() -> ChatCall:
    return ChatCall(
        call_id="c1",
        consent_id="k1",
        received_at=datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        completed_at=datetime(2026, 1, 2, 3, 4, 6, 654321, tzinfo=UTC),
        model="m",
        messages=[Message("system", "be brief"), Message("user", "héllo 你好")],
        stream=True,
        status="ok",
        params={"temperature": 0.5, "top_p": 0.9, "stop": ["\n"]},
        time_to_first_token_ms=12.5,
        response_text="hi",
        finish_reason="stop",
        prompt_tokens=3,
        completion_tokens=1,
        total_tokens=4,
        headers={"user-agent": "UA", "accept-language": "fr"},
        hashed_ip="ab" * 32,
        country="France",
        state=None,
    )


def test_call_round_trips_through_arrow() -> None:
    call = _call()
    table = calls_to_table([call])
    assert table.schema.equals(CALL_SCHEMA)
    back = ChatCall.from_row(table.to_pylist()[0])
    assert back == call


def test_naive_timestamps_are_read_as_utc() -> None:
    row = _call().to_row()
    row["received_at"] = datetime(2026, 1, 2, 3, 4, 5)
    assert ChatCall.from_row(row).received_at.tzinfo == UTC


def test_corpus_schema_has_wildchat_1m_names_order_and_types() -> None:
    assert CORPUS_SCHEMA.names == [*WILDCHAT_1M_TOP_LEVEL, "conversation_id"]
    turn = CORPUS_SCHEMA.field("conversation").type.value_type
    assert [turn.field(i).name for i in range(turn.num_fields)] == WILDCHAT_1M_TURN
    assert CORPUS_SCHEMA.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert turn.field("turn_identifier").type == pa.int64()
    header = CORPUS_SCHEMA.field("header").type
    assert [header.field(i).name for i in range(header.num_fields)] == ["accept-language", "user-agent"]
    moderation = CORPUS_SCHEMA.field("openai_moderation").type.value_type
    categories = moderation.field("categories").type
    assert [categories.field(i).name for i in range(categories.num_fields)] == list(MODERATION_CATEGORIES)
    assert len(MODERATION_CATEGORIES) == 18
    assert moderation.field("category_scores").type.field("sexual/minors").type == pa.float64()


def test_conversation_to_table_keeps_turn_metadata() -> None:
    when = datetime(2026, 1, 2, tzinfo=UTC)
    conversation = Conversation(
        conversation_id="id1",
        conversation_hash="h",
        model="m",
        timestamp=when,
        conversation=[
            Turn(
                "user",
                "hi",
                language="English",
                turn_identifier=7,
                hashed_ip="x",
                header={"user-agent": "UA"},
            ),
            Turn("assistant", "hello", language="English", turn_identifier=7, timestamp=when),
        ],
        turn=1,
        language="English",
    )
    row = conversations_to_table([conversation]).to_pylist()[0]
    assert row["conversation"][0]["header"] == {"accept-language": None, "user-agent": "UA"}
    assert row["conversation"][1]["timestamp"] == when
    assert row["conversation"][0]["timestamp"] is None
    assert row["openai_moderation"] == [] and row["header"] is None


def test_moderation_names_pair_each_api_name_with_its_underscore_alias() -> None:
    from wildchat.records import MODERATION_ALIASES, MODERATION_API_CATEGORIES

    assert len(MODERATION_API_CATEGORIES) == 11 and "self-harm/intent" in MODERATION_API_CATEGORIES
    assert MODERATION_ALIASES["self-harm/intent"] == "self_harm_intent"
    assert MODERATION_ALIASES["self_harm_intent"] == "self-harm/intent"
    assert "hate" not in MODERATION_ALIASES  # a plain name has no other spelling
    assert set(MODERATION_API_CATEGORIES) | set(MODERATION_ALIASES) == set(MODERATION_CATEGORIES)
