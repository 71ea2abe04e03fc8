"""Every importer on the real public samples in ../shared/data/public, against their SOURCE.md counts."""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from wildchat import corpus_io
from wildchat.analyze.importers import run_import
from wildchat.records import CORPUS_SCHEMA, MODERATION_CATEGORIES

Imported = Callable[..., tuple[list[dict[str, Any]], dict[str, Any]]]


def test_alpaca_sample_gives_999_one_turn_conversations(shared_public: Path, imported: Imported) -> None:
    source = shared_public / "alpaca" / "alpaca_en_demo.json"
    rows, manifest = imported("alpaca", source)
    raw = json.loads(source.read_text(encoding="utf-8"))

    assert len(rows) == 999 == manifest["counts"]["conversations_out"] == manifest["counts"]["records_in"]
    assert manifest["details"]["rows with input"] == 412
    assert all(
        r["turn"] == 1 and [t["role"] for t in r["conversation"]] == ["user", "assistant"] for r in rows
    )
    with_input = next(i for i, r in enumerate(raw) if r["input"])
    assert (
        rows[with_input]["conversation"][0]["content"]
        == f"{raw[with_input]['instruction']}\n\n{raw[with_input]['input']}"
    )
    assert rows[0]["conversation"][0]["content"] == raw[0]["instruction"]
    assert rows[0]["conversation"][1]["content"] == raw[0]["output"]
    # What Alpaca does not have stays null / empty.
    assert {r["model"] for r in rows} == {None} and {r["timestamp"] for r in rows} == {None}
    assert all(r["openai_moderation"] == [] and r["detoxify_moderation"] == [] for r in rows)
    assert len({r["conversation_id"] for r in rows}) == 999


def test_sharegpt_sample_gives_462_conversations_with_3417_messages(
    shared_public: Path, imported: Imported
) -> None:
    rows, manifest = imported("sharegpt", shared_public / "sharegpt" / "sharegpt_v3_sample.json")

    assert len(rows) == 462
    roles = Counter(t["role"] for r in rows for t in r["conversation"])
    assert sum(roles.values()) == 3417 == manifest["counts"]["messages_out"]
    assert roles == {"user": 1633, "assistant": 1783, "system": 1}
    assert sum(r["turn"] for r in rows) == 1633
    assert rows[0]["conversation_id"] == "wi6LrU9_19"
    assert rows[0]["conversation"][0]["role"] == "assistant"  # a split part may start with the reply


def _oasst_expected_paths(source: Path) -> tuple[int, int]:
    """Independently: root-to-leaf paths, trailing prompts cut, prefixes of longer paths dropped."""
    paths: set[tuple[str, ...]] = set()
    messages = 0

    def walk(message: dict[str, Any], prefix: list[dict[str, Any]]) -> None:
        nonlocal messages
        messages += 1
        path = [*prefix, message]
        if not message.get("replies"):
            while path and path[-1]["role"] == "prompter":
                path.pop()
            if path:
                paths.add(tuple(m["message_id"] for m in path))
        for reply in message.get("replies") or []:
            walk(reply, path)

    for line in source.read_text(encoding="utf-8").splitlines():
        walk(json.loads(line)["prompt"], [])
    kept = [p for p in paths if not any(len(q) > len(p) and q[: len(p)] == p for q in paths)]
    return len(kept), messages


def test_oasst_tree_sample_all_paths(shared_public: Path, imported: Imported) -> None:
    source = shared_public / "oasst1" / "en_100_tree.jsonl"
    rows, manifest = imported("oasst", source)
    expected_paths, messages = _oasst_expected_paths(source)

    details = manifest["details"]
    assert details["trees"] == 100 and manifest["counts"]["records_in"] == 100
    assert details["messages"] == messages == 1167
    assert (details["prompter messages"], details["assistant messages"]) == (480, 687)
    assert details["synthetic messages"] == 22
    assert len(rows) == expected_paths
    # Every answered prompt and every reply is in some conversation; only unanswered prompts are not.
    unanswered = manifest["skipped"]["prompt nobody answered"]["count"]
    assert details["messages in conversations"] + unanswered == 1167
    for row in rows:
        roles = [t["role"] for t in row["conversation"]]
        assert roles[0] == "user" and roles[-1] == "assistant"
        assert all(a != b for a, b in itertools.pairwise(roles))  # strictly alternating
        assert row["turn"] == roles.count("user")
        assert row["language"] == "English" and row["conversation"][0]["language"] == "English"
    assert len({r["conversation_id"] for r in rows}) == len(rows)
    assert len({r["conversation"][0]["content"] for r in rows}) == 100  # 100 trees, 100 root prompts


