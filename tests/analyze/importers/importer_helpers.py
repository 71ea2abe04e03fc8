"""Helpers for the importer tests: read a corpus back as Python rows, write JSONL, run the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from wildchat import corpus_io
from wildchat.cli import app

Rows = list[dict[str, Any]]


def read_rows(corpus_dir: Path) -> Rows:
    return corpus_io.read_corpus(corpus_dir).to_pylist()


def write_jsonl(path: Path, rows: Sequence[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run_cli(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["import", *map(str, args), "--no-progress"])
