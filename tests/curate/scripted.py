"""Scripted call logs: a tiny DSL that writes calls the way a chat client repeats its history."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from wildchat.records import CallStatus, ChatCall, Message

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_ids = itertools.count()


def call(
    consent: str,
    messages: list[tuple[str, str]],
    reply: str | None,
    *,
    minute: int,
    model: str = "gpt-x",
    status: str = CallStatus.OK,
    ip: str = "ip-a",
    country: str | None = "France",
    state: str | None = "Paris",
    call_id: str | None = None,
) -> ChatCall:
    at = T0 + timedelta(minutes=minute)
    return ChatCall(
        call_id=call_id or f"call-{next(_ids):05d}",
        consent_id=consent,
        received_at=at,
        completed_at=at + timedelta(seconds=5),
        model=model,
        messages=[Message(r, c) for r, c in messages],
        stream=True,
        status=status,
        response_text=reply,
        hashed_ip=ip,
        country=country,
        state=state,
        headers={"user-agent": "ua/1", "accept-language": "fr-FR"},
    )


def follow(previous: ChatCall, user: str, reply: str | None, *, minute: int, **kw: object) -> ChatCall:
    """The client's next call: the previous history, its reply, and a new user message."""
    history = [(m.role, m.content) for m in previous.messages]
    assert previous.response_text is not None
    history += [("assistant", previous.response_text), ("user", user)]
    return call(previous.consent_id, history, reply, minute=minute, model=previous.model, **kw)  # type: ignore[arg-type]
