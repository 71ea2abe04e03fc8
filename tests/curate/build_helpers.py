"""Shared helpers for the build tests: a scripted export and a build with the fake enrichers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from curate_fakes import FAKE_FACTORY
from scripted import call, follow

from wildchat.curate.build import BuildResult, TombstoneSource, build_corpus
from wildchat.curate.pipeline import BuildOptions
from wildchat.records import CallStatus, ChatCall, calls_to_table


def scripted_calls() -> list[ChatCall]:
    """Ten consents: chains, a regeneration, an edit, an error, a duplicate prompt, PII and toxicity."""
    calls: list[ChatCall] = []
    for u in range(10):
        a = call(
            f"consent-{u}",
            [("user", f"hello number {u}, my mail is user{u}@example.org")],
            f"hi {u}",
            minute=u,
            ip=f"ip-{u}",
        )
        b = follow(a, f"tell me about topic {u}", f"topic {u} is nice", minute=20 + u, ip=f"ip-{u}")
        calls += [a, b]
        if u % 3 == 0:
            calls.append(
                follow(a, f"tell me about topic {u}", f"regenerated {u}", minute=40 + u, ip=f"ip-{u}")
            )
        if u % 4 == 0:
            calls.append(
                follow(
                    b, "badword badword", None, minute=60 + u, ip=f"ip-{u}", status=CallStatus.UPSTREAM_ERROR
                )
            )
            calls.append(follow(b, "badword you", "please be kind", minute=61 + u, ip=f"ip-{u}"))
    calls.append(call("consent-x", [("user", "说中文吗")], "是的", minute=90, ip="ip-x", country="China"))
    calls.append(call("consent-y", [("user", "same prompt everywhere")], "ok", minute=91, ip="ip-y"))
    calls.append(call("consent-z", [("user", "same prompt everywhere")], "sure", minute=92, ip="ip-z"))
    return calls


def write_export(path: Path, calls: list[ChatCall], metadata: dict[bytes, bytes] | None = None) -> Path:
    table = calls_to_table(calls)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    pq.write_table(table, path)
    return path


def build(logs: Path, out: Path, **kw: Any) -> BuildResult:
    options = BuildOptions(
        dedup=kw.pop("dedup", "flag"),
        strict=kw.pop("strict", False),
        calls_per_bucket=kw.pop("calls_per_bucket", 8),
        steps_factory=kw.pop("steps_factory", FAKE_FACTORY),
        withdrawn_consents=tuple(kw.pop("withdrawn", ())),
        forgotten_ips=tuple(kw.pop("forgotten", ())),
    )
    tomb = kw.pop(
        "tombstones", TombstoneSource(applied=True, source="test", consents=len(options.withdrawn_consents))
    )
    return build_corpus(logs, out, options=options, tombstones=tomb, progress=False, **kw)
