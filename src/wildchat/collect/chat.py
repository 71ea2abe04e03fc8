"""``POST /v1/chat/completions``: check, forward upstream, record, answer — in that order.

A raw ASGI app (no framework layer on the hottest path). Every call that passes the consent check
produces exactly one ``ChatCall``; the reply is sent only once that record is committed (for a
stream: everything but the final ``data: [DONE]``, which follows the commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import orjson

from wildchat.collect.asgi_io import (
    Receive,
    RequestMeta,
    Scope,
    Send,
    peer_of,
    read_body,
    read_meta,
    send_error,
)
from wildchat.collect.chat_request import ChatRequest, parse_chat_request
from wildchat.collect.consent import bearer_key
from wildchat.collect.errors import ApiError, internal_error
from wildchat.collect.ids import time_ordered_id
from wildchat.collect.limits import retry_after_header
from wildchat.collect.recorder import RecorderClosed
from wildchat.collect.state import Gateway
from wildchat.records import CallStatus, ChatCall

log = logging.getLogger("wildchat.chat")

HOW_TO_CONSENT = (
    "This service needs your consent: read the terms at GET /v1/consent, then "
    'POST /v1/consent {"agree": true, "terms_version": "<version>"} and use the returned key as your '
    "API key (Authorization: Bearer <key>)."
)
_EVENT_END = re.compile(rb"\r?\n\r?\n")
_SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
_DONE = b"data: [DONE]\n\n"


@dataclass(slots=True)
class Outcome:
    """What came back from upstream, accumulated as it arrives."""

    status: str = CallStatus.OK
    text: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    upstream_id: str | None = None
    system_fingerprint: str | None = None
    error: str | None = None
    first_token_at: float | None = None


class ChatEndpoint:
    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        received_at = datetime.now(UTC)
        started = time.perf_counter()
        try:
            if scope["method"] != "POST":
                raise ApiError(405, "Use POST for /v1/chat/completions.", code="method_not_allowed")
            meta = read_meta(scope, self.gw.header_names)
            request, consent_id, identity = await self._admit(scope, receive, meta)
            call = ChatCall(
                call_id=time_ordered_id(),
                consent_id=consent_id,
                received_at=received_at,
                completed_at=received_at,
                model=request.model,
                messages=request.messages,
                stream=request.stream,
                status=CallStatus.OK,
                params=request.params,
                headers=meta.logged_headers,
                hashed_ip=identity[0],
                country=identity[1],
                state=identity[2],
            )
            if request.stream:
                await self._stream(call, request, started, receive, send)
            else:
                await self._complete(call, request, started, send)
        except ApiError as error:
            await send_error(send, error)
        except Exception:
            log.exception("chat request failed")
            with contextlib.suppress(Exception):  # the response may have started already
                await send_error(send, internal_error())

    async def _admit(
        self, scope: Scope, receive: Receive, meta: RequestMeta
    ) -> tuple[ChatRequest, str, tuple[str | None, str | None, str | None]]:
        """Consent, limits and body checks, cheapest first."""
        key = bearer_key(meta.authorization)
        if key is None:
            raise ApiError(401, "No consent key given. " + HOW_TO_CONSENT, code="consent_required")
        consent = await self.gw.consents.find(key)
        if consent is None:
            raise ApiError(
                401,
                "This consent key is not valid (unknown or withdrawn). " + HOW_TO_CONSENT,
                code="invalid_consent_key",
            )
        identity = self.gw.identify(self.gw.resolver.resolve(peer_of(scope), meta.forwarded_for))
        wait = self.gw.key_limiter.take(consent.consent_id)
        if not wait and identity[0] is not None:
            wait = self.gw.ip_limiter.take(identity[0])
        if wait:
            raise ApiError(
                429,
                "Too many requests: slow down and retry after the time in Retry-After.",
                "rate_limit_error",
                "rate_limit_exceeded",
                headers={"Retry-After": retry_after_header(wait)},
            )
        body = await read_body(receive, self.gw.settings.max_body_bytes, meta.content_length)
        request = parse_chat_request(body, self.gw.models, self.gw.settings.max_tokens_cap)
        return request, consent.consent_id, identity

    # -------------------------------------------------------------------------------- non-streaming
    async def _complete(self, call: ChatCall, request: ChatRequest, started: float, send: Send) -> None:
        outcome = Outcome()
        status_code, raw = 0, b""
        try:
            async with self.gw.upstream.post_chat(request.upstream_body) as response:
                raw = await response.read()
                status_code = response.status
            outcome.first_token_at = time.perf_counter()
        except TimeoutError:
            outcome.status, outcome.error = CallStatus.UPSTREAM_TIMEOUT, "the upstream did not answer in time"
        except aiohttp.ClientError as exc:
            outcome.status, outcome.error = (
                CallStatus.UPSTREAM_ERROR,
                f"upstream unreachable ({type(exc).__name__})",
            )
        data: Any = None
        if outcome.status == CallStatus.OK:
            if status_code >= 400:
                outcome.status = CallStatus.UPSTREAM_ERROR
                outcome.error = f"HTTP {status_code}: {_upstream_message(raw)}"
            else:
                try:
                    data = orjson.loads(raw)
                    _read_completion(data, outcome)
                except (orjson.JSONDecodeError, TypeError, KeyError, IndexError, AttributeError):
                    outcome.status, outcome.error = (
                        CallStatus.UPSTREAM_ERROR,
                        "the upstream sent an invalid reply",
                    )
        await self._record(call, outcome, started)
        if outcome.status == CallStatus.OK:
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": raw})
        else:
            raise _failure(outcome, status_code)

    # ------------------------------------------------------------------------------------ streaming
    async def _stream(
        self, call: ChatCall, request: ChatRequest, started: float, receive: Receive, send: Send
    ) -> None:
        outcome = Outcome()
        task = asyncio.current_task()
        assert task is not None
        state = {"sending": False, "finished": False, "disconnected": False}

        def on_receive(done: asyncio.Task[Any]) -> None:
            # http.disconnect while we still stream: stop reading upstream at once
            if not done.cancelled() and not state["finished"]:
                state["disconnected"] = True
                task.cancel()

        watcher: asyncio.Task[Any] | None = None
        status_code = 0
        try:
            async with self.gw.upstream.post_chat(request.upstream_body) as response:
                status_code = response.status
                if status_code >= 400:
                    raw = await response.read()
                    outcome.status = CallStatus.UPSTREAM_ERROR
                    outcome.error = f"HTTP {status_code}: {_upstream_message(raw)}"
                else:
                    await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
                    state["sending"] = True
                    watcher = asyncio.ensure_future(receive())
                    watcher.add_done_callback(on_receive)
                    await self._relay(response, request, outcome, send)
        except asyncio.CancelledError:
            if not state["disconnected"]:
                outcome.status = CallStatus.CLIENT_DISCONNECTED  # shutting down: record, then stop
                await asyncio.shield(self._record(call, outcome, started))
                raise
            task.uncancel()
            outcome.status = CallStatus.CLIENT_DISCONNECTED
        except TimeoutError:
            outcome.status = CallStatus.UPSTREAM_TIMEOUT
            outcome.error = "the upstream stopped sending in time"
        except aiohttp.ClientError as exc:
            sent = state["sending"]
            outcome.status = CallStatus.UPSTREAM_DISCONNECTED if sent else CallStatus.UPSTREAM_ERROR
            outcome.error = f"upstream {'cut the stream' if sent else 'unreachable'} ({type(exc).__name__})"
        finally:
            state["finished"] = True
            if watcher is not None and not watcher.done():
                watcher.remove_done_callback(on_receive)
                watcher.cancel()
        try:
            await self._record(call, outcome, started)
        except ApiError as error:
            if not state["sending"]:
                raise
            # not recorded: the client must not take this stream for a finished one
            if outcome.status != CallStatus.CLIENT_DISCONNECTED:
                await _send_error_event(send, error)
            return
        if not state["sending"]:
            raise _failure(outcome, status_code)
        if outcome.status == CallStatus.OK:
            await send({"type": "http.response.body", "body": _DONE})
        elif outcome.status != CallStatus.CLIENT_DISCONNECTED:
            await _send_error_event(send, _failure(outcome, status_code))

    async def _relay(
        self, response: aiohttp.ClientResponse, request: ChatRequest, outcome: Outcome, send: Send
    ) -> None:
        """Forward upstream events as they come (one send per network read) and accumulate them."""
        pending = b""
        done = False
        async for data in response.content.iter_any():
            pending += data
            events = _EVENT_END.split(pending)
            pending = events.pop()
            out: list[bytes] = []
            for event in events:
                payload = _event_data(event)
                if payload is None:
                    continue
                if payload == b"[DONE]":
                    done = True
                    continue
                forward = _read_chunk(payload, outcome)
                if forward or request.client_wants_usage:
                    out.append(b"data: " + payload + b"\n\n")
            if out:
                await send({"type": "http.response.body", "body": b"".join(out), "more_body": True})
        if pending.strip():
            payload = _event_data(pending)
            if payload == b"[DONE]":
                done = True
            elif payload is not None and _read_chunk(payload, outcome) | request.client_wants_usage:
                await send(
                    {"type": "http.response.body", "body": b"data: " + payload + b"\n\n", "more_body": True}
                )
        if not done and outcome.finish_reason is None:
            outcome.status = CallStatus.UPSTREAM_DISCONNECTED
            outcome.error = "the upstream ended the stream before it finished"

    # ------------------------------------------------------------------------------------- records
    async def _record(self, call: ChatCall, outcome: Outcome, started: float) -> None:
        if outcome.error:
            for secret in self.gw.scrub:
                outcome.error = outcome.error.replace(secret, "[redacted]")
        elapsed = time.perf_counter() - started
        call.completed_at = call.received_at + timedelta(seconds=elapsed)
        call.status = outcome.status
        call.error = outcome.error
        call.response_text = (
            "".join(outcome.text) if outcome.text or outcome.status == CallStatus.OK else None
        )
        call.finish_reason = outcome.finish_reason
        call.upstream_id = outcome.upstream_id
        call.system_fingerprint = outcome.system_fingerprint
        if outcome.first_token_at is not None:
            call.time_to_first_token_ms = round((outcome.first_token_at - started) * 1000, 3)
        usage = outcome.usage or {}
        call.prompt_tokens = _int_or_none(usage.get("prompt_tokens"))
        call.completion_tokens = _int_or_none(usage.get("completion_tokens"))
        call.total_tokens = _int_or_none(usage.get("total_tokens"))
        try:
            await self.gw.recorder.record(call)
        except RecorderClosed:
            raise ApiError(
                503, "The service is shutting down; retry shortly.", "server_error", "shutting_down"
            ) from None
        except Exception:
            raise ApiError(
                503,
                "The service could not record this call; nothing was kept. Retry shortly.",
                "server_error",
                "storage_unavailable",
            ) from None


async def _send_error_event(send: Send, error: ApiError) -> None:
    """End a stream that already started with an error event (the SDK raises it as APIError)."""
    event = b"data: " + orjson.dumps({"error": orjson.loads(error.body())["error"]}) + b"\n\n"
    await send({"type": "http.response.body", "body": event, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def _event_data(event: bytes) -> bytes | None:
    """The ``data:`` payload of one SSE event (multi-line data joined), or None for comments."""
    if event.startswith(b"data: ") and b"\n" not in event:  # the usual one-line event
        return event[6:]
    lines = [line[5:].lstrip() for line in event.splitlines() if line.startswith(b"data:")]
    if not lines:
        return None
    return lines[0] if len(lines) == 1 else b"\n".join(lines)


def _read_chunk(payload: bytes, outcome: Outcome) -> bool:
    """Accumulate one stream chunk; False for the usage-only chunk we asked for ourselves."""
    try:
        chunk = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return True
    if not isinstance(chunk, dict):
        return True
    if "error" in chunk and "choices" not in chunk:
        outcome.error = f"the upstream sent an error event: {_upstream_message(payload)}"
        return True
    outcome.upstream_id = outcome.upstream_id or chunk.get("id")
    outcome.system_fingerprint = chunk.get("system_fingerprint") or outcome.system_fingerprint
    if chunk.get("usage"):
        outcome.usage = chunk["usage"]
    choices = chunk.get("choices") or []
    for choice in choices:
        if not isinstance(choice, dict) or choice.get("index", 0) != 0:
            continue  # the record keeps the first choice
        delta = choice.get("delta") or {}
        content = delta.get("content")
        if content:
            if outcome.first_token_at is None:
                outcome.first_token_at = time.perf_counter()
            outcome.text.append(content)
        if choice.get("finish_reason"):
            outcome.finish_reason = choice["finish_reason"]
    return bool(choices) or not chunk.get("usage")


def _read_completion(data: dict[str, Any], outcome: Outcome) -> None:
    choice = data["choices"][0]
    outcome.text.append((choice.get("message") or {}).get("content") or "")
    outcome.finish_reason = choice.get("finish_reason")
    outcome.usage = data.get("usage")
    outcome.upstream_id = data.get("id")
    outcome.system_fingerprint = data.get("system_fingerprint")


def _upstream_message(raw: bytes) -> str:
    """The upstream's error message, shortened (it is logged and shown, never with our secrets)."""
    try:
        data = orjson.loads(raw)
        message = data["error"]["message"] if isinstance(data.get("error"), dict) else data.get("error")
        text = str(message or data.get("detail") or data)
    except Exception:
        text = raw.decode("utf-8", "replace")
    return text[:500]


def _failure(outcome: Outcome, upstream_status: int) -> ApiError:
    if outcome.status == CallStatus.UPSTREAM_TIMEOUT:
        return ApiError(
            504,
            f"The model server did not answer in time: {outcome.error}.",
            "server_error",
            "upstream_timeout",
        )
    if 400 <= upstream_status < 500 and upstream_status not in (401, 403, 429):
        # the request itself was refused (e.g. context too long): the client can fix it
        return ApiError(
            upstream_status,
            f"The model server refused the request: {outcome.error}",
            "invalid_request_error",
            "upstream_rejected",
        )
    return ApiError(502, f"The model server failed: {outcome.error}", "server_error", "upstream_error")


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
