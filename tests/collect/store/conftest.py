"""Store fixtures: the same tests run on a fresh SQLite file and on a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_calls import MakeCall, make_call

from wildchat.collect.store import LogStore, open_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/data/logs.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture()
def store(store_url: str) -> Iterator[LogStore]:
    opened = open_store(store_url)
    opened.migrate()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture()
def new_call() -> MakeCall:
    """``new_call(n, consent_id=..., **field_overrides)``: call number ``n``, received ``n`` seconds after T0."""
    return make_call
