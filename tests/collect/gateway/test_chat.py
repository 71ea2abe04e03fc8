"""The gateway driven by the official openai SDK (sync, async, streaming); every logged field checked."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import httpx
import openai
import pytest

from collect.support.processes import Gateway
from wildchat.records import CallStatus, ChatCall

CLIENT_IP = "198.51.100.23"  # TEST-NET-2: globally unique by design, so no geolocation
HEADERS = {
    "User-Agent": "Mozilla/5.0 (X11; Linux) test-browser/1.0",
    "Accept-Language": "de-DE,de;q=0.9",
    "X-Forwarded-For": CLIENT_IP,
    "Cookie": "session=not-for-logging",
    "X-Secret-Header": "not-on-the-allow-list",
}


def expected_hash(gateway: Gateway, ip: str) -> str:
    salt = bytes.fromhex((gateway.data_dir / "salt").read_text().strip())
    return hmac.new(salt, ip.encode(), hashlib.sha256).hexdigest()


def find(gateway: Gateway, upstream_id: str) -> ChatCall:
    matches = [c for c in gateway.calls() if c.upstream_id == upstream_id]
    assert len(matches) == 1, f"expected one record for {upstream_id}, found {len(matches)}"
    return matches[0]


def consent_id_of(gateway: Gateway, key: str) -> str:
    store = gateway.open_store()
    try:
        consent = store.find_consent(hashlib.sha256(key.encode()).hexdigest())
    finally:
        store.close()
    assert consent is not None
    return consent.consent_id


def test_health_and_models(gateway: Gateway) -> None:
    health = httpx.get(gateway.base + "/healthz")
    assert health.status_code == 200
    client = openai.OpenAI(base_url=gateway.api, api_key=gateway.consent())
    assert [m.id for m in client.models.list()][:2] == ["fake", "fake-error"]


def test_sync_completion_is_recorded_with_every_field(gateway: Gateway) -> None:
    key = gateway.consent()
    client = openai.OpenAI(base_url=gateway.api, api_key=key, default_headers=HEADERS, max_retries=0)
    before = datetime.now(UTC)
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is the capital of France?"},
    ]
    reply = client.chat.completions.create(
        model="fake",
        messages=messages,
        temperature=0.25,
        top_p=0.5,
        max_tokens=50,
        seed=7,  # type: ignore[arg-type]
    )
    after = datetime.now(UTC)
    assert reply.choices[0].message.content == "You said: What is the capital of France?"

    call = find(gateway, reply.id)
    assert call.consent_id == consent_id_of(gateway, key)
    assert (
        before - timedelta(seconds=1) <= call.received_at <= call.completed_at <= after + timedelta(seconds=1)
    )
    assert call.received_at.utcoffset() == timedelta(0)
    assert call.time_to_first_token_ms is not None and 0 < call.time_to_first_token_ms < 10_000
    assert call.model == "fake" and call.stream is False and call.status == CallStatus.OK
    assert [(m.role, m.content) for m in call.messages] == [(m["role"], m["content"]) for m in messages]
    assert call.params == {"temperature": 0.25, "top_p": 0.5, "max_tokens": 50, "seed": 7}
    assert call.response_text == "You said: What is the capital of France?"
    assert call.finish_reason == "stop"
    assert (call.prompt_tokens, call.completion_tokens, call.total_tokens) == (8, 8, 16)
    assert call.upstream_id == reply.id and call.system_fingerprint == "fp_fake"
    assert call.error is None
    assert call.headers == {
        "user-agent": HEADERS["User-Agent"],
        "accept-language": HEADERS["Accept-Language"],
    }
    assert call.hashed_ip == expected_hash(gateway, CLIENT_IP)
    assert (call.country, call.state) == (None, None)


def test_streaming_is_recorded_when_the_stream_ends(gateway: Gateway) -> None:
    key = gateway.consent()
    client = openai.OpenAI(base_url=gateway.api, api_key=key, default_headers=HEADERS, max_retries=0)
    chunks = list(
        client.chat.completions.create(
            model="fake",
            messages=[{"role": "user", "content": "tell me a long story"}],
            stream=True,
            extra_body={"chunks": 7},
        )
    )
    # the usage chunk the gateway asked for is not forwarded to a client that did not ask for it
    assert all(chunk.choices for chunk in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "You said: tell me a long story"
    call = find(gateway, chunks[0].id)
    assert call.stream is True and call.status == CallStatus.OK
    assert call.response_text == text and call.finish_reason == "stop"
    assert call.completion_tokens == 7 and call.total_tokens == call.prompt_tokens + 7  # type: ignore[operator]
    assert call.params == {"chunks": 7}
    assert call.time_to_first_token_ms is not None
    assert call.time_to_first_token_ms <= (call.completed_at - call.received_at).total_seconds() * 1000


def test_streaming_usage_is_forwarded_when_asked(gateway: Gateway) -> None:
    client = openai.OpenAI(base_url=gateway.api, api_key=gateway.consent(), max_retries=0)
    chunks = list(
        client.chat.completions.create(
            model="fake",
            messages=[{"role": "user", "content": "count"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5
    assert find(gateway, chunks[0].id).params == {"stream_options": {"include_usage": True}}


def test_async_client_concurrent_calls_each_recorded(gateway: Gateway) -> None:
    key = gateway.consent()

    async def run() -> list[str]:
        client = openai.AsyncOpenAI(base_url=gateway.api, api_key=key, max_retries=0)
        async with client:
            replies = await asyncio.gather(
                *[
                    client.chat.completions.create(
                        model="fake", messages=[{"role": "user", "content": f"q{i}"}]
                    )
                    for i in range(20)
                ]
            )
            stream = await client.chat.completions.create(
                model="fake", messages=[{"role": "user", "content": "async stream"}], stream=True
            )
            ids = [r.id for r in replies]
            async for chunk in stream:
                ids.append(chunk.id)
        return ids

    ids = asyncio.run(run())
    by_id = {c.upstream_id: c for c in gateway.calls()}
    for i, upstream_id in enumerate(ids[:20]):
        assert by_id[upstream_id].response_text == f"You said: q{i}"
    assert by_id[ids[-1]].response_text == "You said: async stream"


def test_content_parts_are_flattened_to_text(gateway: Gateway) -> None:
    client = openai.OpenAI(base_url=gateway.api, api_key=gateway.consent(), max_retries=0)
    reply = client.chat.completions.create(
        model="fake",
        messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "part one"}, {"type": "text", "text": "two"}],
            }
        ],
    )
    assert find(gateway, reply.id).messages[0].content == "part one\ntwo"


@pytest.mark.parametrize("ip", ["8.8.8.8"])
def test_public_ip_gets_country(gateway: Gateway, ip: str) -> None:
    client = openai.OpenAI(
        base_url=gateway.api,
        api_key=gateway.consent(),
        default_headers={"X-Forwarded-For": ip},
        max_retries=0,
    )
    reply = client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "where am I"}])
    call = find(gateway, reply.id)
    assert call.hashed_ip == expected_hash(gateway, ip)
    assert call.country == "United States"
