"""The record types every stage shares, and their Arrow schemas.

Two families live here:

* ``ChatCall`` — one logged call to the gateway (``collect``). ``CALL_SCHEMA`` is the versioned
  export schema that ``wildchat logs export`` writes and ``wildchat build`` reads.
* ``Conversation`` / ``Turn`` — one corpus row in WildChat-1M's exact schema (``curate`` writes it,
  ``analyze`` imports into it and reads it). ``CORPUS_SCHEMA`` has WildChat-1M's names and Arrow types,
  plus our ``conversation_id``.

Nothing here imports a stage: stages depend on this module, never the other way round.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import pyarrow as pa

# --------------------------------------------------------------------------------------------------
# Logged calls (collect -> curate)
# --------------------------------------------------------------------------------------------------

#: Bumped whenever CALL_SCHEMA changes in a way readers must know about. Written into every export
#: file's Parquet metadata (``wildchat.export_schema_version``) and every JSONL line (``schema_version``).
EXPORT_SCHEMA_VERSION: Final = 1


class CallStatus:
    """Why a logged call ended the way it did (the ``status`` column)."""

    OK: Final = "ok"
    UPSTREAM_ERROR: Final = "upstream_error"  # the upstream answered with an error status
    UPSTREAM_TIMEOUT: Final = "upstream_timeout"  # the upstream did not answer in time
    UPSTREAM_DISCONNECTED: Final = "upstream_disconnected"  # the upstream cut a stream short
    CLIENT_DISCONNECTED: Final = "client_disconnected"  # the client went away mid-stream

    ALL: Final = frozenset({OK, UPSTREAM_ERROR, UPSTREAM_TIMEOUT, UPSTREAM_DISCONNECTED, CLIENT_DISCONNECTED})


@dataclass(slots=True)
class Message:
    """One chat message as the client sent it (content flattened to text)."""

    role: str
    content: str
    name: str | None = None


@dataclass(slots=True)
class ChatCall:
    """One call to ``/v1/chat/completions``, as the gateway logs it.

    ``hashed_ip`` is HMAC-SHA256(salt, client IP) in hex; the raw IP is never held here.
    ``headers`` holds only the operator's allow-list of request headers (lower-case names).
    ``params`` holds every request field other than ``model``, ``messages`` and ``stream``
    (temperature, top_p, max_tokens, ...), JSON-compatible.
    """

    call_id: str
    consent_id: str
    received_at: datetime
    completed_at: datetime
    model: str
    messages: list[Message]
    stream: bool
    status: str
    params: dict[str, Any] = field(default_factory=dict)
    time_to_first_token_ms: float | None = None
    response_text: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    upstream_id: str | None = None
    system_fingerprint: str | None = None
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hashed_ip: str | None = None
    country: str | None = None
    state: str | None = None

    def to_row(self) -> dict[str, Any]:
        """A dict matching CALL_SCHEMA (``params`` as a JSON string, headers as key/value pairs)."""
        import orjson

        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        row["messages"] = [{"role": m.role, "content": m.content, "name": m.name} for m in self.messages]
        row["params"] = orjson.dumps(self.params).decode()
        row["headers"] = list(self.headers.items())
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ChatCall:
        """Inverse of ``to_row``; also accepts ``params`` as a dict and ``headers`` as a dict."""
        import orjson

        params = row.get("params") or {}
        if isinstance(params, str | bytes):
            params = orjson.loads(params)
        headers = row.get("headers") or {}
        if not isinstance(headers, dict):
            headers = dict(headers)
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in row.items() if k in known}
        values["messages"] = [
            Message(role=m["role"], content=m["content"] or "", name=m.get("name")) for m in row["messages"]
        ]
        values["params"] = params
        values["headers"] = headers
        for key in ("received_at", "completed_at"):
            values[key] = as_utc(values[key])
        return cls(**values)


_TS_UTC = pa.timestamp("us", tz="UTC")

MESSAGE_TYPE: Final = pa.struct([("role", pa.string()), ("content", pa.string()), ("name", pa.string())])

#: The export schema (version EXPORT_SCHEMA_VERSION). Column order is part of the contract.
CALL_SCHEMA: Final = pa.schema(
    [
        ("call_id", pa.string()),
        ("consent_id", pa.string()),
        ("received_at", _TS_UTC),
        ("completed_at", _TS_UTC),
        ("model", pa.string()),
        ("messages", pa.list_(MESSAGE_TYPE)),
        ("stream", pa.bool_()),
        ("status", pa.string()),
        ("params", pa.string()),  # JSON object
        ("time_to_first_token_ms", pa.float64()),
        ("response_text", pa.string()),
        ("finish_reason", pa.string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("total_tokens", pa.int64()),
        ("upstream_id", pa.string()),
        ("system_fingerprint", pa.string()),
        ("error", pa.string()),
        ("headers", pa.map_(pa.string(), pa.string())),
        ("hashed_ip", pa.string()),
        ("country", pa.string()),
        ("state", pa.string()),
    ]
)


@dataclass(slots=True, frozen=True)
class Tombstone:
    """A deletion the corpus builder must honour, even for exports made before it.

    Either a withdrawn consent (``consent_id``, nothing personal) or a hashed IP whose calls were
    forgotten on request (``hashed_ip``, the same pseudonym the calls carried). Exactly one is set.
    """

    withdrawn_at: datetime
    consent_id: str | None = None
    hashed_ip: str | None = None


# --------------------------------------------------------------------------------------------------
# Corpus rows (curate/analyze): WildChat-1M's schema
# --------------------------------------------------------------------------------------------------

#: OpenAI moderation categories as WildChat-1M stores them: the API's slash/hyphen names plus the
#: underscore aliases that later API versions added, sorted as in the released Parquet files.
MODERATION_CATEGORIES: Final = (
    "harassment",
    "harassment/threatening",
    "harassment_threatening",
    "hate",
    "hate/threatening",
    "hate_threatening",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "self_harm",
    "self_harm_instructions",
    "self_harm_intent",
    "sexual",
    "sexual/minors",
    "sexual_minors",
    "violence",
    "violence/graphic",
    "violence_graphic",
)

#: The moderation API's own names (slash/hyphen spelling), as WildChat's first release stored them.
MODERATION_API_CATEGORIES: Final = tuple(c for c in MODERATION_CATEGORIES if "_" not in c)

#: Each category name's other spelling ("self-harm/intent" <-> "self_harm_intent"). Names without a
#: slash or hyphen ("hate") have no other spelling and are not keys.
MODERATION_ALIASES: Final = {
    **{c: c.replace("/", "_").replace("-", "_") for c in MODERATION_API_CATEGORIES if "/" in c or "-" in c},
    **{c.replace("/", "_").replace("-", "_"): c for c in MODERATION_API_CATEGORIES if "/" in c or "-" in c},
}

#: Detoxify (multilingual) output labels, as WildChat-1M stores them.
DETOXIFY_LABELS: Final = (
    "identity_attack",
    "insult",
    "obscene",
    "severe_toxicity",
    "sexual_explicit",
    "threat",
    "toxicity",
)

#: WildChat's rule: a turn is toxic if OpenAI moderation flagged it or Detoxify toxicity exceeds this.
DETOXIFY_TOXIC_THRESHOLD: Final = 0.1

#: Language name for empty text, as WildChat writes it.
NOLANG: Final = "Nolang"

HEADER_TYPE: Final = pa.struct([("accept-language", pa.string()), ("user-agent", pa.string())])

TURN_TYPE: Final = pa.struct(
    [
        ("content", pa.string()),
        ("country", pa.string()),
        ("hashed_ip", pa.string()),
        ("header", HEADER_TYPE),
        ("language", pa.string()),
        ("redacted", pa.bool_()),
        ("role", pa.string()),
        ("state", pa.string()),
        ("timestamp", _TS_UTC),
        ("toxic", pa.bool_()),
        ("turn_identifier", pa.int64()),
    ]
)

OPENAI_MODERATION_TYPE: Final = pa.struct(
    [
        ("categories", pa.struct([(c, pa.bool_()) for c in MODERATION_CATEGORIES])),
        ("category_scores", pa.struct([(c, pa.float64()) for c in MODERATION_CATEGORIES])),
        ("flagged", pa.bool_()),
    ]
)

DETOXIFY_MODERATION_TYPE: Final = pa.struct([(label, pa.float64()) for label in DETOXIFY_LABELS])

#: WildChat-1M's schema, same names, same Arrow types, same order, plus our unique ``conversation_id``.
CORPUS_SCHEMA: Final = pa.schema(
    [
        ("conversation_hash", pa.string()),
        ("model", pa.string()),
        ("timestamp", _TS_UTC),
        ("conversation", pa.list_(TURN_TYPE)),
        ("turn", pa.int64()),
        ("language", pa.string()),
        ("openai_moderation", pa.list_(OPENAI_MODERATION_TYPE)),
        ("detoxify_moderation", pa.list_(DETOXIFY_MODERATION_TYPE)),
        ("toxic", pa.bool_()),
        ("redacted", pa.bool_()),
        ("state", pa.string()),
        ("country", pa.string()),
        ("hashed_ip", pa.string()),
        ("header", HEADER_TYPE),
        ("conversation_id", pa.string()),
    ]
)


@dataclass(slots=True)
class Turn:
    """One message of a corpus conversation (WildChat-1M's ``conversation`` list element).

    User turns carry ``hashed_ip``/``state``/``country``/``header``; assistant turns carry
    ``timestamp`` (when the reply completed). Fields that do not apply are None.
    """

    role: str
    content: str
    language: str | None = None
    redacted: bool = False
    toxic: bool = False
    turn_identifier: int | None = None
    timestamp: datetime | None = None
    hashed_ip: str | None = None
    state: str | None = None
    country: str | None = None
    header: dict[str, str | None] | None = None

    def to_row(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "country": self.country,
            "hashed_ip": self.hashed_ip,
            "header": _header_row(self.header),
            "language": self.language,
            "redacted": self.redacted,
            "role": self.role,
            "state": self.state,
            "timestamp": self.timestamp,
            "toxic": self.toxic,
            "turn_identifier": self.turn_identifier,
        }


@dataclass(slots=True)
class Conversation:
    """One corpus row. ``turn`` counts user turns, as WildChat does.

    ``openai_moderation`` and ``detoxify_moderation`` have one entry per turn (same order as
    ``conversation``) when that classifier ran, and are empty lists when it did not.
    """

    conversation_id: str
    conversation_hash: str
    model: str
    timestamp: datetime
    conversation: list[Turn]
    turn: int
    language: str | None = None
    openai_moderation: list[dict[str, Any]] = field(default_factory=list)
    detoxify_moderation: list[dict[str, float]] = field(default_factory=list)
    toxic: bool = False
    redacted: bool = False
    state: str | None = None
    country: str | None = None
    hashed_ip: str | None = None
    header: dict[str, str | None] | None = None

    def to_row(self) -> dict[str, Any]:
        return {
            "conversation_hash": self.conversation_hash,
            "model": self.model,
            "timestamp": self.timestamp,
            "conversation": [t.to_row() for t in self.conversation],
            "turn": self.turn,
            "language": self.language,
            "openai_moderation": self.openai_moderation,
            "detoxify_moderation": self.detoxify_moderation,
            "toxic": self.toxic,
            "redacted": self.redacted,
            "state": self.state,
            "country": self.country,
            "hashed_ip": self.hashed_ip,
            "header": _header_row(self.header),
            "conversation_id": self.conversation_id,
        }


def _header_row(header: dict[str, str | None] | None) -> dict[str, str | None] | None:
    if header is None:
        return None
    return {"accept-language": header.get("accept-language"), "user-agent": header.get("user-agent")}


def conversations_to_table(conversations: list[Conversation]) -> pa.Table:
    """Build a CORPUS_SCHEMA table from conversations."""
    return pa.Table.from_pylist([c.to_row() for c in conversations], schema=CORPUS_SCHEMA)


def calls_to_table(calls: list[ChatCall]) -> pa.Table:
    """Build a CALL_SCHEMA table from logged calls."""
    return pa.Table.from_pylist([c.to_row() for c in calls], schema=CALL_SCHEMA)


def as_utc(value: datetime) -> datetime:
    """Return an aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
