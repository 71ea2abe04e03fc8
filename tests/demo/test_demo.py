"""A scaled-down `wildchat demo`, end to end: real service, embedded model, build, import, report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wildchat import corpus_io


@pytest.mark.slow
@pytest.mark.embedded
def test_scaled_down_demo_collects_curates_and_reports(tmp_path: Path, shared_public: Path) -> None:
    out = tmp_path / "demo"
    wildchat = str(Path(sys.executable).with_name("wildchat"))
    completed = subprocess.run(
        [
            wildchat,
            "demo",
            "--out",
            str(out),
            "--shared",
            str(shared_public),
            "--calls",
            "24",
            "--concurrency",
            "3",
            "--max-tokens",
            "12",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "conversations" in completed.stdout and "index.html" in completed.stdout

    corpus = corpus_io.read_corpus(out / "corpus")
    assert corpus.num_rows > 0
    manifest = corpus_io.read_manifest(out / "corpus")
    assert manifest  # counts per step are there for the reader
    # every visitor came from its own public IP, so users and countries are many
    users = {h for h in corpus.column("hashed_ip").to_pylist() if h}
    assert len(users) >= 3
    assert any(country for country in corpus.column("country").to_pylist())

    stats = json.loads((out / "report" / "stats.json").read_text())
    assert stats  # the report covers the demo corpus and the public samples
    assert (out / "report" / "index.html").stat().st_size > 10_000
