"""What the request handlers share while the service runs (built at start-up by ``app``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wildchat.collect.client_ip import ClientIpResolver
from wildchat.collect.consent import ConsentBook
from wildchat.collect.limits import RateLimiter
from wildchat.collect.recorder import Recorder
from wildchat.collect.settings import Settings
from wildchat.collect.store.base import LogStore
from wildchat.collect.terms import Terms
from wildchat.collect.upstream import Upstream

#: client IP (or None) -> (hashed_ip, country, state)
Identify = Callable[[str | None], tuple[str | None, str | None, str | None]]


@dataclass
class Gateway:
    settings: Settings
    terms: Terms
    store: LogStore
    consents: ConsentBook
    recorder: Recorder
    upstream: Upstream
    models: list[str]
    resolver: ClientIpResolver
    identify: Identify
    key_limiter: RateLimiter
    ip_limiter: RateLimiter
    consent_limiter: RateLimiter
    header_names: frozenset[bytes] = field(default_factory=frozenset)
    upstream_alive: Callable[[], bool] = lambda: True  # the embedded model's process is still running
    scrub: tuple[str, ...] = ()  # secrets to blank out of upstream error messages
    ready: bool = False
