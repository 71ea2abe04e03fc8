"""Malformed input through the CLI: exit code 2, a message naming file, line and field, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from importer_helpers import read_rows, run_cli, write_jsonl

from wildchat import corpus_io

GOOD: dict[str, dict[str, Any]] = {
    "alpaca": {"instruction": "Say hi.", "input": "", "output": "Hi."},
    "dolly": {"instruction": "Say hi.", "context": "", "response": "Hi.", "category": "open_qa"},
    "sharegpt": {
        "id": "x1",
        "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hey"}],
    },
    "lmsys": {
        "conversation_id": "c1",
        "model": "vicuna-13b",
        "conversation": [{"content": "hi", "role": "user"}, {"content": "hey", "role": "assistant"}],
        "turn": 1,
        "language": "English",
        "openai_moderation": [],
        "redacted": False,
    },
    "wildchat": {
        "conversation_hash": "h1",
        "model": "gpt-4",
        "timestamp": "2023-04-09T00:04:52",
        "conversation": [{"content": "hi", "role": "user"}, {"content": "hey", "role": "assistant"}],
        "turn": 1,
        "openai_moderation": [
            {"categories": {"hate": False}, "category_scores": {"hate": 0.1}, "flagged": False}
        ],
    },
    "oasst": {
        "message_tree_id": "t1",
        "tree_state": "ready_for_export",
        "prompt": {
            "message_id": "m1",
            "text": "hi",
            "role": "prompter",
            "replies": [
                {"message_id": "m2", "parent_id": "m1", "text": "hey", "role": "assistant", "rank": 0}
            ],
        },
    },
}


def _without(row: dict[str, Any], *path: str | int) -> dict[str, Any]:
    copy = json.loads(json.dumps(row))
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


def _with(row: dict[str, Any], value: Any, *path: str | int) -> dict[str, Any]:
    copy = json.loads(json.dumps(row))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


# (format, bad second row, the field the message must name)
CASES = [
    ("alpaca", _without(GOOD["alpaca"], "output"), "output"),
    ("alpaca", _with(GOOD["alpaca"], 3, "instruction"), "instruction"),
    ("dolly", _without(GOOD["dolly"], "response"), "response"),
    ("dolly", _with(GOOD["dolly"], ["a"], "context"), "context"),
    ("sharegpt", _without(GOOD["sharegpt"], "conversations"), "conversations"),
    ("sharegpt", _with(GOOD["sharegpt"], 7, "conversations", 1, "value"), "conversations[1].value"),
    ("sharegpt", _with(GOOD["sharegpt"], "robot", "conversations", 0, "from"), "conversations[0].from"),
    ("lmsys", _without(GOOD["lmsys"], "conversation_id"), "conversation_id"),
    ("lmsys", _with(GOOD["lmsys"], "hi there", "conversation"), "conversation"),
    ("wildchat", _without(GOOD["wildchat"], "conversation", 0, "role"), "conversation[0].role"),
    ("wildchat", _with(GOOD["wildchat"], "yesterday", "timestamp"), "timestamp"),
    (
        "wildchat",
        _with(GOOD["wildchat"], "yes", "openai_moderation", 0, "categories", "hate"),
        "openai_moderation[0].categories.hate",
    ),
    ("wildchat", {"prompt": "hi", "model": "gpt-4"}, "response"),
    ("oasst", _without(GOOD["oasst"], "prompt", "replies", 0, "text"), "prompt.replies[0].text"),
    ("oasst", _with(GOOD["oasst"], "bot", "prompt", "role"), "prompt.role"),
]


@pytest.mark.parametrize(("format_name", "bad", "field"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_bad_field_names_file_line_and_field(
    tmp_path: Path, format_name: str, bad: dict[str, Any], field: str
) -> None:
    source = write_jsonl(tmp_path / f"{format_name}.jsonl", [GOOD[format_name], bad])
    out = tmp_path / "out"
    result = run_cli("--format", format_name, source, "--out", out)

    assert result.exit_code == 2, result.output
    assert f"error: {source}:2: field '{field}': " in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == [source]  # no stage left behind either


@pytest.mark.parametrize("format_name", sorted(GOOD))
def test_bad_json_line_names_file_and_line_and_keeps_the_old_corpus(tmp_path: Path, format_name: str) -> None:
    out = tmp_path / "out"
    good = write_jsonl(tmp_path / "good.jsonl", [GOOD[format_name]])
    assert run_cli("--format", format_name, good, "--out", out).exit_code == 0
    before = (out / "manifest.json").read_text(encoding="utf-8")

    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps(GOOD[format_name]) + "\n\n" + '{"oops": [1, 2}\n', encoding="utf-8")
    result = run_cli("--format", format_name, source, "--out", out)

    assert result.exit_code == 2
    assert f"error: {source}:3: invalid JSON" in result.stderr
    assert (out / "manifest.json").read_text(encoding="utf-8") == before  # the old corpus is intact
    assert len(read_rows(out)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "good.jsonl", "out"]


def test_bad_element_of_a_json_array(tmp_path: Path) -> None:
    source = tmp_path / "alpaca.json"
    items = [GOOD["alpaca"], GOOD["alpaca"], _with(GOOD["alpaca"], None, "output")]
    source.write_text(json.dumps(items, indent=2), encoding="utf-8")
    result = run_cli("--format", "alpaca", source, "--out", tmp_path / "out")

    assert result.exit_code == 2
    # json.dumps(indent=2) puts each 5-line element after the opening bracket: the third opens on line 12.
    assert f"error: {source}:12 (element 3): field 'output': is null" in result.stderr


def test_metadata_csv_errors(tmp_path: Path) -> None:
    header = '"conversation_id","model","timestamp","turn","language","toxicity_flag","redacted","state","country","hashed_ip"'
    good = '"aa","gpt-4","2024-01-20T16:38:15.000-05:00","2","English","false","false","","Italy","ff"'
    source = tmp_path / "part_1.csv"
    source.write_text("\n".join([header, good, good.replace('"2"', '"two"')]) + "\n", encoding="utf-8")
    result = run_cli("--format", "wildchat-metadata", source, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"error: {source}:3: field 'turn': must be an integer, got 'two'" in result.stderr

    source.write_text("\n".join([header, good, '"bb","gpt-4"']) + "\n", encoding="utf-8")
    result = run_cli("--format", "wildchat-metadata", source, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"error: {source}:3: has 2 columns, the header has 10" in result.stderr

    source.write_text("\n".join([header, good.replace('"aa"', '""')]) + "\n", encoding="utf-8")
    result = run_cli("--format", "wildchat-metadata", source, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"error: {source}:2: field 'conversation_id': is empty" in result.stderr
    assert not (tmp_path / "out").exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [GOOD["alpaca"]])
    unknown = run_cli("--format", "vicuna", good, "--out", tmp_path / "out")
    assert unknown.exit_code == 2 and "unknown format 'vicuna'; known formats: wildchat," in unknown.stderr

    missing = run_cli("--format", "alpaca", tmp_path / "nope.json", "--out", tmp_path / "out")
    assert missing.exit_code == 2 and f"{tmp_path / 'nope.json'}: no such file or folder" in missing.stderr

    inside = run_cli("--format", "alpaca", good, "--out", tmp_path)
    assert inside.exit_code == 2 and "lies inside the output folder" in inside.stderr
    assert good.exists()

    paths = run_cli("--format", "oasst", good, "--out", tmp_path / "out", "--oasst-paths", "longest")
    assert paths.exit_code == 2 and "--oasst-paths must be 'all' or 'best', got 'longest'" in paths.stderr

    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello\n", encoding="utf-8")
    other = run_cli("--format", "alpaca", not_json, "--out", tmp_path / "out")
    assert other.exit_code == 2 and "is not JSON, JSON Lines, CSV or Parquet" in other.stderr
    assert not (tmp_path / "out").exists()


def test_cli_success_reports_counts(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [GOOD["sharegpt"]] * 3)
    result = run_cli("--format", "sharegpt", good, "--out", tmp_path / "out")
    assert result.exit_code == 0
    assert "imported 3 conversations" in result.stdout
    assert corpus_io.read_manifest(tmp_path / "out")["counts"]["conversations_out"] == 3


def test_help_names_every_format() -> None:
    from typer.testing import CliRunner

    from wildchat.analyze.importers import FORMATS
    from wildchat.cli import app

    result = CliRunner().invoke(app, ["import", "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    assert all(name in result.stdout for name in FORMATS), result.stdout


def test_progress_goes_to_stderr(shared_public: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from wildchat.cli import app

    source = shared_public / "alpaca" / "alpaca_en_demo.json"
    result = CliRunner().invoke(app, ["import", "-f", "alpaca", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert "import alpaca" in result.stderr and "859.9/859.9 kB" in result.stderr  # every byte read
    assert "imported 999 conversations" in result.stdout


def test_empty_input_gives_an_empty_corpus(tmp_path: Path) -> None:
    source = tmp_path / "empty.jsonl"
    source.write_text("\n", encoding="utf-8")
    result = run_cli("--format", "sharegpt", source, "--out", tmp_path / "out")
    assert result.exit_code == 0 and "imported 0 conversations" in result.stdout
    assert corpus_io.read_manifest(tmp_path / "out")["counts"]["conversations_out"] == 0
    assert len(corpus_io.shard_files(tmp_path / "out")) == 1 and read_rows(tmp_path / "out") == []


def test_skip_malformed_counts_bad_records_instead_of_stopping(tmp_path: Path) -> None:
    rows = [
        GOOD["alpaca"],
        _with(GOOD["alpaca"], 3, "instruction"),
        GOOD["alpaca"],
        _without(GOOD["alpaca"], "output"),
    ]
    source = write_jsonl(tmp_path / "alpaca.jsonl", rows)
    result = run_cli("--format", "alpaca", source, "--out", tmp_path / "out", "--skip-malformed")

    assert result.exit_code == 0 and "imported 2 conversations" in result.stdout
    manifest = corpus_io.read_manifest(tmp_path / "out")
    assert manifest["parameters"]["skip_malformed"] is True
    assert manifest["counts"]["records_in"] == 4 and manifest["counts"]["skipped"] == 2
    assert manifest["skipped"]["malformed record (field 'instruction')"] == {
        "count": 1,
        "first_at": f"{source}:2: field 'instruction': must be a string, got int",
    }
    assert manifest["skipped"]["malformed record (field 'output')"]["count"] == 1


def test_skip_malformed_in_oasst_trees_and_flat_tables(tmp_path: Path) -> None:
    bad_tree = _without(GOOD["oasst"], "prompt", "replies", 0, "text")
    trees = write_jsonl(tmp_path / "trees.jsonl", [GOOD["oasst"], bad_tree])
    result = run_cli("--format", "oasst", trees, "--out", tmp_path / "out", "--skip-malformed")
    assert result.exit_code == 0 and "imported 1 conversations" in result.stdout
    flat = [
        {"message_id": "m1", "parent_id": None, "message_tree_id": "t1", "role": "prompter", "text": "hi"},
        {"message_id": "m2", "parent_id": "m1", "message_tree_id": "t1", "role": "bot", "text": "hey"},
        {"message_id": "m3", "parent_id": "m2", "message_tree_id": "t1", "role": "prompter", "text": "so?"},
        {"message_id": "m4", "parent_id": "m1", "message_tree_id": "t1", "role": "assistant", "text": "yo"},
    ]
    table = write_jsonl(tmp_path / "flat.jsonl", flat)
    result = run_cli("--format", "oasst", table, "--out", tmp_path / "out", "--skip-malformed")
    assert result.exit_code == 0 and "imported 1 conversations" in result.stdout
    skipped = corpus_io.read_manifest(tmp_path / "out")["skipped"]
    assert skipped["malformed record (field 'message.role')"]["count"] == 1
    assert skipped["message whose parent is not in the input (with its replies)"]["count"] == 1  # m3
