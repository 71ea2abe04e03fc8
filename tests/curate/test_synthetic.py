"""The synthetic log generator: seeded, valid CALL_SCHEMA, and as varied as the builder needs."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pyarrow.parquet as pq

from wildchat.curate.link import link_calls
from wildchat.curate.synthetic import SyntheticConfig, luhn_number, write_synthetic_logs
from wildchat.records import CALL_SCHEMA, ChatCall


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = sum(d if i % 2 == 0 else sum(divmod(d * 2, 10)) for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


def test_generated_logs_have_every_feature_the_builder_handles(tmp_path: Path) -> None:
    path = tmp_path / "calls.parquet"
    n = write_synthetic_logs(SyntheticConfig(conversations=400, seed=5), path, batch_rows=300)
    table = pq.read_table(path)
    assert len(table) == n > 400
    assert table.schema.remove_metadata().equals(CALL_SCHEMA)
    calls = [ChatCall.from_row(r) for r in table.to_pylist()]
    chains, stats = link_calls(calls)
    assert stats.branch_points > 0 and stats.invented_history > 0 and stats.partial_replies > 0
    assert any(r.startswith("no_reply:") for r in stats.dropped)
    assert max(len(ch.calls) for ch in chains) >= 4  # long multi-turn chains, full history each call
    assert len({c.headers["accept-language"] for c in calls}) >= 10  # many languages
    assert len({c.consent_id for c in calls}) >= 50 and len({c.country for c in calls}) >= 5
    text = " ".join(m.content for c in calls for m in c.messages)
    assert "sk-proj-" in text and "@example.com" in text and "AKIA" in text
    assert re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[\u0400-\u04ff]", text)
    assert "idiot" in text or "moron" in text
    assert any(m.role == "system" for c in calls for m in c.messages)


def test_same_seed_same_file_other_seed_other_file(tmp_path: Path) -> None:
    paths = [tmp_path / f"{i}.parquet" for i in range(3)]
    for path, seed in zip(paths, [1, 1, 2], strict=True):
        write_synthetic_logs(SyntheticConfig(conversations=30, seed=seed), path)
    a, b, c = (pq.read_table(p) for p in paths)
    assert a.equals(b) and not a.equals(c)


def test_planted_card_numbers_pass_luhn() -> None:
    rng = random.Random(0)
    assert all(luhn_ok(luhn_number(rng)) for _ in range(100))
