"""How a ``ChatCall`` maps onto the ``calls`` table's columns, for both backends.

The columns are CALL_SCHEMA's fields in CALL_SCHEMA's order. Nested values (``messages``,
``params``, ``headers``) are stored as JSON text: both databases keep it verbatim, and orjson
escapes every control character, NUL included, which PostgreSQL's ``text`` and ``jsonb`` reject raw.
Timestamps are converted by the backend (ISO text in SQLite, ``timestamptz`` in PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

import orjson

from wildchat.records import CALL_SCHEMA, ChatCall, Message, as_utc

CALL_COLUMNS: Final[tuple[str, ...]] = tuple(CALL_SCHEMA.names)

_MESSAGES = CALL_COLUMNS.index("messages")
_PARAMS = CALL_COLUMNS.index("params")
_HEADERS = CALL_COLUMNS.index("headers")
_STREAM = CALL_COLUMNS.index("stream")
_RECEIVED = CALL_COLUMNS.index("received_at")
_COMPLETED = CALL_COLUMNS.index("completed_at")


def call_values(call: ChatCall, timestamp: Callable[[datetime], Any]) -> list[Any]:
    """One INSERT's values, in CALL_COLUMNS order; ``timestamp`` converts datetimes for the backend."""
    values: list[Any] = [getattr(call, name) for name in CALL_COLUMNS]
    values[_MESSAGES] = orjson.dumps(
        [{"role": m.role, "content": m.content, "name": m.name} for m in call.messages]
    ).decode()
    values[_PARAMS] = orjson.dumps(call.params).decode()
    values[_HEADERS] = orjson.dumps(call.headers).decode()
    values[_STREAM] = bool(call.stream)
    values[_RECEIVED] = timestamp(call.received_at)
    values[_COMPLETED] = timestamp(call.completed_at)
    return values


def call_from_values(values: Sequence[Any], timestamp: Callable[[Any], datetime]) -> ChatCall:
    """Inverse of ``call_values``; ``timestamp`` parses the backend's stored timestamp."""
    row = dict(zip(CALL_COLUMNS, values, strict=True))
    row["messages"] = [
        Message(role=m["role"], content=m["content"], name=m.get("name"))
        for m in orjson.loads(row["messages"])
    ]
    row["params"] = orjson.loads(row["params"])
    row["headers"] = orjson.loads(row["headers"])
    row["stream"] = bool(row["stream"])
    row["received_at"] = as_utc(timestamp(row["received_at"]))
    row["completed_at"] = as_utc(timestamp(row["completed_at"]))
    return ChatCall(**row)
