"""The toxicity classifiers together, and WildChat's rule for ``toxic``.

WildChat's rule: a turn is toxic if OpenAI moderation flagged it OR Detoxify's toxicity exceeds 0.1.
Here either may be absent (no API key, no local checkpoint), and one may lack a result for a single
turn (an item the endpoint refused). The rule then uses whatever ran for that turn; when NEITHER has
a result for it, the offline classifier stands in: toxic = profanity probability > its threshold.
The offline classifier always runs when enabled (it is cheap), so its score is there for analysis.

``status()`` says, per classifier, whether it ran and why not, for the dataset card; it holds no
counts, so every worker reports the same strings (``counts()`` has the numbers).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wildchat.curate.toxicity.detoxify_model import DetoxifyClassifier, DetoxifyUnavailable
from wildchat.curate.toxicity.offline import OFFLINE_THRESHOLD, ProfanityClassifier
from wildchat.curate.toxicity.openai_moderation import DEFAULT_BASE_URL, DEFAULT_MODEL, OpenAIModeration
from wildchat.records import DETOXIFY_TOXIC_THRESHOLD

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TurnToxicity:
    """One turn's results: each classifier's output (None when it did not run) and the verdict."""

    openai_moderation: dict[str, Any] | None
    detoxify_moderation: dict[str, float] | None
    offline: float | None
    toxic: bool


def is_toxic(
    moderation: Mapping[str, Any] | None,
    detoxify: Mapping[str, float] | None,
    offline: float | None,
    offline_threshold: float = OFFLINE_THRESHOLD,
) -> bool:
    """WildChat's rule, with the offline score standing in when neither WildChat classifier has a result."""
    if moderation is None and detoxify is None:
        return offline is not None and offline > offline_threshold
    flagged = bool(moderation is not None and moderation.get("flagged"))
    return flagged or (detoxify is not None and detoxify["toxicity"] > DETOXIFY_TOXIC_THRESHOLD)


@dataclass(frozen=True, slots=True)
class ToxicityConfig:
    """Which classifiers to try (picklable: the builder hands it to each worker)."""

    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str = DEFAULT_BASE_URL
    openai_model: str = DEFAULT_MODEL
    openai_batch_size: int = 32
    openai_concurrency: int = 4
    openai_max_retries: int = 6
    openai_backoff_s: float = 1.0
    detoxify_checkpoint: Path | None = None
    detoxify_config_dir: Path | None = None
    detoxify_device: str = "cpu"
    offline: bool = True
    offline_threshold: float = OFFLINE_THRESHOLD

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ToxicityConfig:
        """Read ``WILDCHAT_MODERATION_*`` and ``WILDCHAT_DETOXIFY_*``.

        The key is deliberately NOT taken from ``OPENAI_API_KEY``: that variable often holds a key for
        another endpoint (the gateway's upstream, a test client), and moderation must be switched on
        on purpose.
        """
        env = os.environ if env is None else env

        def path(name: str) -> Path | None:
            value = env.get(name)
            return Path(value) if value else None

        return cls(
            openai_api_key=env.get("WILDCHAT_MODERATION_API_KEY") or None,
            openai_base_url=env.get("WILDCHAT_MODERATION_BASE_URL") or DEFAULT_BASE_URL,
            openai_model=env.get("WILDCHAT_MODERATION_MODEL") or DEFAULT_MODEL,
            detoxify_checkpoint=path("WILDCHAT_DETOXIFY_CHECKPOINT"),
            detoxify_config_dir=path("WILDCHAT_DETOXIFY_CONFIG_DIR"),
        )


