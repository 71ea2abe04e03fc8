"""End-to-end builds with the local engine (fake enrichers): folder, card, manifest, rules, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from build_helpers import build, scripted_calls, write_export

from wildchat.corpus_io import read_corpus, read_manifest
from wildchat.curate.build import work_dir_for
from wildchat.curate.reader import InputError
from wildchat.records import CALL_SCHEMA, CORPUS_SCHEMA


def sorted_rows(corpus: Path) -> list[dict[str, object]]:
    """The corpus rows in id order (the shard layout depends on the bucket count)."""
    return sorted(read_corpus(corpus).to_pylist(), key=lambda r: str(r["conversation_id"]))


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_export(tmp_path_factory.mktemp("logs") / "calls.parquet", scripted_calls())


@pytest.fixture(scope="module")
def corpus(export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "corpus"
    build(export, out)
    return out


def test_folder_has_shards_card_manifest_and_nothing_else(corpus: Path) -> None:
    names = sorted(p.name for p in corpus.iterdir())
    assert names == ["README.md", "data", "duplicates.parquet", "manifest.json"]
    assert not work_dir_for(corpus).exists()
    table = read_corpus(corpus)
    assert table.schema.equals(CORPUS_SCHEMA)
    assert len(table) == 17
    assert len(set(table["conversation_id"].to_pylist())) == 17


def test_rows_carry_the_enrichers_output(corpus: Path) -> None:
    rows = read_corpus(corpus).to_pylist()
    chinese = [r for r in rows if r["country"] == "China"]
    assert len(chinese) == 1 and chinese[0]["language"] == "Chinese"
    texts = [t["content"] for r in rows for t in r["conversation"]]
    assert not any("@example.org" in t for t in texts)
    assert sum(r["redacted"] for r in rows) == 14
    toxic = [r for r in rows if r["toxic"]]
    assert len(toxic) == 3 and all(any(t["toxic"] for t in r["conversation"]) for r in toxic)
    assert all(len(r["detoxify_moderation"]) == len(r["conversation"]) for r in rows)
    assert all(r["openai_moderation"] == [] for r in rows)


def test_manifest_counts_every_step(corpus: Path) -> None:
    m = read_manifest(corpus)
    counts = m["counts"]
    assert counts["read"]["rows_read"] == 33 and counts["read"]["malformed"] == 0
    assert counts["link"]["dropped"] == {"no_reply:upstream_error": 3}
    assert counts["link"]["branch_points"] == 4
    for name in ("language", "toxicity", "redact", "dedup_keys"):
        assert counts[name]["in"] == counts[name]["out"] == 17
    assert counts["dedup"]["exact_duplicates"] >= 1
    assert counts["write"]["conversations"] == 17
    assert m["inputs"]["tombstones"]["applied"] is True
    assert m["classifiers"]["detoxify"] == "fake (tests)"
    assert m["parameters"]["dedup"] == "flag"


def test_card_has_yaml_statistics_classifiers_credit_and_licence(corpus: Path) -> None:
    card = (corpus / "README.md").read_text()
    assert card.startswith("---\n") and "dataset_info:" in card and "conversation_id" in card
    assert "| conversations | 17 |" in card
    assert "fake (tests)" in card and "DB-IP" in card and "Licence" in card


def test_datasets_loads_the_folder_with_the_declared_features(corpus: Path) -> None:
    import datasets

    ds = datasets.load_dataset(str(corpus), split="train")
    assert ds.num_rows == 17
    assert ds.features == datasets.Features.from_arrow_schema(CORPUS_SCHEMA)
    row = ds[0]
    assert set(row) == set(CORPUS_SCHEMA.names)


def test_duplicates_flagged_listed_and_dropped_on_request(export: Path, corpus: Path, tmp_path: Path) -> None:
    dups = pq.read_table(corpus / "duplicates.parquet").to_pylist()
    ids = set(read_corpus(corpus)["conversation_id"].to_pylist())
    assert dups and all(d["conversation_id"] in ids and d["duplicate_of"] in ids for d in dups)
    dropped = build(export, tmp_path / "dropped", dedup="drop")
    kept = set(read_corpus(tmp_path / "dropped")["conversation_id"].to_pylist())
    assert kept == ids - {d["conversation_id"] for d in dups}
    assert dropped.manifest["counts"]["dedup"]["out"] == len(kept)
    off = build(export, tmp_path / "off", dedup="off")
    assert off.conversations == 17 and not (tmp_path / "off" / "duplicates.parquet").exists()


def test_withdrawn_consent_and_forgotten_ip_never_reach_the_corpus(export: Path, tmp_path: Path) -> None:
    result = build(export, tmp_path / "c", withdrawn=["consent-3", "consent-x"], forgotten=["ip-y"])
    rows = read_corpus(tmp_path / "c").to_pylist()
    ips = {t["hashed_ip"] for r in rows for t in r["conversation"] if t["role"] == "user"}
    assert not ips & {"ip-3", "ip-x", "ip-y"}
    assert result.manifest["counts"]["withdrawn"]["dropped"] == {
        "consent_withdrawn": 4,
        "hashed_ip_forgotten": 1,
    }


def test_parallel_workers_give_the_same_corpus(export: Path, corpus: Path, tmp_path: Path) -> None:
    build(export, tmp_path / "par", workers=2, calls_per_bucket=100)  # two buckets, one per worker
    assert sorted_rows(tmp_path / "par") == sorted_rows(corpus)


def test_resume_skips_finished_buckets(
    export: Path, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wildchat.curate import pipeline

    out = tmp_path / "resumed"
    real = pipeline.Pipeline.process_bucket
    calls: list[int] = []

    def crash_on_third(self: pipeline.Pipeline, task: pipeline.BucketTask) -> pipeline.BucketResult:
        calls.append(task.index)
        if len(calls) == 3:
            raise RuntimeError("simulated crash")
        return real(self, task)

    monkeypatch.setattr(pipeline.Pipeline, "process_bucket", crash_on_third)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build(export, out)
    assert not out.exists() and work_dir_for(out).exists()
    calls.clear()
    monkeypatch.setattr(
        pipeline.Pipeline,
        "process_bucket",
        lambda self, task: (calls.append(task.index), real(self, task))[1],
    )
    result = build(export, out, resume=True)
    assert len(calls) == result.manifest["parameters"]["buckets"] - 2
    assert result.manifest["parameters"]["resumed_buckets"] == 2
    assert read_corpus(out).equals(read_corpus(corpus))


def test_failed_build_leaves_the_old_corpus_in_place(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wildchat.curate import pipeline

    out = tmp_path / "keep"
    build(export, out, dedup="off")
    before = read_corpus(out)

    def boom(self: pipeline.Pipeline, task: pipeline.BucketTask) -> pipeline.BucketResult:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline.Pipeline, "process_bucket", boom)
    with pytest.raises(RuntimeError):
        build(export, out)
    assert read_corpus(out).equals(before)


def test_malformed_parquet_rows_are_counted_with_row_and_field(tmp_path: Path) -> None:
    rows = [c.to_row() for c in scripted_calls()]
    rows[2]["consent_id"] = None
    rows[5]["status"] = "exploded"
    rows[7]["messages"] = [{"role": None, "content": "x", "name": None}]
    rows[9]["params"] = "{not json"
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=CALL_SCHEMA), path)
    result = build(path, tmp_path / "out")
    read = result.manifest["counts"]["read"]
    assert read["malformed"] == 4 and read["rows_kept"] == len(rows) - 4
    examples = read["malformed_examples"]
    assert examples[0] == f"{path}: row 2: field 'consent_id': missing (null)"
    assert any("row 5: field 'status'" in e for e in examples)
    assert any("row 7: field 'messages.role'" in e for e in examples)
    assert any("row 9: field 'params': not valid JSON" in e for e in examples)
    with pytest.raises(InputError, match=r"bad.parquet: row 2: field 'consent_id'"):
        build(path, tmp_path / "strict", strict=True)
    assert not (tmp_path / "strict").exists() and not work_dir_for(tmp_path / "strict").exists()


def test_jsonl_export_builds_the_same_corpus_and_reports_bad_lines(
    export: Path, corpus: Path, tmp_path: Path
) -> None:
    path = tmp_path / "calls.jsonl"
    lines = []
    for row in pq.read_table(export).to_pylist():
        row["received_at"] = row["received_at"].isoformat()
        row["completed_at"] = row["completed_at"].isoformat()
        row["headers"] = dict(row["headers"])
        row["schema_version"] = 1
        lines.append(json.dumps(row))
    lines.insert(3, "{this is not json")
    lines.insert(6, json.dumps({"call_id": "x", "consent_id": "c"}))
    path.write_text("\n".join(lines) + "\n")
    result = build(path, tmp_path / "out")
    assert result.manifest["counts"]["read"]["malformed"] == 2
    assert result.manifest["counts"]["read"]["malformed_examples"][0].startswith(
        f"{path}: line 4: field '(record)'"
    )
    assert read_corpus(tmp_path / "out").equals(read_corpus(corpus))


def test_not_an_export_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"a": [1]}), path)
    with pytest.raises(InputError, match="missing column"):
        build(path, tmp_path / "out")


def test_truncated_parquet_is_a_clear_error(export: Path, tmp_path: Path) -> None:
    data = export.read_bytes()
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut.parquet: not a readable Parquet file"):
        build(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_collect_exporters_jsonl_builds_the_same_corpus(
    export: Path, corpus: Path, tmp_path: Path
) -> None:
    from wildchat.collect.export import jsonl_line, read_export

    path = tmp_path / "calls.jsonl"
    path.write_bytes(b"".join(jsonl_line(c) for batch in read_export(export) for c in batch))
    result = build(path, tmp_path / "out")
    assert result.manifest["counts"]["read"]["malformed"] == 0
    assert read_corpus(tmp_path / "out").equals(read_corpus(corpus))
