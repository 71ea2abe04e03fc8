"""The local engine: a pool of worker processes, each with its own models, one bucket at a time.

Workers are spawned (not forked: the parent may hold threads, e.g. the progress display) and build
their ``Pipeline`` once, in the pool initializer, so every model loads once per worker. Each worker
holds one bucket in memory at a time, and the parent only small counts, so memory does not grow with
the corpus. With one worker the buckets run in this process, which saves the start-up cost.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from typing import Any

from wildchat.curate.engines import WorkerError
from wildchat.curate.pipeline import BucketResult, BucketTask, BuildOptions, Pipeline

_pipeline: Pipeline | None = None


def _init_worker(options: BuildOptions, progress: Any) -> None:
    global _pipeline
    _pipeline = Pipeline(options, on_progress=progress.put)


def _run_task(task: BucketTask) -> BucketResult:
    assert _pipeline is not None, "worker not initialised"
    return _pipeline.process_bucket(task)


def run_local(
    tasks: Sequence[BucketTask],
    options: BuildOptions,
    workers: int,
    on_done: Callable[[BucketResult], None],
    on_conversations: Callable[[int], None] = lambda n: None,
) -> list[BucketResult]:
    if not tasks:
        return []
    results: list[BucketResult] = []
    if workers <= 1 or len(tasks) == 1:
        pipeline = Pipeline(options, on_progress=on_conversations)
        for task in tasks:
            result = pipeline.process_bucket(task)
            results.append(result)
            on_done(result)
        return results
    context = multiprocessing.get_context("spawn")
    progress = context.Queue()
    # Workers report conversations as they finish each batch; a thread here turns that into progress.
    relay = threading.Thread(target=_relay, args=(progress, on_conversations), daemon=True)
    relay.start()
    try:
        with cf.ProcessPoolExecutor(
            max_workers=min(workers, len(tasks)),
            mp_context=context,
            initializer=_init_worker,
            initargs=(options, progress),
        ) as pool:
            futures = [pool.submit(_run_task, task) for task in tasks]
            for future in cf.as_completed(futures):
                try:
                    result = future.result()
                except cf.process.BrokenProcessPool as exc:
                    raise WorkerError(
                        "a worker process failed to start or died (its error is printed above; "
                        "out of memory? try fewer --workers or a smaller --calls-per-bucket)"
                    ) from exc
                results.append(result)
                on_done(result)
    finally:
        progress.put(None)
        relay.join()
    return sorted(results, key=lambda r: r.index)


def _relay(queue: Any, on_conversations: Callable[[int], None]) -> None:
    while (n := queue.get()) is not None:
        on_conversations(n)
