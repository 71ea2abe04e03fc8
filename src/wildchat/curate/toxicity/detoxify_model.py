"""Detoxify's multilingual model, when its checkpoint is on this machine (it is never downloaded).

``detoxify`` fetches its checkpoint and the XLM-R tokenizer from the internet by default; here both
must be local: ``checkpoint`` is the ``multilingual_debiased-*.ckpt`` file and ``config_dir`` a folder
with the ``xlm-roberta-base`` config and tokenizer (Detoxify's ``huggingface_config_path``). The
package is imported only when a checkpoint is configured, so a build without it costs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from wildchat.records import DETOXIFY_LABELS

log = logging.getLogger(__name__)

#: Scores per label for a batch of texts, as ``Detoxify.predict`` returns them.
Predict = Callable[[list[str]], dict[str, Sequence[float]]]


class DetoxifyUnavailable(RuntimeError):
    """Why the model cannot run here (no checkpoint, no package, a load error)."""


class DetoxifyClassifier:
    """Batched Detoxify scores in WildChat's shape (the seven ``records.DETOXIFY_LABELS``)."""

    def __init__(self, predict: Predict, *, description: str, batch_size: int = 32) -> None:
        self._predict = predict
        self.description = description
        self.batch_size = batch_size

    @classmethod
    def load(
        cls, checkpoint: Path, config_dir: Path | None = None, *, device: str = "cpu", batch_size: int = 32
    ) -> DetoxifyClassifier:
        """Load the multilingual model from local files, or raise DetoxifyUnavailable saying why."""
        checkpoint = Path(checkpoint)
        if not checkpoint.is_file():
            raise DetoxifyUnavailable(f"checkpoint not found at {checkpoint}")
        try:
            from detoxify import Detoxify
        except ImportError as exc:
            raise DetoxifyUnavailable(
                "the `detoxify` package is not installed (pip install detoxify)"
            ) from exc
        try:
            model: Any = Detoxify(
                "multilingual",
                checkpoint=str(checkpoint),
                device=device,
                huggingface_config_path=str(config_dir) if config_dir else None,
            )
        except Exception as exc:  # any load failure is reported in the card, not a traceback
            raise DetoxifyUnavailable(
                f"loading {checkpoint.name} failed: {type(exc).__name__}: {exc}"
            ) from exc
        return cls(
            model.predict, description=f"multilingual checkpoint {checkpoint.name}", batch_size=batch_size
        )

    def classify(self, texts: Sequence[str]) -> list[dict[str, float]]:
        out: list[dict[str, float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            scores = self._predict(batch)
            for i in range(len(batch)):
                out.append({label: float(scores[label][i]) for label in DETOXIFY_LABELS})
        return out
