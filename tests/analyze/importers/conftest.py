"""Fixtures for the importer tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from importer_helpers import Rows, read_rows

from wildchat import corpus_io
from wildchat.analyze.importers import ImportOptions, run_import


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Rows, dict[str, Any]]]:
    """Import once per (format, inputs, options) within a module; returns (rows, manifest)."""
    cache: dict[tuple[Any, ...], tuple[Rows, dict[str, Any]]] = {}

    def run(format_name: str, *inputs: Path, oasst_paths: str = "all") -> tuple[Rows, dict[str, Any]]:
        key = (format_name, inputs, oasst_paths)
        if key not in cache:
            out = tmp_path_factory.mktemp(format_name) / "corpus"
            run_import(format_name, list(inputs), out, ImportOptions(oasst_paths=oasst_paths))
            cache[key] = (read_rows(out), corpus_io.read_manifest(out))
        return cache[key]

    return run