class ToxicitySuite:
    """The classifiers that could be loaded, run together over batches of turn texts."""

    def __init__(
        self,
        *,
        moderation: OpenAIModeration | None,
        detoxify: DetoxifyClassifier | None,
        offline: ProfanityClassifier | None,
        offline_threshold: float = OFFLINE_THRESHOLD,
        status: dict[str, str] | None = None,
    ) -> None:
        self.moderation = moderation
        self.detoxify = detoxify
        self.offline = offline
        self.offline_threshold = offline_threshold
        self._status = dict(status or {})
        self._counts = {"turns": 0, "toxic": 0, "decided_by_offline": 0}

    def classify(self, texts: Sequence[str]) -> list[TurnToxicity]:
        n = len(texts)
        moderation: list[dict[str, Any] | None] = (
            self.moderation.classify(texts) if self.moderation else [None] * n
        )
        detoxify: list[dict[str, float] | None] = (
            list(self.detoxify.classify(texts)) if self.detoxify else [None] * n
        )
        offline: list[float | None] = list(self.offline.classify(texts)) if self.offline else [None] * n
        out = []
        for m, d, o in zip(moderation, detoxify, offline, strict=True):
            toxic = is_toxic(m, d, o, self.offline_threshold)
            out.append(TurnToxicity(openai_moderation=m, detoxify_moderation=d, offline=o, toxic=toxic))
            self._counts["toxic"] += int(toxic)
            self._counts["decided_by_offline"] += int(m is None and d is None and o is not None)
        self._counts["turns"] += n
        return out

    def status(self) -> dict[str, str]:
        """Per classifier: "ran: ..." or "off: why", plus the rule that decided ``toxic``."""
        return dict(self._status)

    def counts(self) -> dict[str, int]:
        """Turns classified, turns found toxic, turns decided by the offline stand-in, moderation stats."""
        counts = dict(self._counts)
        if self.moderation is not None:
            counts.update({f"openai_moderation_{k}": v for k, v in self.moderation.stats.items()})
        return counts

    def close(self) -> None:
        if self.moderation is not None:
            self.moderation.close()


def load_classifiers(config: ToxicityConfig | None = None) -> ToxicitySuite:
    """Load every classifier that can run here (``config`` None: from the environment)."""
    config = ToxicityConfig.from_env() if config is None else config
    status: dict[str, str] = {}

    moderation = None
    if config.openai_api_key:
        moderation = OpenAIModeration(
            config.openai_api_key,
            base_url=config.openai_base_url,
            model=config.openai_model,
            batch_size=config.openai_batch_size,
            concurrency=config.openai_concurrency,
            max_retries=config.openai_max_retries,
            backoff_s=config.openai_backoff_s,
        )
        status["openai_moderation"] = f"ran: model {config.openai_model} at {moderation.base_url}"
    else:
        status["openai_moderation"] = "off: no API key configured (WILDCHAT_MODERATION_API_KEY)"

    detoxify = None
    if config.detoxify_checkpoint is None:
        status["detoxify_moderation"] = "off: no local checkpoint configured (WILDCHAT_DETOXIFY_CHECKPOINT)"
    else:
        try:
            detoxify = DetoxifyClassifier.load(
                config.detoxify_checkpoint, config.detoxify_config_dir, device=config.detoxify_device
            )
            status["detoxify_moderation"] = f"ran: Detoxify {detoxify.description}"
        except DetoxifyUnavailable as exc:
            status["detoxify_moderation"] = f"off: {exc}"
    if detoxify is None:
        log.warning("Detoxify is not running: %s", status["detoxify_moderation"].removeprefix("off: "))

    offline = None
    if config.offline:
        offline = ProfanityClassifier()
        status["offline"] = (
            f"ran: alt-profanity-check {offline.version} (English only), threshold {config.offline_threshold}"
        )
    else:
        status["offline"] = "off: disabled"

    status["toxic_rule"] = _rule(moderation is not None, detoxify is not None, offline is not None, config)
    return ToxicitySuite(
        moderation=moderation,
        detoxify=detoxify,
        offline=offline,
        offline_threshold=config.offline_threshold,
        status=status,
    )


def _rule(moderation: bool, detoxify: bool, offline: bool, config: ToxicityConfig) -> str:
    parts = []
    if moderation:
        parts.append("OpenAI moderation flagged")
    if detoxify:
        parts.append(f"Detoxify toxicity > {DETOXIFY_TOXIC_THRESHOLD}")
    stand_in = f"alt-profanity-check probability > {config.offline_threshold}"
    if parts:
        rule = " OR ".join(parts) + " (WildChat's rule)"
        return rule + (f"; {stand_in} for a turn neither classified" if offline else "")
    if offline:
        return f"{stand_in} (stand-in: neither WildChat classifier ran)"
    return "none: no classifier ran, no turn is marked toxic"
