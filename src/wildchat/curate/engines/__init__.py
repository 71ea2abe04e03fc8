"""Engines run the per-bucket pipeline over every bucket: ``local`` (a process pool) or ``ray`` (Ray Data).

Both take the same tasks and options and return the same ``BucketResult``s; the builder does the rest
(partitioning before, duplicate resolution and the corpus folder after), so both give the same corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from wildchat.curate.pipeline import BucketResult, BucketTask, BuildOptions

EngineName = Literal["local", "ray"]


class WorkerError(RuntimeError):
    """A worker could not start (e.g. a model failed to load) or died (e.g. out of memory)."""


class Engine(Protocol):
    def __call__(
        self,
        tasks: Sequence[BucketTask],
        options: BuildOptions,
        workers: int,
        on_done: Callable[[BucketResult], None],
        on_conversations: Callable[[int], None] = ...,
    ) -> list[BucketResult]: ...


def get_engine(name: EngineName) -> Engine:
    if name == "local":
        from wildchat.curate.engines.local import run_local

        return run_local
    if name == "ray":
        from wildchat.curate.engines.ray import run_ray

        return run_ray
    raise ValueError(f"unknown engine {name!r} (choose local or ray)")