def test_oasst_tree_sample_best_path_follows_rank_zero(shared_public: Path, imported: Imported) -> None:
    source = shared_public / "oasst1" / "en_100_tree.jsonl"
    rows, manifest = imported("oasst", source, oasst_paths="best")
    first = json.loads(source.read_text(encoding="utf-8").splitlines()[0])["prompt"]

    assert len(rows) == 100
    assert manifest["parameters"]["oasst_paths"] == "best"
    best_reply = next(r for r in first["replies"] if r.get("rank") == 0)
    assert rows[0]["conversation"][0]["content"] == first["text"]
    assert rows[0]["conversation"][1]["content"] == best_reply["text"]
    # The first tree is machine-written (chip20b) end to end, so the model is known.
    assert rows[0]["model"] == "chip20b"


def test_wildchat_flattened_sample_gives_771_one_turn_conversations(
    shared_public: Path, imported: Imported
) -> None:
    source = shared_public / "wildchat-4.8m" / "wildchat_clean_head.jsonl"
    rows, manifest = imported("wildchat", source)
    raw = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]

    assert len(rows) == 771 == manifest["details"]["flattened rows"]
    assert Counter(r["model"] for r in rows) == Counter(r["model"] for r in raw)
    assert Counter(r["language"] for r in rows) == Counter(r["language"] for r in raw)
    assert rows[0]["timestamp"] == datetime(2023, 4, 9, 0, 4, 52, tzinfo=UTC)  # no offset in the file: UTC
    assert min(r["timestamp"] for r in rows) == datetime.fromisoformat(
        min(r["timestamp"] for r in raw)
    ).replace(tzinfo=UTC)
    assert rows[5]["conversation"][0]["content"] == raw[5]["prompt"]
    assert rows[5]["conversation"][1]["content"] == raw[5]["response"]
    assert rows[5]["conversation"][1]["timestamp"] is None  # the row's time is the conversation's
    assert {r["conversation_hash"] for r in rows} == {None} and {r["hashed_ip"] for r in rows} == {None}


def test_wildchat_metadata_sample_is_a_metadata_only_corpus(shared_public: Path, imported: Imported) -> None:
    folder = shared_public / "wildchat-metadata"
    rows, manifest = imported("wildchat-metadata", folder)
    raw: list[dict[str, str]] = []
    for name in ("part_1_head.csv", "part_2_head.csv"):
        with open(folder / name, encoding="utf-8", newline="") as fh:
            raw += list(csv.DictReader(fh))

    assert len(rows) == 138 == len(raw)
    assert [i["records"] for i in manifest["inputs"]] == [69, 69]
    assert all(r["conversation"] == [] for r in rows)
    assert [r["turn"] for r in rows] == [int(r["turn"]) for r in raw]
    assert len({r["hashed_ip"] for r in rows}) == len({r["hashed_ip"] for r in raw})
    assert sum(r["state"] is None for r in rows) == sum(r["state"] == "" for r in raw) == 21
    assert rows[0]["conversation_hash"] == "57da92a0a1bf4b56b3f52d75971f3cf8"
    # 2024-01-20T16:38:15.000-05:00 is 21:38:15 UTC.
    assert rows[0]["timestamp"] == datetime(2024, 1, 20, 21, 38, 15, tzinfo=UTC)
    assert (rows[0]["state"], rows[0]["country"], rows[0]["toxic"]) == ("Monza Brianza", "Italy", False)


def test_shards_split_at_the_requested_size(shared_public: Path, tmp_path: Path) -> None:
    out = tmp_path / "alpaca"
    result = run_import("alpaca", [shared_public / "alpaca"], out, shard_rows=400)
    sizes = [pq.ParquetFile(p).metadata.num_rows for p in corpus_io.shard_files(out)]
    assert (result.shards, sizes) == (3, [400, 400, 199])
    assert pq.read_schema(corpus_io.shard_files(out)[0]).remove_metadata().equals(CORPUS_SCHEMA)


@pytest.mark.slow
def test_datasets_loads_an_imported_folder(shared_public: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "oasst"
    run_import("oasst", [shared_public / "oasst1"], out)
    loaded = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf-cache"))

    assert loaded.num_rows == corpus_size(out)
    assert loaded.features["timestamp"].dtype == "timestamp[us, tz=UTC]"
    assert loaded[0]["conversation"][0]["role"] == "user"
    categories = loaded.features["openai_moderation"].feature["categories"]
    assert list(categories) == list(MODERATION_CATEGORIES)


def corpus_size(folder: Path) -> int:
    return corpus_io.read_corpus(folder).num_rows


def test_card_states_the_source_licence_and_inputs(shared_public: Path, tmp_path: Path) -> None:
    out = tmp_path / "sharegpt"
    run_import("sharegpt", [shared_public / "sharegpt"], out)
    card = (out / "README.md").read_text(encoding="utf-8")

    assert 'pretty_name: "ShareGPT (imported)"' in card
    assert "research-only" in card and "placeholder" not in card
    assert "sharegpt_v3_sample.json" in card and "3,141,637 bytes" in card
    assert "DB-IP" not in card  # nothing here was geolocated by us
