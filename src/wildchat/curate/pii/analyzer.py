"""Presidio's analyzer, set up to run offline: a blank spaCy pipeline, our recognizers, no downloads.

Presidio's default engine loads ``en_core_web_lg`` and downloads it when missing; here nothing is ever
downloaded. The NLP engine wraps ``spacy.blank("en")`` (a tokenizer, no model), and named-entity recognition
(PERSON, LOCATION) joins only when a spaCy pipeline with an ``ner`` component is already installed: the one
named by ``WILDCHAT_PII_SPACY_MODEL`` (``none`` turns NER off), else the first installed of ``NER_MODELS``.
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache

import phonenumbers
import spacy
import tldextract
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    SpacyRecognizer,
)

from wildchat.curate.pii.cards import card_recognizer
from wildchat.curate.pii.entities import NER_ENTITIES
from wildchat.curate.pii.phones import REGIONS, StructuredPhoneRecognizer
from wildchat.curate.pii.secrets import secret_recognizers
from wildchat.curate.pii.ssn import ssn_recognizer

log = logging.getLogger(__name__)

LANGUAGE = "en"  # Presidio's language key; our recognizers are language-independent patterns.
MODEL_ENV = "WILDCHAT_PII_SPACY_MODEL"
NER_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm")
_NOT_NEEDED_FOR_NER = {"tagger", "parser", "lemmatizer", "attribute_ruler", "senter", "morphologizer"}


class LocalSpacyNlpEngine(SpacyNlpEngine):  # type: ignore[misc]
    """Presidio's spaCy engine over an installed pipeline or ``spacy.blank``; its ``load`` never downloads."""

    def __init__(self, model_name: str | None) -> None:
        super().__init__(models=[{"lang_code": LANGUAGE, "model_name": model_name or "blank"}])
        self.model_name = model_name

    def load(self) -> None:
        if self.model_name is None:
            pipeline = spacy.blank(LANGUAGE)
        else:
            # Only named entities are read; the tagger, parser and lemmatizer would only cost time.
            pipeline = spacy.load(self.model_name)
            for name in list(pipeline.pipe_names):
                if name in _NOT_NEEDED_FOR_NER:
                    pipeline.disable_pipe(name)
        self.pipeline = pipeline
        self.nlp = {LANGUAGE: pipeline}  # type: ignore[assignment]

    def empty_artifacts(self) -> NlpArtifacts:
        """An analysis with no tokens and no entities, for texts that need no NLP."""
        return NlpArtifacts([], self.pipeline.make_doc(""), [], [], self, LANGUAGE)


class NoContextEnhancer(ContextAwareEnhancer):  # type: ignore[misc]
    """Our recognizers check their context themselves; Presidio's lemma-based boost would only add time."""

    def __init__(self) -> None:
        super().__init__(0.0, 0.0, 0, 0)

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        return raw_results


_NON_ASCII_TAIL = re.compile(r"[^\x00-\x7f]+$")
# A character of a local part, the @, a domain label and a dot: the least an address has around its @.
_EMAIL_AROUND_AT = re.compile(r"[\w.+\-'!#$%&*/=?^`{|}~]@[\w\-]+\.\w")


@lru_cache(maxsize=1)
def _offline_tld_extract() -> tldextract.TLDExtract:
    # The bundled public-suffix snapshot only: tldextract's default fetches the list over the network.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(EmailRecognizer):  # type: ignore[misc]
    """Presidio's email recognizer, run around each ``@`` only, with its TLD check served offline.

    Presidio's email regex backtracks quadratically over long runs of word characters (a 20 kB base64 image
    and one address elsewhere took 6.5 s, measured); an address spans at most 64 characters before its
    ``@`` and 255 after, so each ``@`` gets its own window of that size and keeps only matches around it.
    """

    LEFT, RIGHT = 64, 255

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results: dict[tuple[int, int], RecognizerResult] = {}
        at = text.find("@")
        while at >= 0:
            if not _EMAIL_AROUND_AT.match(text, max(0, at - 1)):
                at = text.find("@", at + 1)
                continue
            low, high = max(0, at - self.LEFT), at + 1 + self.RIGHT
            for result in super().analyze(text[low:high], entities, nlp_artifacts, regex_flags):
                result.start += low
                result.end += low
                if result.start <= at < result.end:
                    results[(result.start, result.end)] = result
            at = text.find("@", at + 1)
        return list(results.values())

    def validate_result(self, pattern_text: str) -> bool:
        # Presidio's \w also takes CJK text glued after the address (``a@qq.com谢谢``): judge the ASCII part.
        return bool(_offline_tld_extract()(_NON_ASCII_TAIL.sub("", pattern_text)).suffix)


def warm_up() -> None:
    """Load the suffix list and every region's numbering plan now, not in the middle of the first batch."""
    _offline_tld_extract()("warm.example.com")
    for region in REGIONS:
        phonenumbers.is_valid_number(phonenumbers.parse("0100000000", region))


def installed_ner_model() -> str | None:
    """The spaCy pipeline to use for NER, or None; never downloads."""
    chosen = os.environ.get(MODEL_ENV, "").strip()
    if chosen.lower() == "none":
        return None
    for name in (chosen,) if chosen else NER_MODELS:
        if spacy.util.is_package(name):
            return name
    if chosen:
        log.warning(
            "%s=%s is not an installed spaCy package; PII redaction runs without NER", MODEL_ENV, chosen
        )
    return None


def build_analyzer(ner_model: str | None) -> AnalyzerEngine:
    """An analyzer with Presidio's validated pattern recognizers, ours, and NER if ``ner_model`` is given."""
    recognizers: list[EntityRecognizer] = [
        OfflineEmailRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        card_recognizer(),
        StructuredPhoneRecognizer(),
        ssn_recognizer(),
        *secret_recognizers(),
    ]
    if ner_model is not None:
        recognizers.append(SpacyRecognizer(supported_entities=list(NER_ENTITIES)))
        log.info("PII redaction: named-entity recognition with spaCy pipeline %s", ner_model)
    else:
        log.info("PII redaction: no spaCy NER pipeline installed; names and addresses are not redacted")
    warm_up()
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=LocalSpacyNlpEngine(ner_model),
        supported_languages=[LANGUAGE],
        context_aware_enhancer=NoContextEnhancer(),
    )
