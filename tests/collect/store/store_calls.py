"""Realistic sample calls for the store tests (a plain module: conftest files are not importable)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from wildchat.records import ChatCall, Message

T0 = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)

MakeCall = Callable[..., ChatCall]


def make_call(n: int, consent_id: str = "consent-a", **overrides: Any) -> ChatCall:
    """A realistic call: a few messages of a few hundred characters, every optional field set."""
    received = T0 + timedelta(seconds=n)
    values: dict[str, Any] = {
        "call_id": f"call-{n:06d}",
        "consent_id": consent_id,
        "received_at": received,
        "completed_at": received + timedelta(milliseconds=812, microseconds=7),
        "model": "gpt-4o-mini",
        "messages": [
            Message("system", "You are a helpful assistant. " * 4),
            Message("user", f"Question {n}: how do tides work? Ünïcödé ✓ 日本語 " * 6, name="alice"),
            Message("assistant", "Tides come from the Moon's gravity. " * 8),
            Message("user", "And the Sun?\nTabs\tand NUL \x00 too."),
        ],
        "stream": n % 2 == 0,
        "status": "ok",
        "params": {"temperature": 0.7, "max_tokens": 256, "stop": ["\n\n"], "nested": {"a": [1, None]}},
        "time_to_first_token_ms": 41.5,
        "response_text": "The Sun pulls too, about half as strongly. " * 6,
        "finish_reason": "stop",
        "prompt_tokens": 120,
        "completion_tokens": 60,
        "total_tokens": 180,
        "upstream_id": f"chatcmpl-{n}",
        "system_fingerprint": "fp_44709d6fcb",
        "error": None,
        "headers": {"user-agent": "Mozilla/5.0 (X11; Linux x86_64)", "accept-language": "en-US,en;q=0.9"},
        "hashed_ip": f"{n % 3:064x}",
        "country": "United States",
        "state": "California",
    }
    values.update(overrides)
    return ChatCall(**values)
