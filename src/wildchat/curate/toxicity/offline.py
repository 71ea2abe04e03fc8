"""The offline stand-in: ``alt-profanity-check``, a linear model shipped inside its package.

It is English-only (TF-IDF over English words + a calibrated linear SVM): on other languages it
mostly scores low, so it under-flags non-English toxicity. It decides ``toxic`` only when neither
OpenAI moderation nor Detoxify produced a result for a turn.

Threshold 0.5: on our labelled set (``tests/curate/toxicity/toxicity_labelled.py``: 20 toxic and 25 clean
English prompts, the clean ones full of alarming-looking words such as "kill a process") the clean
texts score at most 0.28 and the toxic ones at least 0.67, so every threshold between them gives
recall 1.0 and no false positive; 0.5 is the middle of that gap (and the model's own ``predict`` cut).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

OFFLINE_THRESHOLD = 0.5


class ProfanityClassifier:
    """Probability that each text is profane/offensive, batched (the vectorizer works on lists)."""

    def __init__(self, batch_size: int = 1024) -> None:
        # Importing loads the model from the package's data files (no network).
        from profanity_check import predict_prob

        self._predict_prob = predict_prob
        self.batch_size = batch_size
        try:
            self.version = version("alt-profanity-check")
        except PackageNotFoundError:
            self.version = "unknown"

    def classify(self, texts: Sequence[str]) -> list[float]:
        out: list[float] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            out.extend(float(p) for p in self._predict_prob(batch))
        return out
