"""Turn toxicity: OpenAI moderation and Detoxify as WildChat had them, plus an offline stand-in.

One module per classifier (``openai_moderation``, ``detoxify_model``, ``offline``); ``suite`` runs
the ones that can run here and applies WildChat's ``toxic`` rule.
"""

from wildchat.curate.toxicity.detoxify_model import DetoxifyClassifier, DetoxifyUnavailable
from wildchat.curate.toxicity.offline import OFFLINE_THRESHOLD, ProfanityClassifier
from wildchat.curate.toxicity.openai_moderation import (
    ModerationUnavailable,
    OpenAIModeration,
    to_wildchat_shape,
)
from wildchat.curate.toxicity.suite import (
    ToxicityConfig,
    ToxicitySuite,
    TurnToxicity,
    is_toxic,
    load_classifiers,
)

__all__ = [
    "OFFLINE_THRESHOLD",
    "DetoxifyClassifier",
    "DetoxifyUnavailable",
    "ModerationUnavailable",
    "OpenAIModeration",
    "ProfanityClassifier",
    "ToxicityConfig",
    "ToxicitySuite",
    "TurnToxicity",
    "is_toxic",
    "load_classifiers",
    "to_wildchat_shape",
]
