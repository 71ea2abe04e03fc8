"""Small raw-ASGI helpers for the hot path: header parsing, a size-limited body read, JSON replies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from wildchat.collect.errors import JSON_HEADERS, ApiError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(slots=True)
class RequestMeta:
    authorization: str | None = None
    forwarded_for: list[str] = field(default_factory=list)
    content_length: int | None = None
    logged_headers: dict[str, str] = field(default_factory=dict)


def read_meta(scope: Scope, header_names: frozenset[bytes]) -> RequestMeta:
    """The few headers the gateway reads; only ``header_names`` go into records."""
    meta = RequestMeta()
    for name, value in scope["headers"]:
        if name == b"authorization":
            meta.authorization = value.decode("latin-1")
        elif name == b"x-forwarded-for":
            meta.forwarded_for.append(value.decode("latin-1"))
        elif name == b"content-length":
            try:
                meta.content_length = int(value)
            except ValueError:
                meta.content_length = None
        if name in header_names:
            text = value.decode("utf-8", "replace")
            key = name.decode("latin-1")
            meta.logged_headers[key] = (
                f"{meta.logged_headers[key]}, {text}" if key in meta.logged_headers else text
            )
    return meta


def peer_of(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


async def read_body(receive: Receive, limit: int, content_length: int | None) -> bytes:
    """The whole request body, or 413 as soon as it is known to exceed ``limit`` bytes."""
    if content_length is not None and content_length > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "The client disconnected before sending the whole body.")
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is larger than this service accepts ({limit} bytes).",
        "invalid_request_error",
        "request_too_large",
    )


async def send_json(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, error: ApiError) -> None:
    extra = [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send_json(send, error.status, error.body(), extra)
