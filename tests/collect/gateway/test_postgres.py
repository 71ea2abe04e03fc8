"""The same gateway tests on the PostgreSQL store (the ``gateway`` fixture is overridden here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import openai
import pytest

from collect.gateway.conftest import NO_LIMITS, TIMEOUT
from collect.gateway.test_chat import (
    test_async_client_concurrent_calls_each_recorded,
    test_streaming_is_recorded_when_the_stream_ends,
    test_sync_completion_is_recorded_with_every_field,
)
from collect.gateway.test_consent import test_withdrawal_deletes_every_record_and_revokes_the_key
from collect.gateway.test_durability import run_load_then
from collect.gateway.test_upstream_failures import (
    test_client_leaving_mid_stream_is_recorded,
    test_upstream_cutting_a_stream_is_recorded_with_what_was_sent,
)
from collect.support.processes import FakeUpstream, Gateway, start_gateway

pytestmark = pytest.mark.postgres

__all__ = [
    "test_async_client_concurrent_calls_each_recorded",
    "test_client_leaving_mid_stream_is_recorded",
    "test_streaming_is_recorded_when_the_stream_ends",
    "test_sync_completion_is_recorded_with_every_field",
    "test_upstream_cutting_a_stream_is_recorded_with_what_was_sent",
    "test_withdrawal_deletes_every_record_and_revokes_the_key",
]


@pytest.fixture(scope="module")
def pg_url(postgres_server: str) -> Iterator[str]:
    import psycopg

    name = f"wildchat_gw_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{postgres_server.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, upstream: FakeUpstream, pg_url: str
) -> Iterator[Gateway]:
    data_dir = tmp_path_factory.mktemp("pg-gateway") / "data"
    gw = start_gateway(
        data_dir, upstream.url, "--trusted-proxies", "127.0.0.1/32", *NO_LIMITS, *TIMEOUT, db=pg_url
    )
    yield gw
    gw.stop()


@pytest.mark.slow
def test_kill_9_under_load_loses_no_completed_response_on_postgres(
    gateway: Gateway, upstream: FakeUpstream
) -> None:
    completed = run_load_then(gateway, "kill", min_completed=200)
    assert len(completed) >= 200
    restarted = start_gateway(gateway.data_dir, upstream.url, *NO_LIMITS, db=gateway.db, port=gateway.port)
    try:
        stored = {c.upstream_id for c in restarted.calls()}
        assert not [i for i in completed if i not in stored]
        client = openai.OpenAI(base_url=restarted.api, api_key=restarted.consent(), max_retries=0)
        client.chat.completions.create(
            model="fake", messages=[{"role": "user", "content": "after the crash"}]
        )
    finally:
        restarted.stop()
