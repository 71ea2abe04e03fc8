"""The streaming readers: JSON arrays through a tiny window, JSON Lines, CSV and Parquet positions."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wildchat.analyze.importers import readers
from wildchat.analyze.importers.base import MalformedInput


@pytest.fixture()
def tiny_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 16-byte window, so that every element straddles several reads."""
    monkeypatch.setattr(readers, "_CHUNK", 16)


TRICKY = [
    {"text": "brackets ] } [ { and commas , inside", "n": 1},
    {"text": 'line\nbreaks\n escaped, "quotes" and ünïcödé 🦙', "n": 2},
    {"text": "x" * 100, "nested": {"list": [1, 2, {"deep": "]"}]}, "n": 3},
]


def test_json_array_streams_elements_with_their_lines(tmp_path: Path, tiny_window: None) -> None:
    path = tmp_path / "data.json"
    path.write_text("\ufeff[\n" + ",\n".join(json.dumps(item) for item in TRICKY) + "\n]\n", encoding="utf-8")
    advanced: list[int] = []
    records = list(readers.read_records(path, advanced.append))

    assert [r.data for r in records] == TRICKY
    assert [(r.where.line, r.where.row) for r in records] == [(2, 1), (3, 2), (4, 3)]
    assert sum(advanced) == path.stat().st_size


def test_json_array_pretty_printed_and_empty(tmp_path: Path, tiny_window: None) -> None:
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(TRICKY, indent=4, ensure_ascii=False), encoding="utf-8")
    assert [r.data for r in readers.read_records(path)] == TRICKY

    empty = tmp_path / "empty.json"
    empty.write_text(" [ ] ", encoding="utf-8")
    assert list(readers.read_records(empty)) == []


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('[{"a": 1},\n{"a": 2}\n{"a": 3}]', 3, "expected ',' or ']', found '{'"),
        ('[{"a": 1},\n{"a": }]', 2, "invalid JSON: Expecting value"),
        ('[{"a": 1},\n{"a": 2}', 2, "expected ',' or ']', found the end of the file"),
        ('[{"a": 1},\n[1, 2]]', 2, "must be a JSON object, got an array"),
    ],
)
def test_json_array_errors_name_the_line(
    tmp_path: Path, tiny_window: None, text: str, line: int, problem: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MalformedInput) as caught:
        list(readers.read_records(path))
    assert caught.value.where.line == line
    assert problem in str(caught.value)


def test_jsonl_skips_blank_lines_and_counts_lines(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"n": 1}\n\n  \n{"n": 2}\n', encoding="utf-8")
    records = list(readers.read_records(path))
    assert [(r.where.line, r.data["n"]) for r in records] == [(1, 1), (4, 2)]


def test_csv_lines_account_for_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text('id,text\n1,"two\nlines"\n2,plain\n', encoding="utf-8")
    records = list(readers.read_records(path))
    assert [(r.where.line, r.data) for r in records] == [
        (2, {"id": "1", "text": "two\nlines"}),
        (4, {"id": "2", "text": "plain"}),
    ]


def test_parquet_rows_are_numbered(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"n": list(range(2500))}), path, row_group_size=1000)
    advanced: list[int] = []
    records = list(readers.read_records(path, advanced.append))
    assert len(records) == 2500 and records[-1].where.row == 2500 and records[-1].data == {"n": 2499}
    assert str(records[0].where) == f"{path}: row 1"
    assert sum(advanced) == path.stat().st_size


def test_not_parquet_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(MalformedInput, match="is not a readable Parquet file"):
        list(readers.read_records(path))


def test_gzip_compressed_inputs_read_like_plain_ones(shared_public: Path, tmp_path: Path) -> None:
    import gzip

    from wildchat.analyze.importers import run_import

    plain = shared_public / "oasst1" / "en_100_tree.jsonl"
    packed = tmp_path / "inputs" / "2023-04-12_oasst_ready.trees.jsonl.gz"
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    advanced: list[int] = []
    records = list(readers.read_records(packed, advanced.append))
    assert len(records) == 100 and records[99].where.line == 100
    assert sum(advanced) == packed.stat().st_size  # progress counts the compressed bytes

    array = tmp_path / "inputs" / "alpaca.json.gz"
    array.write_bytes(gzip.compress((shared_public / "alpaca" / "alpaca_en_demo.json").read_bytes()))
    assert readers.input_kind(array) == "json"
    result = run_import("oasst", [packed.parent / packed.name], tmp_path / "out")
    assert result.conversations == 546  # as from the plain file (test_public_samples)


def test_damaged_gzip_names_the_file(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "trees.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n' * 50_000)[:-200])  # cut short
    with pytest.raises(MalformedInput, match=r"trees\.jsonl\.gz: cannot be read: "):
        list(readers.read_records(path))
