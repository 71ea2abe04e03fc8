"""Which IP address a request came from.

The socket peer, unless the peer is a trusted proxy (``--trusted-proxies`` CIDRs): then the
``X-Forwarded-For`` entry that the nearest trusted proxy appended. We walk the header from the right
while each hop is itself trusted; entries further left were written by whoever sent them and prove
nothing. ``X-Forwarded-For`` from an untrusted peer is ignored entirely.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse(value: str) -> IPAddress | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[v6]:port"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "v4:port"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class ClientIpResolver:
    """Resolves the client address of a request from its peer and forwarded headers."""

    def __init__(self, trusted: Sequence[IPNetwork]) -> None:
        self._trusted = tuple(trusted)
        # Peers repeat (keep-alive, a few proxies): remember which are trusted.
        self._is_trusted = lru_cache(maxsize=4096)(self._check)

    def _check(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self._trusted)

    def resolve(self, peer: str | None, forwarded_for: Sequence[str]) -> str | None:
        """The client IP as text, or None when the peer is unknown (a Unix socket)."""
        if peer is None:
            return None
        if not self._trusted or not forwarded_for:
            return peer
        current = _parse(peer)
        if current is None or not self._is_trusted(current):
            return peer
        entries = [e for header in forwarded_for for e in header.split(",")]
        for entry in reversed(entries):
            hop = _parse(entry)
            if hop is None:  # garbage written by a hop we trust: stop at the last good one
                break
            current = hop
            if not self._is_trusted(current):
                break
        return str(current)
