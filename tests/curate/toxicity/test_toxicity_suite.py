"""The toxic rule, the offline classifier and its threshold, the Detoxify path, and the card status."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from toxicity_labelled import CLEAN, TOXIC

from wildchat.curate.toxicity import (
    OFFLINE_THRESHOLD,
    DetoxifyClassifier,
    DetoxifyUnavailable,
    ProfanityClassifier,
    ToxicityConfig,
    ToxicitySuite,
    is_toxic,
    load_classifiers,
)
from wildchat.records import DETOXIFY_LABELS


@pytest.fixture(scope="module")
def offline_suite() -> ToxicitySuite:
    return load_classifiers(ToxicityConfig())


def test_offline_threshold_is_calibrated_on_the_labelled_set() -> None:
    scores = ProfanityClassifier(batch_size=7).classify(TOXIC + CLEAN)
    toxic, clean = scores[: len(TOXIC)], scores[len(TOXIC) :]
    recall = sum(s > OFFLINE_THRESHOLD for s in toxic) / len(toxic)
    false_positive_rate = sum(s > OFFLINE_THRESHOLD for s in clean) / len(clean)
    assert recall >= 0.9 and false_positive_rate <= 0.05


def test_offline_only_suite_stands_in_and_says_so(offline_suite: ToxicitySuite) -> None:
    results = offline_suite.classify([TOXIC[0], CLEAN[1], ""])
    assert [r.toxic for r in results] == [True, False, False]
    assert all(r.openai_moderation is None and r.detoxify_moderation is None for r in results)
    status = offline_suite.status()
    assert status["openai_moderation"].startswith("off: no API key")
    assert status["detoxify_moderation"].startswith("off: no local checkpoint")
    assert status["offline"].startswith("ran: alt-profanity-check")
    assert "stand-in" in status["toxic_rule"]


@pytest.mark.parametrize(
    ("moderation", "detoxify", "offline", "expected"),
    [
        ({"flagged": True}, None, 0.0, True),  # moderation flagged
        ({"flagged": False}, None, 0.99, False),  # moderation ran: offline does not overrule it
        (None, {"toxicity": 0.11}, 0.0, True),  # Detoxify above WildChat's 0.1
        (None, {"toxicity": 0.1}, 0.99, False),  # exactly 0.1 is not above it
        ({"flagged": False}, {"toxicity": 0.5}, 0.0, True),  # either one suffices
        (None, None, 0.51, True),  # neither ran: the stand-in decides
        (None, None, 0.49, False),
        (None, None, None, False),  # nothing ran at all
    ],
)
def test_wildchat_rule(
    moderation: dict[str, bool] | None,
    detoxify: dict[str, float] | None,
    offline: float | None,
    expected: bool,
) -> None:
    assert is_toxic(moderation, detoxify, offline) is expected


def test_missing_detoxify_checkpoint_is_reported(tmp_path: Path) -> None:
    suite = load_classifiers(ToxicityConfig(detoxify_checkpoint=tmp_path / "multilingual_debiased.ckpt"))
    assert suite.detoxify is None
    assert (
        suite.status()["detoxify_moderation"]
        == f"off: checkpoint not found at {tmp_path / 'multilingual_debiased.ckpt'}"
    )
    with pytest.raises(DetoxifyUnavailable):
        DetoxifyClassifier.load(tmp_path / "nope.ckpt")


def test_present_checkpoint_without_the_detoxify_package_is_reported(tmp_path: Path) -> None:
    try:
        import detoxify  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("detoxify is installed here; this checks the message when it is not")
    checkpoint = tmp_path / "multilingual_debiased-0b549669.ckpt"
    checkpoint.write_bytes(b"not a real checkpoint")
    suite = load_classifiers(ToxicityConfig(detoxify_checkpoint=checkpoint))
    assert suite.detoxify is None
    assert suite.status()["detoxify_moderation"].startswith("off: the `detoxify` package is not installed")


def test_detoxify_scores_drive_the_rule(offline_suite: ToxicitySuite) -> None:
    # The multilingual checkpoint is not on this machine (and cannot be downloaded), so a stand-in
    # predict function with Detoxify's output format drives the classifier; everything else is real.
    def predict(texts: list[str]) -> dict[str, Sequence[float]]:
        tox = [0.9 if "idiot" in t else 0.01 for t in texts]
        return {label: tox for label in DETOXIFY_LABELS}

    detoxify = DetoxifyClassifier(predict, description="stand-in", batch_size=2)
    suite = ToxicitySuite(moderation=None, detoxify=detoxify, offline=offline_suite.offline)
    results = suite.classify(["you idiot", "a kind word", "fuck this shit", "hello"])
    assert [r.toxic for r in results] == [True, False, False, False]  # Detoxify ran: it decides
    first = results[0].detoxify_moderation
    assert first is not None and list(first) == list(DETOXIFY_LABELS) and first["toxicity"] == 0.9
    assert results[2].offline is not None and results[2].offline > OFFLINE_THRESHOLD


def test_config_from_env_ignores_openai_api_key() -> None:
    config = ToxicityConfig.from_env(
        {"OPENAI_API_KEY": "sk-other", "WILDCHAT_DETOXIFY_CHECKPOINT": "/m/x.ckpt"}
    )
    assert config.openai_api_key is None and config.detoxify_checkpoint == Path("/m/x.ckpt")
    config = ToxicityConfig.from_env(
        {
            "WILDCHAT_MODERATION_API_KEY": "k",
            "WILDCHAT_MODERATION_BASE_URL": "http://h/v1",
            "WILDCHAT_MODERATION_MODEL": "m",
        }
    )
    assert (config.openai_api_key, config.openai_base_url, config.openai_model) == ("k", "http://h/v1", "m")
