"""Building CORPUS_SCHEMA rows: turns, conversations, and WildChat's moderation structs.

Rows are plain dicts (not ``records.Conversation``) because imported corpora lack fields that our own
corpus always has: what a source does not say stays null (model, timestamp, toxic, redacted, ...), and
the moderation lists stay empty when that classifier never ran on the source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wildchat.analyze.importers.base import MalformedInput, Record, Where
from wildchat.analyze.importers.fields import as_object, opt_float
from wildchat.records import DETOXIFY_LABELS, MODERATION_ALIASES, MODERATION_CATEGORIES


def location_id(record: Record) -> str:
    """A stable id for a record that has none: its file name and line (or element/row) number."""
    where = record.where
    position = where.row if where.row is not None else where.line
    return f"{where.file.name}:{position}"


def turn_row(
    role: str,
    content: str,
    *,
    language: str | None = None,
    redacted: bool | None = None,
    toxic: bool | None = None,
    turn_identifier: int | None = None,
    timestamp: datetime | None = None,
    hashed_ip: str | None = None,
    state: str | None = None,
    country: str | None = None,
    header: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    return {
        "content": content,
        "country": country,
        "hashed_ip": hashed_ip,
        "header": header,
        "language": language,
        "redacted": redacted,
        "role": role,
        "state": state,
        "timestamp": timestamp,
        "toxic": toxic,
        "turn_identifier": turn_identifier,
    }


def conversation_row(
    *,
    conversation_id: str,
    conversation: list[dict[str, Any]],
    turn: int | None = None,
    conversation_hash: str | None = None,
    model: str | None = None,
    timestamp: datetime | None = None,
    language: str | None = None,
    openai_moderation: list[dict[str, Any]] | None = None,
    detoxify_moderation: list[dict[str, float | None]] | None = None,
    toxic: bool | None = None,
    redacted: bool | None = None,
    state: str | None = None,
    country: str | None = None,
    hashed_ip: str | None = None,
    header: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """One corpus row; ``turn`` defaults to the number of user turns, as WildChat counts it."""
    if turn is None:
        turn = sum(1 for t in conversation if t["role"] == "user")
    return {
        "conversation_hash": conversation_hash,
        "model": model,
        "timestamp": timestamp,
        "conversation": conversation,
        "turn": turn,
        "language": language,
        "openai_moderation": openai_moderation or [],
        "detoxify_moderation": detoxify_moderation or [],
        "toxic": toxic,
        "redacted": redacted,
        "state": state,
        "country": country,
        "hashed_ip": hashed_ip,
        "header": header,
        "conversation_id": conversation_id,
    }


def openai_moderation_entry(value: Any, field: str, where: Where) -> dict[str, Any]:
    """One turn's OpenAI moderation result with all 18 categories of ``MODERATION_CATEGORIES`` filled.

    A category missing under one spelling takes the value of the other spelling; one missing under both
    stays null.
    """
    entry = as_object(value, field, where)
    categories = as_object(entry.get("categories") or {}, f"{field}.categories", where)
    scores = as_object(entry.get("category_scores") or {}, f"{field}.category_scores", where)
    flagged = entry.get("flagged")
    if flagged is not None and not isinstance(flagged, bool):
        raise MalformedInput(where, f"{field}.flagged", f"must be a boolean, got {flagged!r}")
    filled_categories: dict[str, bool | None] = {}
    filled_scores: dict[str, float | None] = {}
    # Hot loop (18 categories x every turn of a million conversations): plain dict look-ups, with the
    # checked conversion only for values that are not already the right type.
    for name in MODERATION_CATEGORIES:
        other = MODERATION_ALIASES.get(name)  # sources may carry either spelling, or both
        flag = categories.get(name)
        if flag is None and other is not None:
            flag = categories.get(other)
        if flag is not None and flag.__class__ is not bool:
            raise MalformedInput(where, f"{field}.categories.{name}", f"must be a boolean, got {flag!r}")
        filled_categories[name] = flag
        score = scores.get(name)
        if score is None and other is not None:
            score = scores.get(other)
        if score.__class__ is not float or score != score:  # score != score: NaN
            score = opt_float(score, f"{field}.category_scores.{name}", where)
        filled_scores[name] = score
    if flagged is None and any(filled_categories.values()):
        flagged = True  # the API flags exactly when a category is set
    return {"categories": filled_categories, "category_scores": filled_scores, "flagged": flagged}


def detoxify_entry(value: Any, field: str, where: Where) -> dict[str, float | None]:
    """One turn's Detoxify scores, every label of ``DETOXIFY_LABELS`` present (null where absent)."""
    entry = as_object(value, field, where)
    out: dict[str, float | None] = {}
    for label in DETOXIFY_LABELS:
        score = entry.get(label)
        if score.__class__ is not float or score != score:  # score != score: NaN
            score = opt_float(score, f"{field}.{label}", where)
        out[label] = score
    return out


def header_struct(value: Any, field: str, where: Where) -> dict[str, str | None] | None:
    """WildChat's ``header`` struct (accept-language, user-agent); other request headers are dropped."""
    if value is None:
        return None
    header = as_object(value, field, where)
    out: dict[str, str | None] = {}
    for key in ("accept-language", "user-agent"):
        item = header.get(key)
        if item is not None and not isinstance(item, str):
            raise MalformedInput(where, f"{field}.{key}", f"must be a string, got {item!r}")
        out[key] = item
    return out
