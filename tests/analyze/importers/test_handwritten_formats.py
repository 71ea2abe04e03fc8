"""Formats without a public sample here, on small hand-written rows: WildChat nested, LMSYS, Dolly, oasst flat."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from importer_helpers import read_rows, write_jsonl

from wildchat.analyze.importers import ImportOptions, MalformedInput, run_import
from wildchat.records import MODERATION_CATEGORIES

SLASH_KEYS = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
UNDERSCORE_KEYS = tuple(k.replace("/", "_").replace("-", "_") for k in SLASH_KEYS)


def moderation(keys: tuple[str, ...], flagged_key: str | None = None, score: float = 0.01) -> dict[str, Any]:
    return {
        "categories": {k: k == flagged_key for k in keys},
        "category_scores": {k: (0.9 if k == flagged_key else score) for k in keys},
        "flagged": flagged_key is not None,
    }


def detox(toxicity: float) -> dict[str, float]:
    labels = ("identity_attack", "insult", "obscene", "severe_toxicity", "sexual_explicit", "threat")
    return {**dict.fromkeys(labels, 0.001), "toxicity": toxicity}


def wildchat_rows() -> list[dict[str, Any]]:
    user = {
        "content": "hola",
        "country": "Spain",
        "hashed_ip": "ab" * 32,
        "header": {"accept-language": "es-ES", "user-agent": "Mozilla/5.0"},
        "language": "Spanish",
        "redacted": False,
        "role": "user",
        "state": "Madrid",
        "timestamp": None,
        "toxic": False,
        "turn_identifier": 101,
    }
    assistant = {**user, "content": "¡Hola!", "role": "assistant", "hashed_ip": None, "header": None}
    assistant["timestamp"] = "2024-03-01T10:00:05+00:00"
    both_spellings = {k: False for k in MODERATION_CATEGORIES}
    return [
        {  # WildChat-1M: both spellings, aware timestamps, every field
            "conversation_hash": "c" * 32,
            "model": "gpt-4-0125-preview",
            "timestamp": "2024-03-01T10:00:05+00:00",
            "conversation": [user, assistant],
            "turn": 1,
            "language": "Spanish",
            "openai_moderation": [
                {
                    "categories": both_spellings,
                    "category_scores": dict.fromkeys(MODERATION_CATEGORIES, 0.0),
                    "flagged": False,
                }
            ]
            * 2,
            "detoxify_moderation": [detox(0.001), detox(0.002)],
            "toxic": False,
            "redacted": False,
            "state": "Madrid",
            "country": "Spain",
            "hashed_ip": "ab" * 32,
            "header": {"accept-language": "es-ES", "user-agent": "Mozilla/5.0"},
        },
        {  # the first release: conversation_id, slash keys only, naive timestamp, no geography
            "conversation_id": "d" * 32,
            "model": "gpt-3.5-turbo",
            "timestamp": "2023-05-01 08:30:00",
            "conversation": [
                {
                    "content": "kill it",
                    "language": "English",
                    "redacted": False,
                    "role": "user",
                    "toxic": True,
                },
                {
                    "content": "no",
                    "language": "English",
                    "redacted": False,
                    "role": "assistant",
                    "toxic": False,
                },
            ],
            "turn": 1,
            "language": "English",
            "openai_moderation": [moderation(SLASH_KEYS, "violence/graphic"), moderation(SLASH_KEYS)],
            "detoxify_moderation": [detox(0.7), detox(0.01)],
            "toxic": True,
            "redacted": False,
        },
        {  # underscore keys only, a Z timestamp
            "conversation_hash": "e" * 32,
            "model": "gpt-4",
            "timestamp": "2024-01-02T03:04:05Z",
            "conversation": [{"content": "x", "role": "user"}, {"content": "y", "role": "assistant"}],
            "openai_moderation": [
                moderation(UNDERSCORE_KEYS, "self_harm_intent"),
                moderation(UNDERSCORE_KEYS),
            ],
        },
    ]


def check_wildchat(rows: list[dict[str, Any]], source_name: str) -> None:
    full, first, underscore = rows
    assert full["conversation_hash"] == "c" * 32 and full["conversation_id"] == f"{source_name}:1"
    assert full["timestamp"] == datetime(2024, 3, 1, 10, 0, 5, tzinfo=UTC)
    assert full["conversation"][0]["header"] == {"accept-language": "es-ES", "user-agent": "Mozilla/5.0"}
    assert full["conversation"][0]["turn_identifier"] == 101
    assert full["conversation"][1]["timestamp"] == datetime(2024, 3, 1, 10, 0, 5, tzinfo=UTC)
    assert (full["hashed_ip"], full["state"], full["country"]) == ("ab" * 32, "Madrid", "Spain")
    assert full["detoxify_moderation"][1]["toxicity"] == 0.002

    # The first release's conversation_id is both its hash and our id.
    assert first["conversation_hash"] == first["conversation_id"] == "d" * 32
    assert first["timestamp"] == datetime(2023, 5, 1, 8, 30, tzinfo=UTC)
    assert first["hashed_ip"] is None and first["conversation"][0]["toxic"] is True

    for row, flagged in (
        (first, ("violence/graphic", "violence_graphic")),
        (underscore, ("self-harm/intent", "self_harm_intent")),
    ):
        categories = row["openai_moderation"][0]["categories"]
        scores = row["openai_moderation"][0]["category_scores"]
        assert list(categories) == list(MODERATION_CATEGORIES)  # all 18, in the schema's order
        assert all(value is not None for value in categories.values())
        assert {k for k, v in categories.items() if v} == set(flagged)
        assert scores[flagged[0]] == scores[flagged[1]] == 0.9
        assert row["openai_moderation"][0]["flagged"] is True
    assert underscore["timestamp"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert underscore["turn"] == 1  # counted from the user turns when the row does not say


def test_wildchat_nested_rows_from_jsonl(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "wildchat.jsonl", wildchat_rows())
    run_import("wildchat", [source], tmp_path / "out")
    check_wildchat(read_rows(tmp_path / "out"), "wildchat.jsonl")


def test_wildchat_nested_rows_from_parquet(tmp_path: Path) -> None:
    rows = wildchat_rows()
    columns = {key for row in rows for key in row}
    rows = [{key: row.get(key) for key in sorted(columns)} for row in rows]  # one schema for all rows
    for row in rows:  # Parquet releases store real timestamps, some without a zone
        row["timestamp"] = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")).replace(
            tzinfo=None
        )
    source = tmp_path / "train-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    run_import("wildchat", [source], tmp_path / "out")
    check_wildchat(read_rows(tmp_path / "out"), source.name)


def test_lmsys_rows(tmp_path: Path) -> None:
    rows = [
        {
            "conversation_id": "33f01939a744455c869cb234afca47f1",
            "model": "vicuna-13b",
            "conversation": [
                {"content": "bad words", "role": "user"},
                {"content": "I can't help", "role": "assistant"},
                {"content": "fine", "role": "user"},
                {"content": "ok", "role": "assistant"},
            ],
            "turn": 2,
            "language": "English",
            "openai_moderation": [
                moderation(SLASH_KEYS, "harassment"),
                moderation(SLASH_KEYS),
                moderation(SLASH_KEYS),
                moderation(SLASH_KEYS),
            ],
            "redacted": True,
        },
        {
            "conversation_id": "empty",
            "model": "koala-13b",
            "conversation": [],
            "turn": 0,
            "language": "German",
        },
    ]
    source = write_jsonl(tmp_path / "lmsys.jsonl", rows)
    result = run_import("lmsys", [source], tmp_path / "out")
    (row,) = read_rows(tmp_path / "out")

    assert result.manifest["skipped"] == {"empty conversation": {"count": 1, "first_at": f"{source}:2"}}
    assert (row["conversation_id"], row["model"], row["turn"], row["language"]) == (
        "33f01939a744455c869cb234afca47f1",
        "vicuna-13b",
        2,
        "English",
    )
    assert [t["toxic"] for t in row["conversation"]] == [True, False, False, False]
    assert row["toxic"] is True and row["redacted"] is True
    assert len(row["openai_moderation"]) == 4 and row["detoxify_moderation"] == []
    assert row["openai_moderation"][0]["categories"]["harassment"] is True
    assert row["openai_moderation"][0]["category_scores"]["self_harm"] == 0.01  # filled from self-harm
    assert row["timestamp"] is None and row["hashed_ip"] is None


def test_dolly_rows(tmp_path: Path) -> None:
    rows = [
        {
            "instruction": "When did it open?",
            "context": "The bridge opened in 1937.",
            "response": "1937",
            "category": "closed_qa",
        },
        {"instruction": "Name a fruit.", "context": "", "response": "Apple", "category": "brainstorming"},
        {"instruction": "Write a haiku.", "context": "", "response": "...", "category": "creative_writing"},
    ]
    source = write_jsonl(tmp_path / "databricks-dolly-15k.jsonl", rows)
    result = run_import("dolly", [source], tmp_path / "out")
    out = read_rows(tmp_path / "out")

    assert len(out) == 3 and all(r["turn"] == 1 for r in out)
    assert out[0]["conversation"][0]["content"] == "When did it open?\n\nThe bridge opened in 1937."
    assert out[1]["conversation"][0]["content"] == "Name a fruit."
    assert out[2]["conversation"][1]["content"] == "..."
    assert result.manifest["details"]["category closed_qa"] == 1
    assert result.manifest["source"]["license"] == "cc-by-sa-3.0"


def oasst_flat_messages() -> list[dict[str, Any]]:
    def msg(mid: str, parent: str | None, role: str, text: str, **extra: Any) -> dict[str, Any]:
        return {
            "message_id": mid,
            "parent_id": parent,
            "user_id": f"user-{mid}",
            "created_date": f"2023-02-0{len(mid)}T12:00:00.000000+00:00",
            "text": text,
            "role": role,
            "lang": "es",
            "review_count": 3,
            "review_result": True,
            "deleted": False,
            "rank": None,
            "synthetic": False,
            "model_name": None,
            "detoxify": detox(0.5 if mid == "A2" else 0.01),
            "message_tree_id": "T1" if mid != "R2" else "T2",
            "tree_state": "ready_for_export",
            "emojis": None,
            "labels": None,
        } | extra

    return [
        msg("P1", None, "prompter", "¿Qué es un árbol?"),
        msg("A1", "P1", "assistant", "Una planta.", rank=1),
        msg("A2", "P1", "assistant", "Una planta leñosa.", rank=0),
        msg("A3", "P1", "assistant", "[borrado]", rank=2, deleted=True),
        msg("P2", "A2", "prompter", "¿Y un arbusto?"),
        msg("A4", "P2", "assistant", "Una planta más baja."),
        msg("P3", "A1", "prompter", "¿Seguro?"),  # nobody answered
        msg("R2", None, "prompter", "Hola"),  # a tree without any reply
    ]


def test_oasst_flat_table_all_paths(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "oasst1-train.jsonl", oasst_flat_messages())
    result = run_import("oasst", [source], tmp_path / "out")
    rows = read_rows(tmp_path / "out")

    paths = sorted([t["content"] for t in r["conversation"]] for r in rows)
    assert paths == [
        ["¿Qué es un árbol?", "Una planta leñosa.", "¿Y un arbusto?", "Una planta más baja."],
        ["¿Qué es un árbol?", "Una planta."],
    ]
    skipped = {reason: v["count"] for reason, v in result.manifest["skipped"].items()}
    assert skipped == {
        "deleted message (with its replies)": 1,
        "prompt nobody answered": 1,
        "tree without an assistant reply": 1,
    }
    assert result.manifest["details"]["trees"] == 2 and result.manifest["counts"]["records_in"] == 8
    long = next(r for r in rows if len(r["conversation"]) == 4)
    assert long["conversation_id"] == "A4" and long["turn"] == 2
    assert long["language"] == "Spanish" and long["hashed_ip"] == "user-P1"
    assert [t["hashed_ip"] for t in long["conversation"]] == ["user-P1", None, "user-P2", None]
    assert [t["toxic"] for t in long["conversation"]] == [False, True, False, False]  # Detoxify > 0.1
    assert long["toxic"] is True and len(long["detoxify_moderation"]) == 4
    assert long["timestamp"] == datetime(2023, 2, 2, 12, tzinfo=UTC)


def test_oasst_flat_table_best_path(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "oasst1-train.jsonl", oasst_flat_messages())
    run_import("oasst", [source], tmp_path / "out", ImportOptions(oasst_paths="best"))
    (row,) = read_rows(tmp_path / "out")
    assert [t["content"] for t in row["conversation"]][:2] == ["¿Qué es un árbol?", "Una planta leñosa."]
    assert len(row["conversation"]) == 4


def test_oasst_flat_table_needs_trees_contiguous(tmp_path: Path) -> None:
    messages = oasst_flat_messages()
    messages.append(messages.pop(1))  # A1 after tree T2: tree T1 comes back
    source = write_jsonl(tmp_path / "shuffled.jsonl", messages)
    with pytest.raises(MalformedInput) as caught:
        run_import("oasst", [source], tmp_path / "out")
    assert str(caught.value).startswith(f"{source}:8: field 'message_tree_id': tree T1 appeared earlier")
    assert not (tmp_path / "out").exists()


def test_oasst_flat_table_from_parquet_with_float_ranks(tmp_path: Path) -> None:
    """The Hugging Face oasst1 Parquet stores ``rank`` as float64 with NaN where unranked."""
    messages = oasst_flat_messages()
    for message in messages:
        message["rank"] = float("nan") if message["rank"] is None else float(message["rank"])
        message.pop("emojis"), message.pop("labels")
    source = tmp_path / "train-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(messages), source)
    assert pa.types.is_floating(pq.read_schema(source).field("rank").type)
    run_import("oasst", [source], tmp_path / "out", ImportOptions(oasst_paths="best"))
    (row,) = read_rows(tmp_path / "out")
    assert [t["content"] for t in row["conversation"]][1] == "Una planta leñosa."  # rank 0.0 wins
    assert row["conversation_id"] == "A4"
