"""Time-ordered ids: unique, 32 hex characters, later ids sort after earlier ones (across milliseconds)."""

from __future__ import annotations

import time

from wildchat.collect.ids import time_ordered_id


def test_ids_are_unique_hex_and_time_ordered() -> None:
    first = [time_ordered_id() for _ in range(1000)]
    deadline = time.monotonic() + 1
    while time_ordered_id()[:12] == first[-1][:12] and time.monotonic() < deadline:
        pass  # wait for the next millisecond
    later = time_ordered_id()
    assert len(set(first)) == 1000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in first)
    assert later > max(first)
