"""Redact personal information and secrets from chat texts, in batches, fast enough for the corpus builder.

``Redactor().redact(texts)`` returns one ``Redaction`` per text: the text with every finding replaced by
``<PRESIDIO_ANONYMIZED_{ENTITY}>`` and the entity types replaced, in text order (the caller sets
``redacted = bool(entities)``). Texts no detector could match (decided by cheap triggers, see ``screen``)
are returned untouched without entering Presidio; the rest go through Presidio's analyzer restricted to
the detectors their triggers call for (and through spaCy's ``pipe``, in batches, only when a NER model is
loaded). Each finding then passes ``validators``; overlapping ones keep the strongest. Placeholders contain
nothing any detector matches, so redacting a redacted text changes nothing. See docs/pii.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from presidio_analyzer import AnalyzerEngine, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as AnonymizerInput

from wildchat.curate.pii import validators
from wildchat.curate.pii.analyzer import LANGUAGE, LocalSpacyNlpEngine, build_analyzer, installed_ner_model
from wildchat.curate.pii.entities import ALL_ENTITIES, NER_ENTITIES, placeholder
from wildchat.curate.pii.screen import triggered_entities

SCORE_THRESHOLD = 0.5
NER_MAX_CHARS = 100_000
_AUTO = "auto"


@dataclass(frozen=True)
class Finding:
    """One span to redact: ``text[start:end]`` is an ``entity``."""

    entity: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Redaction:
    """A text after redaction and the entity types replaced in it, in text order."""

    text: str
    entities: list[str] = field(default_factory=list)


def _without_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep the strongest of overlapping findings (then the longest), in text order.

    Findings are cut into clusters of transitively overlapping spans by one sweep over their starts, and the
    choice is made within each cluster, so a text with thousands of findings costs n log n, not n².
    """
    kept: list[Finding] = []
    cluster: list[Finding] = []
    cluster_end = -1
    for finding in [*sorted(findings, key=lambda f: f.start), None]:
        if finding is not None and finding.start < cluster_end:
            cluster.append(finding)
            cluster_end = max(cluster_end, finding.end)
            continue
        chosen: list[Finding] = []
        for candidate in sorted(cluster, key=lambda f: (-f.score, -(f.end - f.start), f.start)):
            if all(candidate.end <= c.start or candidate.start >= c.end for c in chosen):
                chosen.append(candidate)
        kept.extend(sorted(chosen, key=lambda f: f.start))
        if finding is not None:
            cluster, cluster_end = [finding], finding.end
    return kept


class Redactor:
    """Finds and replaces PII and secrets. Build one per worker process; it loads Presidio on first use.

    ``ner_model``: a spaCy package to use for names and places, None for none, or "auto" (the default) for
    the one ``analyzer.installed_ner_model`` finds. ``batch_size`` is spaCy's ``pipe`` batch.
    """

    def __init__(self, ner_model: str | None = _AUTO, batch_size: int = 256) -> None:
        self._ner_request = ner_model
        self.batch_size = batch_size
        self._analyzer: AnalyzerEngine | None = None
        self._anonymizer: AnonymizerEngine | None = None
        self.ner_model: str | None = None
        self._operators = {e: OperatorConfig("replace", {"new_value": placeholder(e)}) for e in ALL_ENTITIES}

    def __getstate__(self) -> dict[str, object]:
        """Pickle the settings only (for worker processes and Ray); each copy loads its own engines."""
        state = dict(self.__dict__)
        state.update(_analyzer=None, _anonymizer=None, ner_model=None)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    def _engines(self) -> tuple[AnalyzerEngine, AnonymizerEngine]:
        if self._analyzer is None or self._anonymizer is None:
            self.ner_model = installed_ner_model() if self._ner_request == _AUTO else self._ner_request
            self._analyzer = build_analyzer(self.ner_model)
            self._anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]
        return self._analyzer, self._anonymizer

    def find(self, texts: Sequence[str]) -> list[list[Finding]]:
        """The non-overlapping findings in each text, in text order."""
        analyzer, _ = self._engines()
        always = set(NER_ENTITIES) if self.ner_model else set()
        wanted = [(i, triggered_entities(t) | always) for i, t in enumerate(texts) if t]
        wanted = [(i, entities) for i, entities in wanted if entities]
        found: list[list[Finding]] = [[] for _ in texts]
        if not wanted:
            return found
        batch = [texts[i] for i, _ in wanted]
        for (index, entities), (text, nlp_artifacts) in zip(wanted, self._nlp_artifacts(batch), strict=True):
            results: list[RecognizerResult] = analyzer.analyze(
                text=text,
                language=LANGUAGE,
                entities=sorted(entities),
                nlp_artifacts=nlp_artifacts,
                score_threshold=SCORE_THRESHOLD,
            )
            findings = []
            for result in results:
                span = validators.refine(result.entity_type, text, result.start, result.end)
                if span is not None:
                    findings.append(Finding(result.entity_type, span[0], span[1], result.score))
            found[index] = _without_overlaps(findings)
        return found

    def _nlp_artifacts(self, texts: list[str]) -> Iterator[tuple[str, NlpArtifacts]]:
        """spaCy's analysis of each text where NER needs it; otherwise one empty analysis.

        Our pattern recognizers read no tokens and context is checked by our own rules, so without NER
        tokenizing (most of Presidio's cost on long texts, measured) buys nothing. Texts longer than
        ``NER_MAX_CHARS`` (pasted logs, dumps) skip NER too: spaCy refuses texts over its ``max_length``
        and tagging them would dominate a batch.
        """
        analyzer, _ = self._engines()
        engine = analyzer.nlp_engine
        assert isinstance(engine, LocalSpacyNlpEngine)
        empty = engine.empty_artifacts()
        if self.ner_model is None:
            for text in texts:
                yield text, empty
            return
        short = [t for t in texts if len(t) <= NER_MAX_CHARS]
        tagged = iter(engine.process_batch(short, LANGUAGE, batch_size=self.batch_size))
        for text in texts:
            yield (text, next(tagged)[1]) if len(text) <= NER_MAX_CHARS else (text, empty)

    def redact(self, texts: Sequence[str]) -> list[Redaction]:
        """Each text with its findings replaced by placeholders, and the entity types replaced."""
        _, anonymizer = self._engines()
        out = []
        for text, findings in zip(texts, self.find(texts), strict=True):
            if not findings:
                out.append(Redaction(text, []))
                continue
            results = [AnonymizerInput(f.entity, f.start, f.end, f.score) for f in findings]
            anonymized = anonymizer.anonymize(
                text=text,
                analyzer_results=results,
                operators=self._operators,
                merge_entities_with_spaces=False,
            )
            out.append(Redaction(anonymized.text, [f.entity for f in findings]))
        return out
