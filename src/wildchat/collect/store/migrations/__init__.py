"""Numbered, append-only schema migrations, one folder per backend.

A migration is ``<backend>/NNNN_name.sql``. Each runs once, in number order, in its own transaction
together with the ``schema_migrations`` row that records it, so a crash leaves either all of it or
none. Files are never edited once released: a schema change is a new, higher-numbered file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations_for(backend: str) -> list[Migration]:
    """The backend's migrations in version order; a malformed or duplicate number is a packaging bug."""
    folder = resources.files(__name__).joinpath(backend)
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match is None:
            continue
        version = int(match.group(1))
        if version in found:
            raise RuntimeError(f"two {backend} migrations are numbered {version:04d}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    versions = sorted(found)
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"{backend} migrations must be numbered 0001, 0002, ... without gaps: {versions}")
    return [found[v] for v in versions]
