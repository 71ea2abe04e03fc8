"""Durable write throughput of the log stores: calls per second that ``append_calls`` has committed.

The figure: records/s with batches as the gateway's recorder sends them under load (64 calls per
commit), for SQLite (WAL, synchronous=FULL: every commit fsync'd) and PostgreSQL (synchronous_commit
on). The baseline: the same records committed one per transaction, as a naive logger would. Printed
side by side with their ratio; the target is >= 2,000 durable records/s on SQLite. One run of each.

Records are realistic: a system prompt, three user/assistant messages of a few hundred characters,
a response of about 700, every metadata field set.

    .venv/bin/python benchmarks/store_write.py [--records 12800] [--single 1000] [--batch 64]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--dir PATH]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wildchat.collect.store import LogStore, StoreError, open_store
from wildchat.records import ChatCall, Message

WORDS = [
    "the",
    "tide",
    "moon",
    "river",
    "code",
    "python",
    "answer",
    "question",
    "light",
    "north",
    "paper",
    "sound",
    "city",
    "music",
    "data",
]


def text(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)


def realistic_calls(count: int, seed: int) -> list[ChatCall]:
    rng = random.Random(seed)
    t0 = datetime(2026, 11, 26, tzinfo=UTC)
    calls = []
    for n in range(count):
        received = t0 + timedelta(milliseconds=37 * n)
        calls.append(
            ChatCall(
                call_id=uuid.UUID(int=rng.getrandbits(128)).hex,
                consent_id=f"consent-{n % 500}",
                received_at=received,
                completed_at=received + timedelta(milliseconds=900),
                model="gpt-4o-mini",
                messages=[
                    Message("system", "You are a helpful assistant."),
                    Message("user", text(rng, 300)),
                    Message("assistant", text(rng, 400)),
                    Message("user", text(rng, 200)),
                ],
                stream=n % 2 == 0,
                status="ok",
                params={"temperature": 0.7, "max_tokens": 512},
                time_to_first_token_ms=35.2,
                response_text=text(rng, 700),
                finish_reason="stop",
                prompt_tokens=230,
                completion_tokens=160,
                total_tokens=390,
                upstream_id=f"chatcmpl-{n}",
                system_fingerprint="fp_0123456789",
                headers={
                    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
                    "accept-language": "en",
                },
                hashed_ip=f"{rng.getrandbits(256):064x}",
                country="United States",
                state="California",
            )
        )
    return calls


def rate(store: LogStore, calls: list[ChatCall], batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(calls), batch):
        store.append_calls(calls[i : i + batch])
    return len(calls) / (time.perf_counter() - start)


def measure(url: str, batched: list[ChatCall], single: list[ChatCall], batch: int) -> tuple[float, float]:
    store = open_store(url)
    try:
        store.migrate()
        store.append_calls(realistic_calls(64, seed=99))  # warm up: files, caches, prepared statements
        batched_rate = rate(store, batched, batch)
        single_rate = rate(store, single, 1)
        assert store.count_calls() == 64 + len(batched) + len(single)
    finally:
        store.close()
    return batched_rate, single_rate


def report(name: str, batch: int, batched_rate: float, single_rate: float) -> None:
    print(
        f"{name:<10}  {batch} per commit: {batched_rate:9,.0f} records/s   "
        f"1 per commit (baseline): {single_rate:7,.0f} records/s   ratio {batched_rate / single_rate:5.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=12_800, help="records written in batches")
    parser.add_argument("--single", type=int, default=1_000, help="records written one per commit")
    parser.add_argument("--batch", type=int, default=64, help="records per commit (gateway-like)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes (a real disk)")
    args = parser.parse_args()

    batched = realistic_calls(args.records, seed=1)
    single = realistic_calls(args.single, seed=2)
    print(
        f"{args.records} records in batches of {args.batch}, {args.single} one per commit; every commit durable"
    )

    with tempfile.TemporaryDirectory(prefix="wildchat-bench-", dir=args.dir or Path.cwd()) as tmp:
        sqlite_rates = measure(f"sqlite:///{tmp}/logs.sqlite3", batched, single, args.batch)
    report("SQLite", args.batch, *sqlite_rates)

    try:
        import psycopg

        name = f"wildchat_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            pg_rates = measure(f"{args.postgres.rsplit('/', 1)[0]}/{name}", batched, single, args.batch)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        report("PostgreSQL", args.batch, *pg_rates)
    except (psycopg.Error, StoreError) as exc:
        print(f"PostgreSQL  skipped: {str(exc).strip()}")

    verdict = "meets" if sqlite_rates[0] >= 2000 else "MISSES"
    print(f"target: >= 2,000 durable records/s on SQLite -> {sqlite_rates[0]:,.0f} ({verdict} it)")


if __name__ == "__main__":
    main()
