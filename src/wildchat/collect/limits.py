"""Rate limits: a token bucket per key (a consent, a hashed IP), refilled continuously.

In memory, per process: cheap on the hot path, and a limit that is per replica is still a limit.
"""

from __future__ import annotations

import math
import time


class RateLimiter:
    """``per_minute`` requests per minute per key, with bursts up to the same number."""

    def __init__(self, per_minute: float, max_keys: int = 100_000) -> None:
        self.enabled = per_minute > 0
        self._capacity = max(per_minute, 1.0)
        self._rate = per_minute / 60.0  # tokens per second
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._max_keys = max_keys

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one token; 0.0 when allowed, else the seconds to wait before retrying."""
        if not self.enabled:
            return 0.0
        now = time.monotonic() if now is None else now
        tokens, at = self._buckets.get(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - at) * self._rate)
        if tokens >= 1.0:
            if len(self._buckets) >= self._max_keys and key not in self._buckets:
                self._prune(now)
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self._rate

    def _prune(self, now: float) -> None:
        """Forget buckets that have refilled: they behave exactly like new ones."""
        full = [k for k, (t, at) in self._buckets.items() if t + (now - at) * self._rate >= self._capacity]
        for key in full:
            del self._buckets[key]


def retry_after_header(wait_s: float) -> str:
    return str(max(1, math.ceil(wait_s)))
