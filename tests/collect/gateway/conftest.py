"""Shared processes for the gateway tests: one fake upstream per session, one gateway per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collect.support.processes import FakeUpstream, Gateway, start_fake_upstream, start_gateway, stop

#: Limits off: most tests are not about limits and send many requests from one key.
NO_LIMITS = ("--rate-limit-key", "0", "--rate-limit-ip", "0", "--rate-limit-consent", "0")
#: The gateway gives up on a silent upstream after this long; the fake's slow modes wait longer.
TIMEOUT = ("--upstream-timeout-s", "1")


@pytest.fixture(scope="session")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeUpstream]:
    fake = start_fake_upstream(tmp_path_factory.mktemp("upstream"), slow_s=4.0)
    yield fake
    stop(fake.process)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, upstream: FakeUpstream) -> Iterator[Gateway]:
    """SQLite, loopback trusted as a proxy (so tests can pose as any client IP), no rate limits."""
    data_dir: Path = tmp_path_factory.mktemp("gateway") / "data"
    gw = start_gateway(data_dir, upstream.url, "--trusted-proxies", "127.0.0.1/32", *NO_LIMITS, *TIMEOUT)
    yield gw
    gw.stop()
