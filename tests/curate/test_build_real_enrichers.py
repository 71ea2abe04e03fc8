"""One build with the real enrichers (lingua, the toxicity suite, Presidio + secrets, MinHash) on synthetic logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from wildchat.corpus_io import read_corpus, read_manifest
from wildchat.curate.build import TombstoneSource, build_corpus
from wildchat.curate.pipeline import BuildOptions
from wildchat.curate.synthetic import SyntheticConfig, write_synthetic_logs


@pytest.mark.slow
def test_real_enrichers_label_redact_and_dedup(tmp_path: Path) -> None:
    logs = tmp_path / "calls.parquet"
    write_synthetic_logs(SyntheticConfig(conversations=40, seed=11, pii=0.5, toxic=0.3), logs)
    result = build_corpus(
        logs,
        tmp_path / "c",
        options=BuildOptions(),
        tombstones=TombstoneSource(applied=False),
        progress=False,
    )
    rows = read_corpus(tmp_path / "c").to_pylist()
    assert len(rows) == result.conversations >= 40
    languages = {r["language"] for r in rows}
    assert "English" in languages and len(languages) >= 3
    texts = " ".join(t["content"] for r in rows for t in r["conversation"])
    assert "sk-proj-" not in texts and "@example.com" not in texts and "AKIA" not in texts
    assert "<PRESIDIO_ANONYMIZED_" in texts
    assert any(r["redacted"] for r in rows) and any(r["toxic"] for r in rows)
    manifest = read_manifest(tmp_path / "c")
    assert manifest["counts"]["redact"]["turns_redacted"] > 0
    assert any("ran" in v for v in manifest["classifiers"].values())
