"""Limits and bad input: 413, 429 with Retry-After (per key and per hashed IP), 400, 404 — OpenAI-shaped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from collect.gateway.conftest import NO_LIMITS
from collect.support.processes import FakeUpstream, Gateway, chat_body, start_gateway


def assert_openai_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    if code:
        assert error["code"] == code
    return dict(error)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, upstream: FakeUpstream) -> Iterator[Gateway]:
    """3 calls a minute per key, 5 per hashed IP, 20 KB bodies."""
    gw = start_gateway(
        tmp_path_factory.mktemp("limited") / "data", upstream.url, "--trusted-proxies", "127.0.0.1/32",
        "--rate-limit-key", "3", "--rate-limit-ip", "5", "--rate-limit-consent", "0", "--max-body-bytes", "20000",
    )  # fmt: skip
    yield gw
    gw.stop()


def post(gw: Gateway, key: str, body: object = None, ip: str = "203.0.113.1", **kw: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", "X-Forwarded-For": ip}
    if body is None:
        body = chat_body()
    if isinstance(body, bytes):
        return httpx.post(gw.api + "/chat/completions", content=body, headers=headers, **kw)  # type: ignore[arg-type]
    return httpx.post(gw.api + "/chat/completions", json=body, headers=headers, **kw)  # type: ignore[arg-type]


def test_body_over_the_limit_gets_413_and_no_record(limited: Gateway) -> None:
    key = limited.consent()
    before = len(limited.calls())
    assert_openai_error(
        post(limited, key, chat_body("x" * 30_000), ip="203.0.113.50"), 413, "request_too_large"
    )

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        yield b'{"model": "fake", "messages": [{"role": "user", "content": "'
        for _ in range(30):
            yield b"y" * 1000
        yield b'"}]}'

    headers = {"Authorization": f"Bearer {key}", "X-Forwarded-For": "203.0.113.51"}
    response = httpx.post(limited.api + "/chat/completions", content=chunked(), headers=headers)
    assert_openai_error(response, 413)
    assert len(limited.calls()) == before


def test_rate_limit_per_key_answers_429_with_retry_after(limited: Gateway) -> None:
    key = limited.consent()
    ips = [f"203.0.113.{10 + i}" for i in range(4)]  # a different IP each time: only the key limit applies
    assert [post(limited, key, ip=ip).status_code for ip in ips[:3]] == [200, 200, 200]
    response = post(limited, key, ip=ips[3])
    assert_openai_error(response, 429, "rate_limit_exceeded")
    assert 1 <= int(response.headers["retry-after"]) <= 60


def test_rate_limit_per_hashed_ip_spans_keys(limited: Gateway) -> None:
    ip = "203.0.113.99"
    statuses = [post(limited, limited.consent(), ip=ip).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    other = post(limited, limited.consent(), ip="203.0.113.98")
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"model": "fake"}, "messages"),
        ({"model": "fake", "messages": []}, "messages"),
        ({"model": "fake", "messages": ["hi"]}, "messages[0]"),
        ({"model": "fake", "messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"model": "fake", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({**chat_body(), "temperature": "hot"}, "temperature"),
        ({**chat_body(), "max_tokens": -1}, "max_tokens"),
        ({**chat_body(), "stream": "yes"}, "stream"),
    ],
)
def test_malformed_requests_get_400_naming_the_field(
    gateway: Gateway, body: object, param: str | None
) -> None:
    error = assert_openai_error(post(gateway, gateway.consent(), body), 400)
    assert error["param"] == param


def test_unknown_model_gets_404(gateway: Gateway) -> None:
    error = assert_openai_error(
        post(gateway, gateway.consent(), chat_body(model="gpt-17")), 404, "model_not_found"
    )
    assert error["param"] == "model"


def test_unknown_route_and_wrong_method_are_openai_shaped(gateway: Gateway) -> None:
    assert_openai_error(httpx.get(gateway.api + "/nothing-here"), 404)
    assert_openai_error(httpx.get(gateway.api + "/chat/completions"), 405)


def test_max_tokens_cap_is_applied_and_recorded(tmp_path: Path, upstream: FakeUpstream) -> None:
    gw = start_gateway(tmp_path / "data", upstream.url, "--max-tokens-cap", "16", *NO_LIMITS)
    try:
        key = gw.consent()
        assert post(gw, key, chat_body("a")).status_code == 200
        assert post(gw, key, {**chat_body("b"), "max_tokens": 500}).status_code == 200
        assert post(gw, key, {**chat_body("c"), "max_tokens": 5}).status_code == 200
        params = {c.messages[0].content: c.params for c in gw.calls()}
        assert params == {"a": {"max_tokens": 16}, "b": {"max_tokens": 16}, "c": {"max_tokens": 5}}
    finally:
        gw.stop()


def test_consent_body_over_the_limit_gets_413(limited: Gateway) -> None:
    body = {"agree": True, "terms_version": "2026-11-26", "padding": "p" * 30_000}
    assert_openai_error(httpx.post(limited.api + "/consent", json=body), 413, "request_too_large")


def test_new_consents_are_rate_limited_per_hashed_ip(tmp_path: Path, upstream: FakeUpstream) -> None:
    gw = start_gateway(
        tmp_path / "data", upstream.url, "--trusted-proxies", "127.0.0.1/32", "--rate-limit-consent", "2"
    )
    try:
        body = {"agree": True, "terms_version": "2026-11-26"}

        def agree(ip: str) -> httpx.Response:
            return httpx.post(gw.api + "/consent", json=body, headers={"X-Forwarded-For": ip})

        assert [agree("192.0.2.1").status_code for _ in range(2)] == [200, 200]
        refused = agree("192.0.2.1")
        assert_openai_error(refused, 429, "rate_limit_exceeded")
        assert int(refused.headers["retry-after"]) >= 1
        assert agree("192.0.2.2").status_code == 200
    finally:
        gw.stop()
