"""PII and secret redaction for the corpus builder: ``Redactor().redact(texts) -> list[Redaction]``."""

from wildchat.curate.pii.light_imports import import_nlp_libraries

import_nlp_libraries()  # before anything below imports spaCy or Presidio

from wildchat.curate.pii.entities import ALL_ENTITIES, placeholder  # noqa: E402
from wildchat.curate.pii.redactor import Finding, Redaction, Redactor  # noqa: E402

__all__ = ["ALL_ENTITIES", "Finding", "Redaction", "Redactor", "placeholder"]
