"""Import spaCy and Presidio without torch and transformers, which neither needs here.

With the ``analyze`` extra installed, ``import presidio_analyzer`` pulls in transformers (for an NLP engine
we never use) and spaCy's thinc pulls in torch: about 10 s and 350 MB per worker process for nothing. While
they import, torch and transformers are made unimportable (both handle that as "not installed"); the block
is lifted right after, so code that needs torch later still imports it. Where torch is already loaded in the
process this does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

_HEAVY = ("torch", "transformers")


@contextmanager
def without_torch() -> Iterator[None]:
    blocked = [name for name in _HEAVY if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def import_nlp_libraries() -> None:
    with without_torch():
        import presidio_analyzer  # noqa: F401
        import presidio_anonymizer  # noqa: F401
        import spacy  # noqa: F401
