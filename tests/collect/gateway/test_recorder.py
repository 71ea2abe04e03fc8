"""Group commit: concurrent records share commits, each caller returns only once its record is stored."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wildchat.collect.recorder import Recorder, RecorderClosed
from wildchat.collect.store import open_store
from wildchat.collect.store.base import Consent, LogStore
from wildchat.records import ChatCall, Message


class CountingStore:
    """A real SQLite store that also counts the batches it was given."""

    def __init__(self, store: LogStore, fail: bool = False) -> None:
        self.store = store
        self.batches: list[int] = []
        self.fail = fail
        self.lock = threading.Lock()

    def append_calls(self, calls: Sequence[ChatCall]) -> int:
        if self.fail:
            raise OSError("disk full")
        with self.lock:
            self.batches.append(len(calls))
        return self.store.append_calls(calls)


def make_call(i: int, consent_id: str) -> ChatCall:
    now = datetime.now(UTC)
    return ChatCall(
        call_id=f"call-{i}", consent_id=consent_id, received_at=now, completed_at=now, model="m",
        messages=[Message("user", f"q{i}")], stream=False, status="ok", response_text=f"a{i}",
    )  # fmt: skip


@pytest.fixture()
def store(tmp_path: Path) -> LogStore:
    s = open_store(f"sqlite:///{tmp_path / 'logs.sqlite3'}")
    s.migrate()
    s.add_consent(Consent("c1", "v1", datetime.now(UTC)), "hash")
    return s


def test_concurrent_records_are_batched_and_all_committed(store: LogStore) -> None:
    counting = CountingStore(store)

    async def run() -> None:
        recorder = Recorder(counting)  # type: ignore[arg-type]
        recorder.start()

        async def one(i: int) -> int:
            await recorder.record(make_call(i, "c1"))
            return store.count_calls()  # committed before record() returned

        counts = await asyncio.gather(*[one(i) for i in range(200)])
        assert min(counts) >= 1
        await recorder.close()
        with pytest.raises(RecorderClosed):
            await recorder.record(make_call(999, "c1"))

    asyncio.run(run())
    assert store.count_calls() == 200
    assert sum(counting.batches) == 200 and len(counting.batches) < 200  # group commit happened


def test_a_failed_commit_fails_every_waiter_of_that_batch(store: LogStore) -> None:
    async def run() -> list[BaseException | None]:
        recorder = Recorder(CountingStore(store, fail=True))  # type: ignore[arg-type]
        recorder.start()
        results = await asyncio.gather(
            *[recorder.record(make_call(i, "c1")) for i in range(5)], return_exceptions=True
        )
        await recorder.close()
        return results  # type: ignore[return-value]

    assert all(isinstance(r, OSError) for r in asyncio.run(run()))
    assert store.count_calls() == 0


def test_flush_waits_for_pending_records(store: LogStore) -> None:
    async def run() -> None:
        recorder = Recorder(store)
        recorder.start()
        tasks = [asyncio.ensure_future(recorder.record(make_call(i, "c1"))) for i in range(10)]
        await asyncio.sleep(0)  # let them enqueue
        await recorder.flush()
        assert store.count_calls() == 10
        await asyncio.gather(*tasks)
        await recorder.close()

    asyncio.run(run())
