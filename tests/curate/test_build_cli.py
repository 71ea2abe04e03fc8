"""``wildchat build`` and ``wildchat synth-logs`` from the command line, with a real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from build_helpers import scripted_calls, write_export
from curate_fakes import FAKE_FACTORY
from typer.testing import CliRunner

from wildchat.cli import app
from wildchat.corpus_io import read_corpus, read_manifest
from wildchat.records import CALL_SCHEMA

runner = CliRunner()
FAST = ["--workers", "1", "--no-progress", "--steps-factory", FAKE_FACTORY, "--calls-per-bucket", "8"]


def test_strict_stops_on_a_malformed_record_naming_file_row_and_field(tmp_path: Path) -> None:
    rows = [c.to_row() for c in scripted_calls()]
    rows[4]["received_at"] = None
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=CALL_SCHEMA), path)
    result = runner.invoke(
        app, ["build", "--logs", str(path), "--out", str(tmp_path / "c"), "--strict", *FAST]
    )
    assert result.exit_code == 2
    assert f"{path}: row 4: field 'received_at': missing (null)" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "c").exists()


def test_export_without_store_builds_and_says_tombstones_were_not_applied(tmp_path: Path) -> None:
    path = write_export(tmp_path / "calls.parquet", scripted_calls())
    result = runner.invoke(app, ["build", "--logs", str(path), "--out", str(tmp_path / "c"), *FAST])
    assert result.exit_code == 0, result.output
    assert "wrote 17 conversations" in result.output and "NOT applied" in result.output
    assert read_manifest(tmp_path / "c")["inputs"]["tombstones"]["applied"] is False


def test_store_tombstones_apply_to_an_export_made_before_the_withdrawal(tmp_path: Path) -> None:
    from wildchat.collect.store import Consent, open_store, sqlite_url

    url = sqlite_url(tmp_path / "data" / "logs.sqlite3")
    store = open_store(url)
    store.migrate()
    calls = scripted_calls()
    now = datetime.now(UTC)
    for consent in sorted({c.consent_id for c in calls}):
        store.add_consent(Consent(consent, "v1", now), key_hash=f"hash-{consent}")
    store.append_calls(calls)
    # The export is made first, with the store named in its metadata ...
    export = write_export(tmp_path / "calls.parquet", calls, {b"wildchat.store": url.encode()})
    # ... then a user withdraws.
    store.withdraw_consent("consent-2", now)
    store.close()
    result = runner.invoke(app, ["build", "--logs", str(export), "--out", str(tmp_path / "c"), *FAST])
    assert result.exit_code == 0, result.output
    rows = read_corpus(tmp_path / "c").to_pylist()
    assert not any(t["hashed_ip"] == "ip-2" for r in rows for t in r["conversation"])
    manifest = read_manifest(tmp_path / "c")
    assert manifest["inputs"]["tombstones"]["applied"] is True
    assert manifest["counts"]["withdrawn"]["dropped"] == {"consent_withdrawn": 2}
    # Building straight from the data directory gives the same corpus.
    result = runner.invoke(
        app, ["build", "--logs", str(tmp_path / "data"), "--out", str(tmp_path / "d"), *FAST]
    )
    assert result.exit_code == 0, result.output
    assert sorted(read_corpus(tmp_path / "d")["conversation_id"].to_pylist()) == sorted(
        r["conversation_id"] for r in rows
    )


def test_synth_logs_is_seeded_and_builds(tmp_path: Path) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for path in (a, b):
        result = runner.invoke(
            app, ["synth-logs", "--conversations", "60", "--seed", "3", "--out", str(path)]
        )
        assert result.exit_code == 0, result.output
    assert pq.read_table(a).equals(pq.read_table(b))
    result = runner.invoke(app, ["build", "--logs", str(a), "--out", str(tmp_path / "c"), *FAST])
    assert result.exit_code == 0, result.output
    assert len(read_corpus(tmp_path / "c")) >= 60


def test_malformed_records_are_skipped_and_named_on_stderr(tmp_path: Path) -> None:
    rows = [c.to_row() for c in scripted_calls()]
    rows[1]["model"] = None
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=CALL_SCHEMA), path)
    result = runner.invoke(app, ["build", "--logs", str(path), "--out", str(tmp_path / "c"), *FAST])
    assert result.exit_code == 0, result.output
    assert f"skipped malformed record: {path}: row 1: field 'model': missing (null)" in result.output
    assert "1 malformed record(s) skipped" in result.output
