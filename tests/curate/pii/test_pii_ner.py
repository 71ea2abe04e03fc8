"""Named-entity recognition joins when a spaCy pipeline is installed, and never triggers a download."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from wildchat.curate.pii import Redactor
from wildchat.curate.pii.analyzer import MODEL_ENV, installed_ner_model
from wildchat.curate.pii.redactor import NER_MAX_CHARS


@pytest.fixture(scope="module")
def ner_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real spaCy pipeline on disk whose entity ruler stands in for a trained NER model (none is installed)."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [{"label": "PERSON", "pattern": "Ada Lovelace"}, {"label": "GPE", "pattern": "London"}]
    )
    path = tmp_path_factory.mktemp("ner") / "ruler_pipeline"
    nlp.to_disk(path)
    return path


def test_ner_pipeline_redacts_names_and_places(ner_pipeline: Path) -> None:
    redactor = Redactor(ner_model=str(ner_pipeline))
    plain, mixed = redactor.redact(["Ada Lovelace was born in London.", "Ada Lovelace: ada@example.org"])
    assert plain.entities == ["PERSON", "LOCATION"]
    assert plain.text == "<PRESIDIO_ANONYMIZED_PERSON> was born in <PRESIDIO_ANONYMIZED_LOCATION>."
    assert mixed.entities == ["PERSON", "EMAIL_ADDRESS"]


def test_model_choice_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_ENV, "none")
    assert installed_ner_model() is None
    monkeypatch.setenv(MODEL_ENV, "no_such_spacy_package_xyz")
    assert installed_ner_model() is None
    monkeypatch.delenv(MODEL_ENV)
    found = installed_ner_model()
    assert found is None or spacy.util.is_package(found)


def test_default_redactor_works_without_any_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_ENV, "none")
    redactor = Redactor()
    [result] = redactor.redact(["Ada Lovelace, +44 20 7946 0958"])
    assert redactor.ner_model is None
    assert result.entities == ["PHONE_NUMBER"]


def test_texts_too_long_for_ner_keep_their_pattern_findings(ner_pipeline: Path) -> None:
    redactor = Redactor(ner_model=str(ner_pipeline))
    long_text = "Ada Lovelace " + "x " * NER_MAX_CHARS + " call +44 20 7946 0958"
    short, long = redactor.redact(["Ada Lovelace", long_text])
    assert short.entities == ["PERSON"]
    assert long.entities == ["PHONE_NUMBER"]
