"""Importers of public corpora (WildChat, LMSYS-Chat-1M, ShareGPT, OpenAssistant, Alpaca, Dolly) into
our corpus format, WildChat-1M's schema: one module per format, a registry, shared helpers, and the
driver ``run_import`` behind ``wildchat import``. See docs/importers.md for the field mappings.
"""

from __future__ import annotations

from wildchat.analyze.importers.base import ImportFailed, ImportOptions, MalformedInput
from wildchat.analyze.importers.registry import FORMATS, get_importer
from wildchat.analyze.importers.run import DEFAULT_SHARD_ROWS, ImportResult, run_import

__all__ = [
    "DEFAULT_SHARD_ROWS",
    "FORMATS",
    "ImportFailed",
    "ImportOptions",
    "ImportResult",
    "MalformedInput",
    "get_importer",
    "run_import",
]
