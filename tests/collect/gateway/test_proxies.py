"""Client IPs: X-Forwarded-For counts only when the socket peer is a trusted proxy."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from pathlib import Path

import openai
import pytest

from collect.gateway.conftest import NO_LIMITS
from collect.support.processes import FakeUpstream, Gateway, start_gateway
from wildchat.collect.client_ip import ClientIpResolver


def hash_ip(gateway: Gateway, ip: str) -> str:
    salt = bytes.fromhex((gateway.data_dir / "salt").read_text().strip())
    return hmac.new(salt, ip.encode(), hashlib.sha256).hexdigest()


def call_from(gateway: Gateway, forwarded_for: str | None, content: str) -> str | None:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    client = openai.OpenAI(
        base_url=gateway.api, api_key=gateway.consent(), default_headers=headers, max_retries=0
    )
    reply = client.chat.completions.create(model="fake", messages=[{"role": "user", "content": content}])
    (call,) = [c for c in gateway.calls() if c.upstream_id == reply.id]
    return call.hashed_ip


def test_forwarded_for_is_honoured_from_a_trusted_proxy(gateway: Gateway) -> None:
    assert call_from(gateway, "192.0.2.10", "one hop") == hash_ip(gateway, "192.0.2.10")
    # a client-written entry to the left of what our proxy appended proves nothing
    assert call_from(gateway, "6.6.6.6, 192.0.2.11", "spoof attempt") == hash_ip(gateway, "192.0.2.11")
    assert call_from(gateway, None, "no header") == hash_ip(gateway, "127.0.0.1")


def test_forwarded_for_is_ignored_from_anyone_else(tmp_path: Path, upstream: FakeUpstream) -> None:
    gw = start_gateway(tmp_path / "data", upstream.url, *NO_LIMITS)  # no trusted proxies
    try:
        assert call_from(gw, "192.0.2.10", "spoofed") == hash_ip(gw, "127.0.0.1")
    finally:
        gw.stop()


def nets(*cidrs: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(c) for c in cidrs]


@pytest.mark.parametrize(
    ("peer", "xff", "trusted", "expected"),
    [
        ("10.0.0.5", ["1.2.3.4"], (), "10.0.0.5"),  # nothing trusted
        ("10.0.0.5", ["1.2.3.4"], ("10.0.0.0/8",), "1.2.3.4"),
        ("8.8.4.4", ["1.2.3.4"], ("10.0.0.0/8",), "8.8.4.4"),  # untrusted peer
        ("10.0.0.5", ["9.9.9.9, 1.2.3.4, 10.0.0.7"], ("10.0.0.0/8",), "1.2.3.4"),  # two trusted hops
        ("10.0.0.5", ["9.9.9.9", "1.2.3.4"], ("10.0.0.0/8",), "1.2.3.4"),  # repeated headers
        ("10.0.0.5", ["10.0.0.8, 10.0.0.9"], ("10.0.0.0/8",), "10.0.0.8"),  # all trusted: leftmost
        ("10.0.0.5", ["garbage, 1.2.3.4"], ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.5", ["1.2.3.4, not-an-ip"], ("10.0.0.0/8",), "10.0.0.5"),  # stop at garbage
        ("10.0.0.5", ["1.2.3.4:5678"], ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.5", ["[2001:db8::1]:443"], ("10.0.0.0/8",), "2001:db8::1"),
        ("::1", ["2001:db8::2"], ("::1/128",), "2001:db8::2"),
        ("10.0.0.5", [], ("10.0.0.0/8",), "10.0.0.5"),
    ],
)
def test_resolver_walks_from_the_right_while_hops_are_trusted(
    peer: str, xff: list[str], trusted: tuple[str, ...], expected: str
) -> None:
    assert ClientIpResolver(nets(*trusted)).resolve(peer, xff) == expected


def test_resolver_without_a_peer_gives_none() -> None:
    assert ClientIpResolver(nets("10.0.0.0/8")).resolve(None, ["1.2.3.4"]) is None
