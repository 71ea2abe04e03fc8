"""Store URLs are printed and written into exports: they must never carry a password."""

from __future__ import annotations

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
