"""Turn and conversation language, as WildChat labels them: lingua over all languages, high accuracy.

WildChat ran lingua-py and wrote lingua's language names in title case ("English", "Chinese",
"Bokmal", "Slovene", ...): ``Language.CHINESE.name.title()`` is exactly WildChat's spelling for all 75
lingua languages (lingua names have no spaces or underscores), so no name needs a special case.

"Nolang" is what WildChat writes when there is no language to name. We write it for empty or
whitespace-only text AND when lingua declines to decide (it returns None for text without letters —
digits, punctuation, emoji, most code fragments — or when no language wins clearly), since WildChat's
conversation-level "Nolang" rows are exactly such texts.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from wildchat.records import NOLANG

log = logging.getLogger(__name__)


def language_name(language: Any | None) -> str:
    """WildChat's name for a lingua ``Language`` (or None -> "Nolang")."""
    if language is None:
        return NOLANG
    return str(language.name).title()


class LanguageDetector:
    """lingua detector over ALL languages in high-accuracy mode, with every model loaded up front.

    Loading takes tens of seconds and ~1.3 GB of memory, so create ONE per worker process and reuse it.
    ``parallel`` uses lingua's own thread pool (``detect_languages_in_parallel_of``); turn it off when
    the caller already runs one detector per core.

    ``max_chars`` (default 1000) labels a long text by its first 1000 characters: lingua's time grows
    with length, and long assistant replies dominate a chat corpus (WildChat turns average ~1,900
    characters). On 1,500 real WildChat turns the label was the same as from the full text for 100%
    of them, at 1.7x the speed (``benchmarks/language_throughput.py``). None: the full text.
    """

    def __init__(self, *, parallel: bool = True, max_chars: int | None = 1000, preload: bool = True) -> None:
        from lingua import LanguageDetectorBuilder

        started = time.perf_counter()
        builder = LanguageDetectorBuilder.from_all_languages()
        if preload:
            builder = builder.with_preloaded_language_models()
        # High-accuracy mode is lingua's default; with_low_accuracy_mode() is never called.
        self._detector = builder.build()
        self.parallel = parallel
        self.max_chars = max_chars
        log.info("lingua: all languages loaded in %.1f s", time.perf_counter() - started)

    def detect(self, texts: Sequence[str]) -> list[str]:
        """WildChat language names, one per text; "Nolang" for empty/whitespace or undecidable text."""
        out = [NOLANG] * len(texts)
        todo = [i for i, t in enumerate(texts) if t and not t.isspace()]
        if not todo:
            return out
        batch = [texts[i] if self.max_chars is None else texts[i][: self.max_chars] for i in todo]
        if self.parallel:
            found = self._detector.detect_languages_in_parallel_of(batch)
        else:
            found = [self._detector.detect_language_of(t) for t in batch]
        for i, language in zip(todo, found, strict=True):
            out[i] = language_name(language)
        return out


def conversation_language(turn_languages: Iterable[str]) -> str:
    """The most frequent turn language; "Nolang" only if no turn has a language.

    Nolang turns ("ok", "123", an emoji) do not outvote real ones: a French prompt answered in French
    followed by "ok" and "merci" is French. Ties go to the language that appears FIRST in the
    conversation (the opening turn usually sets what the conversation is about), so the result is
    deterministic and does not depend on set or dict ordering.
    """
    languages = [lang for lang in turn_languages if lang and lang != NOLANG]
    if not languages:
        return NOLANG
    counts = Counter(languages)
    best = max(counts.values())
    return next(lang for lang in languages if counts[lang] == best)
