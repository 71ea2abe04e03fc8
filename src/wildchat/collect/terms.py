"""The consent terms: a text file operators can replace, and the version people agree to.

The file may start with a ``terms_version: V`` line; otherwise the version is a hash of the text,
so that any edit to the wording forces people to agree again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

_VERSION_PREFIX = "terms_version:"


@dataclass(frozen=True, slots=True)
class Terms:
    version: str
    text: str


def load_terms(path: Path | None = None, version: str | None = None) -> Terms:
    """Read the terms file (the packaged default when ``path`` is None)."""
    if path is None:
        raw = resources.files("wildchat.collect").joinpath("terms.txt").read_text(encoding="utf-8")
    else:
        raw = Path(path).read_text(encoding="utf-8")
    first, _, rest = raw.partition("\n")
    declared = None
    if first.strip().lower().startswith(_VERSION_PREFIX):
        declared = first.strip()[len(_VERSION_PREFIX) :].strip()
        raw = rest
    text = raw.strip() + "\n"
    if version is None:
        version = declared or "sha256-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    return Terms(version=version, text=text)
