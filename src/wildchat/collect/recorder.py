"""Group commit: the records of concurrent requests are committed together, one fsync per batch.

Each request hands its record to ``record()`` and awaits the commit of the batch that holds it, so
nothing is answered before it is durable. While one batch commits (in a dedicated thread, the
store being synchronous), the next one fills up: under load, batches grow by themselves, and a
lone request waits only for its own commit.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from wildchat.collect.store.base import LogStore
from wildchat.records import ChatCall

log = logging.getLogger("wildchat.recorder")


class RecorderClosed(Exception):
    """The recorder no longer accepts records (the service is shutting down)."""


class Recorder:
    def __init__(self, store: LogStore, max_batch: int = 1024) -> None:
        self._store = store
        self._max_batch = max_batch
        # (record, waiter) in arrival order; a flush adds a waiter without a record
        self._pending: list[tuple[ChatCall | None, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wildchat-commit")
        self._task: asyncio.Task[None] | None = None
        self.committed = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="wildchat-recorder")

    async def record(self, call: ChatCall) -> None:
        """Return once ``call`` is committed; raise if the commit failed."""
        if self._closing:
            raise RecorderClosed("the service is shutting down")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((call, waiter))
        self._wake.set()
        await waiter

    async def flush(self) -> None:
        """Wait until everything recorded so far is committed."""
        if self._pending:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._pending.append((None, waiter))
            self._wake.set()
            await asyncio.shield(waiter)

    async def close(self) -> None:
        """Commit what is pending, then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                entries, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                batch = [call for call, _ in entries if call is not None]
                error: BaseException | None = None
                if batch:
                    try:
                        await loop.run_in_executor(self._executor, self._store.append_calls, batch)
                        self.committed += len(batch)
                    except Exception as exc:  # the requests answer 503; the service keeps running
                        log.error("could not commit %d records: %s", len(batch), type(exc).__name__)
                        error = exc
                for _, waiter in entries:
                    if waiter.done():
                        continue
                    if error is None:
                        waiter.set_result(None)
                    else:
                        waiter.set_exception(error)
            if self._closing and not self._pending:
                return
