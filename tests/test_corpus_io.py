"""Corpus folders: atomic shards, all-or-nothing folders, a card that `datasets` understands."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from wildchat import corpus_io
from wildchat.records import CORPUS_SCHEMA, Conversation, Turn, conversations_to_table


def _table(n: int = 3) -> object:
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    conversations = [
        Conversation(
            conversation_id=f"id{i}",
            conversation_hash=f"h{i}",
            model="m",
            timestamp=when,
            conversation=[
                Turn("user", f"q{i}", turn_identifier=i),
                Turn("assistant", f"a{i}", turn_identifier=i),
            ],
            turn=1,
            language="English",
        )
        for i in range(n)
    ]
    return conversations_to_table(conversations)


def _write_corpus(folder: Path, rows: int = 3) -> None:
    corpus_io.write_shard(folder, 0, _table(rows))  # type: ignore[arg-type]
    corpus_io.write_card(
        folder, corpus_io.DatasetCard(pretty_name="Test: corpus", summary="s", num_rows=rows)
    )
    corpus_io.write_manifest(folder, {"rows": rows})


def test_shards_round_trip_and_leave_no_temporary_files(tmp_path: Path) -> None:
    _write_corpus(tmp_path)
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["train-00000.parquet"]
    table = corpus_io.read_corpus(tmp_path)
    assert table.schema.equals(CORPUS_SCHEMA)
    assert table.column("conversation_id").to_pylist() == ["id0", "id1", "id2"]
    assert corpus_io.read_manifest(tmp_path) == {"rows": 3}


def test_card_front_matter_declares_every_feature(tmp_path: Path) -> None:
    _write_corpus(tmp_path)
    text = (tmp_path / "README.md").read_text()
    front = yaml.safe_load(text.split("---")[1])
    names = [f["name"] for f in front["dataset_info"]["features"]]
    assert names == CORPUS_SCHEMA.names
    assert front["configs"][0]["data_files"][0]["path"] == "data/train-*.parquet"
    assert "DB-IP" in text
    turn = next(f for f in front["dataset_info"]["features"] if f["name"] == "conversation")
    header = next(f for f in turn["list"] if f["name"] == "header")
    assert [f["name"] for f in header["struct"]] == ["accept-language", "user-agent"]


def test_datasets_loads_the_folder_with_the_declared_features(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    _write_corpus(tmp_path)
    loaded = datasets.load_dataset(str(tmp_path), split="train")
    assert loaded.num_rows == 3
    assert loaded.features["timestamp"].dtype == "timestamp[us, tz=UTC]"
    assert loaded.features["conversation"].feature["turn_identifier"].dtype == "int64"
    assert loaded[1]["conversation"][0]["content"] == "q1"


def test_staged_folder_replaces_the_old_one_only_on_success(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    with corpus_io.staged_corpus_dir(out) as stage:
        _write_corpus(stage, rows=2)
    assert corpus_io.read_corpus(out).num_rows == 2
    umask = os.umask(0o022)
    os.umask(umask)
    assert (
        out.stat().st_mode & 0o777 == 0o777 & ~umask
    )  # shared like any folder, not private as mkdtemp makes it

    with pytest.raises(RuntimeError), corpus_io.staged_corpus_dir(out) as stage:
        _write_corpus(stage, rows=5)
        raise RuntimeError("a step failed half way")
    assert corpus_io.read_corpus(out).num_rows == 2  # the old corpus is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]  # no staging debris
