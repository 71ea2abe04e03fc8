"""``wildchat logs export`` / ``logs forget``: round trips, metadata, atomicity, bounds, CLI errors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from wildchat.cli import app
from wildchat.collect.export import ExportError, export_calls, read_export, read_tombstones
from wildchat.collect.ip_hash import IpHasher, load_salt, verify_salt
from wildchat.collect.store import Consent, LogStore, open_store
from wildchat.records import CALL_SCHEMA, EXPORT_SCHEMA_VERSION, ChatCall, Message, Tombstone

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def sample_call(n: int, consent_id: str = "consent-a", hashed_ip: str | None = None) -> ChatCall:
    received = T0 + timedelta(minutes=n)
    return ChatCall(
        call_id=f"call-{n:05d}",
        consent_id=consent_id,
        received_at=received,
        completed_at=received + timedelta(seconds=2, microseconds=17),
        model="smollm2-135m-instruct",
        messages=[Message("user", f"Écris un poème n°{n} 🌊\x00"), Message("assistant", "Les vagues…")],
        stream=n % 2 == 1,
        status="ok" if n % 5 else "client_disconnected",
        params={"temperature": 0.2 * (n % 4), "stop": ["\n"]},
        time_to_first_token_ms=None if n % 3 == 0 else 12.25,
        response_text=f"Réponse {n}",
        finish_reason="stop",
        prompt_tokens=n,
        completion_tokens=2 * n,
        total_tokens=3 * n,
        headers={"user-agent": "pytest", "accept-language": "fr-FR"},
        hashed_ip=hashed_ip or f"{n % 4:064x}",
        country="France",
        state="Île-de-France",
    )


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[LogStore]:
    opened = open_store(f"sqlite:///{tmp_path}/data/logs.sqlite3")
    opened.migrate()
    opened.append_calls([sample_call(n) for n in range(25)])
    yield opened
    opened.close()


def flatten(batches: Iterator[list[ChatCall]]) -> list[ChatCall]:
    return [call for batch in batches for call in batch]


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_export_round_trips_every_call(store: LogStore, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"calls{suffix}"
    result = export_calls(store, out, batch_size=7)
    assert result.calls == 25
    assert flatten(read_export(out)) == [sample_call(n) for n in range(25)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["data", out.name])  # no temp file left


def test_parquet_export_carries_schema_and_provenance(store: LogStore, tmp_path: Path) -> None:
    out = tmp_path / "calls.parquet"
    export_calls(store, out, batch_size=10)
    parquet = pq.ParquetFile(out)
    assert parquet.schema_arrow.remove_metadata().equals(CALL_SCHEMA)
    metadata = parquet.schema_arrow.metadata
    assert metadata[b"wildchat.export_schema_version"] == str(EXPORT_SCHEMA_VERSION).encode()
    assert metadata[b"wildchat.store"] == store.url.encode()
    assert parquet.metadata.num_row_groups == 3  # one per batch: memory stays bounded
    rows = parquet.read().to_pylist()
    assert [ChatCall.from_row(row) for row in rows] == [sample_call(n) for n in range(25)]


def test_jsonl_lines_are_versioned_objects(store: LogStore, tmp_path: Path) -> None:
    out = tmp_path / "calls.jsonl"
    export_calls(store, out)
    lines = out.read_bytes().splitlines()
    assert len(lines) == 25
    first = orjson.loads(lines[0])
    assert list(first)[:2] == ["schema_version", "call_id"]
    assert first["schema_version"] == EXPORT_SCHEMA_VERSION
    assert first["received_at"] == "2026-11-20T08:00:00Z"
    assert first["params"] == {"temperature": 0.0, "stop": ["\n"]}
    assert list(first)[1:] == CALL_SCHEMA.names


def test_export_honours_since_and_until(store: LogStore, tmp_path: Path) -> None:
    out = tmp_path / "window.jsonl"
    result = export_calls(store, out, since=T0 + timedelta(minutes=5), until=T0 + timedelta(minutes=9))
    assert result.calls == 4
    assert [c.call_id for c in flatten(read_export(out))] == [f"call-{n:05d}" for n in range(5, 9)]


class FailingStore:
    """A real store whose iteration breaks after its first batch (as a dropped connection would)."""

    def __init__(self, inner: LogStore) -> None:
        self._inner = inner
        self.url = inner.url

    def count_calls(self) -> int:
        return self._inner.count_calls()

    def iter_calls(self, **kwargs: object) -> Iterator[Sequence[ChatCall]]:
        for i, batch in enumerate(self._inner.iter_calls(**kwargs)):  # type: ignore[arg-type]
            if i == 1:
                raise ConnectionError("store went away")
            yield batch


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_a_failed_export_leaves_the_previous_file_untouched(
    store: LogStore, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"calls{suffix}"
    out.write_bytes(b"previous export")
    with pytest.raises(ConnectionError):
        export_calls(FailingStore(store), out, batch_size=5)  # type: ignore[arg-type]
    assert out.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["data", out.name])


def test_bad_targets_are_refused_before_writing(store: LogStore, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"\.parquet or \.jsonl"):
        export_calls(store, tmp_path / "calls.csv")
    with pytest.raises(ExportError, match="does not exist"):
        export_calls(store, tmp_path / "missing" / "calls.jsonl")


def test_read_tombstones_sees_withdrawals_and_forgets(store: LogStore) -> None:
    store.add_consent(Consent("consent-a", "v1", T0), "hash-a")
    at = datetime(2026, 11, 25, tzinfo=UTC)
    store.withdraw_consent("consent-a", at)
    store.forget_hashed_ip("f" * 64, at + timedelta(hours=1))
    assert read_tombstones(store.url) == [
        Tombstone(withdrawn_at=at, consent_id="consent-a"),
        Tombstone(withdrawn_at=at + timedelta(hours=1), hashed_ip="f" * 64),
    ]


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_export_and_forget(store: LogStore, tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "data"
    out = tmp_path / "calls.parquet"
    result = runner.invoke(
        app, ["logs", "export", "--data-dir", str(data_dir), "--out", str(out), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "exported 25 calls" in result.output
    assert len(flatten(read_export(out))) == 25

    target = f"{1:064x}"  # calls 1, 5, 9, ... 21
    result = runner.invoke(
        app, ["logs", "forget", "--hashed-ip", target], env={"WILDCHAT_DATA_DIR": str(data_dir)}
    )
    assert result.exit_code == 0, result.output
    assert "deleted 6 calls" in result.output
    assert store.count_calls() == 19
    assert store.tombstones()[-1].hashed_ip == target

    window = tmp_path / "window.jsonl"
    result = runner.invoke(
        app,
        [
            "logs",
            "export",
            "--db",
            store.url,
            "--out",
            str(window),
            "--since",
            "2026-11-20T08:10",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert all(c.received_at >= T0 + timedelta(minutes=10) for c in flatten(read_export(window)))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["logs", "export", "--data-dir", "{tmp}/nowhere", "--out", "{tmp}/x.parquet"], "no log store at"),
        (["logs", "export", "--db", "mysql://u:pw@h/d", "--out", "{tmp}/x.parquet"], "unsupported store URL"),
        (["logs", "export", "--data-dir", "{tmp}/data", "--out", "{tmp}/x.csv"], ".parquet or .jsonl"),
        (
            ["logs", "export", "--data-dir", "{tmp}/data", "--out", "{tmp}/x.jsonl", "--since", "May"],
            "ISO-8601",
        ),
        (["logs", "forget", "--data-dir", "{tmp}/data", "--hashed-ip", "203.0.113.9"], "64 lower-case hex"),
    ],
)
def test_cli_errors_are_messages_not_tracebacks(
    store: LogStore, tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert "pw@" not in result.output
    assert not (tmp_path / "x.parquet").exists() and not (tmp_path / "x.jsonl").exists()


@pytest.mark.postgres
def test_cli_exports_from_postgres(postgres_url: str, tmp_path: Path) -> None:
    pg = open_store(postgres_url)
    try:
        pg.migrate()
        pg.append_calls([sample_call(n) for n in range(12)])
    finally:
        pg.close()
    out = tmp_path / "pg.jsonl"
    result = CliRunner().invoke(
        app, ["logs", "export", "--db", postgres_url, "--out", str(out), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert flatten(read_export(out)) == [sample_call(n) for n in range(12)]


def test_cli_forget_by_raw_ip_hashes_it_with_the_gateways_salt(store: LogStore, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    runner = CliRunner()
    args = ["logs", "forget", "--data-dir", str(data_dir), "--ip", "198.51.100.7"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "no IP salt at" in " ".join(result.output.split())

    salt = load_salt(data_dir, store_has_calls=False)
    verify_salt(store, salt)
    hashed = IpHasher(salt)("198.51.100.7")
    store.append_calls([sample_call(n, hashed_ip=hashed) for n in range(100, 104)])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"deleted 4 calls from hashed IP {hashed}" in result.output
    assert "198.51.100.7" not in result.output
    assert store.tombstones()[-1].hashed_ip == hashed
    assert store.count_calls() == 25

    other = tmp_path / "other-salt"
    other.write_text("11" * 32)
    result = runner.invoke(app, [*args, "--salt-file", str(other)])
    assert result.exit_code == 2
    assert "not the one the store's calls were hashed with" in " ".join(result.output.split())
    result = runner.invoke(app, [*args, "--hashed-ip", hashed])
    assert result.exit_code == 2 and "exactly one of" in result.output
