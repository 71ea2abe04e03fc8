"""The Ray engine (local mode) builds exactly the local engine's corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from build_helpers import build, scripted_calls, write_export

from wildchat.corpus_io import read_corpus, read_manifest


@pytest.mark.slow
def test_ray_local_mode_gives_exactly_the_local_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    # Ray's workers import the fake enrichers by module name: put this folder on their path.
    here = str(Path(__file__).parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p))
    export = write_export(tmp_path / "calls.parquet", scripted_calls())
    build(export, tmp_path / "local", workers=2)
    build(export, tmp_path / "ray", workers=2, engine="ray")
    assert read_corpus(tmp_path / "ray").equals(read_corpus(tmp_path / "local"))
    local, ray = read_manifest(tmp_path / "local"), read_manifest(tmp_path / "ray")
    assert ray["parameters"]["engine"] == "ray"
    for name in ("read", "withdrawn", "language", "redact", "dedup", "write"):
        strip = {k: v for k, v in ray["counts"][name].items() if k != "seconds"}
        assert strip == {k: v for k, v in local["counts"][name].items() if k != "seconds"}
