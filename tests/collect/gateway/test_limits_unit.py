"""The token bucket behind the 429s."""

from __future__ import annotations

from wildchat.collect.limits import RateLimiter, retry_after_header


def test_bucket_allows_a_burst_then_refills() -> None:
    limiter = RateLimiter(per_minute=3)
    assert [limiter.take("k", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k", now=0.0)
    assert 19.9 < wait <= 20.0  # one token every 20 s
    assert limiter.take("other", now=0.0) == 0.0  # keys are independent
    assert limiter.take("k", now=20.0) == 0.0
    assert retry_after_header(wait) == "20" and retry_after_header(0.2) == "1"


def test_zero_disables() -> None:
    limiter = RateLimiter(per_minute=0)
    assert all(limiter.take("k", now=0.0) == 0.0 for _ in range(1000))


def test_full_buckets_are_pruned_when_too_many_keys() -> None:
    limiter = RateLimiter(per_minute=60, max_keys=10)
    for i in range(10):
        limiter.take(f"k{i}", now=0.0)
    limiter.take("new", now=120.0)  # everything has refilled by now
    assert len(limiter._buckets) == 1
