"""The Ray engine: the same per-bucket pipeline, as a Ray Data ``map`` over an actor pool.

``RAY_ADDRESS`` joins an existing cluster (the bucket and part folders must then be on storage every
node sees); otherwise Ray starts in local mode on this machine, which needs the loopback interface up.
Each actor builds its ``Pipeline`` once (models load once per actor) and processes whole buckets, so
the corpus is exactly the local engine's.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from typing import Any

from wildchat.curate.pipeline import BucketResult, BucketTask, BuildOptions, Pipeline


class _BucketActor:
    def __init__(self, options: BuildOptions) -> None:
        self.pipeline = Pipeline(options)

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        task = BucketTask(**{f.name: row[f.name] for f in dataclasses.fields(BucketTask)})
        return {"result": self.pipeline.process_bucket(task).to_json()}


def run_ray(
    tasks: Sequence[BucketTask],
    options: BuildOptions,
    workers: int,
    on_done: Callable[[BucketResult], None],
    on_conversations: Callable[[int], None] = lambda n: None,
) -> list[BucketResult]:
    if not tasks:
        return []
    import ray

    started_here = False
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS") or None
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address is None:
            kwargs["num_cpus"] = max(1, workers)
        ray.init(address=address, **kwargs)
        started_here = True
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        items = [dataclasses.asdict(t) for t in tasks]
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        mapped = ds.map(
            _BucketActor,  # type: ignore[arg-type]
            fn_constructor_args=(options,),
            concurrency=max(1, min(workers, len(tasks))),
            num_cpus=1,
        )
        results = []
        for row in mapped.iter_rows():
            result = BucketResult.from_json(row["result"])
            results.append(result)
            on_done(result)
            on_conversations(result.conversations)  # Ray reports whole buckets
    finally:
        if started_here:
            ray.shutdown()
    return sorted(results, key=lambda r: r.index)
