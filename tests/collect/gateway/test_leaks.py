"""Nothing leaked: the raw IP, the consent key, Authorization, cookies and the upstream key reach
neither the store (SQLite file, its WAL; PostgreSQL tables) nor the service's stdout/stderr."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from collect.gateway.conftest import NO_LIMITS, TIMEOUT
from collect.support.processes import Gateway, start_fake_upstream, start_gateway, stop

RAW_IP = "203.0.113.77"
COOKIE = "sid=cookie-" + secrets.token_hex(8)
UPSTREAM_KEY = "sk-upstream-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def keyed_upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    fake = start_fake_upstream(tmp_path_factory.mktemp("keyed"), slow_s=3, expect_key=UPSTREAM_KEY)
    yield fake.url
    stop(fake.process)


def exercise(gw: Gateway) -> list[str]:
    """Every kind of call, from RAW_IP through a trusted proxy; returns the secrets that were used."""
    headers = {"X-Forwarded-For": RAW_IP, "Cookie": COOKIE, "User-Agent": "leak-test"}
    key = gw.consent(headers=headers)
    client = openai.OpenAI(base_url=gw.api, api_key=key, default_headers=headers, max_retries=0)
    client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "hello"}])
    list(
        client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "s"}], stream=True)
    )
    for model in ("fake-error", "fake-slow", "fake-cut"):
        with pytest.raises(openai.APIError):
            list(
                client.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": "x"}], stream=True
                )
            )
    bad_key = "wc-" + secrets.token_urlsafe(32)
    response = httpx.post(
        gw.api + "/chat/completions",
        json={"model": "fake", "messages": [{"role": "user", "content": "x"}]},
        headers={**headers, "Authorization": f"Bearer {bad_key}"},
    )
    assert response.status_code == 401 and bad_key not in response.text
    withdrawn = gw.consent(headers=headers)
    wclient = openai.OpenAI(base_url=gw.api, api_key=withdrawn, default_headers=headers, max_retries=0)
    wclient.chat.completions.create(model="fake", messages=[{"role": "user", "content": "bye"}])
    httpx.delete(gw.api + "/consent", headers={**headers, "Authorization": f"Bearer {withdrawn}"})
    assert len(gw.calls()) >= 5
    return [RAW_IP, key, bad_key, withdrawn, COOKIE, UPSTREAM_KEY]


def assert_absent(secrets_: list[str], blobs: dict[str, bytes]) -> None:
    for name, blob in blobs.items():
        for secret in secrets_:
            assert secret.encode() not in blob, f"{secret!r} found in {name}"


def start(tmp: Path, url: str, db: str | None = None) -> Gateway:
    return start_gateway(
        tmp / "data",
        url,
        "--trusted-proxies",
        "127.0.0.1/32",
        "--log-level",
        "debug",
        *NO_LIMITS,
        *TIMEOUT,
        db=db,
        env={"WILDCHAT_UPSTREAM_KEY": UPSTREAM_KEY},
    )


def test_nothing_secret_in_sqlite_or_logs(tmp_path: Path, keyed_upstream: str) -> None:
    gw = start(tmp_path, keyed_upstream)
    try:
        used = exercise(gw)
        files = {p.name: p.read_bytes() for p in gw.data_dir.iterdir() if p.name.startswith("logs.sqlite3")}
        assert "logs.sqlite3-wal" in files  # the WAL exists while serving: check it too
        assert_absent(used, files)
    finally:
        gw.stop()
    files = {p.name: p.read_bytes() for p in gw.data_dir.iterdir() if p.is_file()}
    files["service output"] = gw.log.read_bytes()
    assert_absent(used, files)


@pytest.mark.postgres
def test_nothing_secret_in_postgres_or_logs(tmp_path: Path, keyed_upstream: str, postgres_url: str) -> None:
    import psycopg

    gw = start(tmp_path, keyed_upstream, db=postgres_url)
    try:
        used = exercise(gw)
    finally:
        gw.stop()
    dump = []
    with psycopg.connect(postgres_url) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'public'"
        )]  # fmt: skip
        assert tables
        for table in tables:
            dump += [r[0] for r in conn.execute(f'select t::text from "{table}" t')]
    assert len(dump) > 5
    assert_absent(used, {"postgres tables": "\n".join(dump).encode(), "service output": gw.log.read_bytes()})
