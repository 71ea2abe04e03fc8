"""Store URLs are printed and written into exports: they must never carry a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from wildchat.collect.store import redact_url, sqlite_url


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("postgresql://alice:s3cret@db.example:5432/logs", "postgresql://alice@db.example:5432/logs"),
        ("postgres://:s3cret@db/logs", "postgres://db/logs"),
        (
            "postgresql://alice@db/logs?sslmode=require&password=s3cret",
            "postgresql://alice@db/logs?sslmode=require",
        ),
        ("postgresql://db/logs", "postgresql://db/logs"),
        ("sqlite:///wildchat-data/logs.sqlite3", "sqlite:///wildchat-data/logs.sqlite3"),
    ],
)
def test_redact_url_drops_passwords(url: str, safe: str) -> None:
    assert redact_url(url) == safe
    assert "s3cret" not in redact_url(url)


def test_sqlite_url_keeps_absolute_paths_absolute() -> None:
    assert sqlite_url("/srv/wc/logs.sqlite3") == "sqlite:////srv/wc/logs.sqlite3"
    assert sqlite_url("data/logs.sqlite3") == "sqlite:///data/logs.sqlite3"


def test_sqlite_synchronous_option(tmp_path: Path) -> None:
    import sqlite3

    from wildchat.collect.store import StoreError, open_store

    store = open_store(sqlite_url(tmp_path / "normal.sqlite3") + "?synchronous=normal")
    try:
        store.migrate()
        assert store.url.endswith("?synchronous=normal")  # exports record how the calls were kept
        reopened = open_store(store.url)
        assert reopened.url == store.url
        reopened.close()
    finally:
        store.close()
    default = open_store(sqlite_url(tmp_path / "full.sqlite3"))
    try:
        conn = default._writer  # type: ignore[attr-defined]
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert isinstance(conn, sqlite3.Connection)
    finally:
        default.close()
    with pytest.raises(StoreError, match="synchronous"):
        open_store(sqlite_url(tmp_path / "x.sqlite3") + "?synchronous=off")
