"""A small, deterministic OpenAI-compatible server for the tests and benchmarks: a real HTTP process.

    python tests/collect/support/fake_upstream.py --port 9000

Replies are derived from the request: the text is ``"You said: <last user message>"`` split into
``chunks`` pieces (request field ``chunks``, default 5) when streaming. The model name picks a mode:

* ``fake`` (or any other name): a normal answer;
* ``fake-error``: HTTP 500 with an OpenAI-shaped error; ``fake-400``: HTTP 400 (context too long);
* ``fake-slow``: waits ``--slow-s`` seconds before answering (to trip the gateway's timeout);
* ``fake-cut``: streams half of the chunks, then drops the connection (non-streaming: drops at once);
* ``fake-stall``: streams half of the chunks, then goes silent for ``--slow-s`` seconds.

It also checks what the gateway must never forward: a client's ``Authorization`` (only the
gateway's own upstream key, given with ``--expect-key``, may arrive) and ``X-Forwarded-For``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import time
from typing import Any

import orjson

Scope = dict[str, Any]


def reply_text(messages: list[dict[str, Any]]) -> str:
    last = next((m for m in reversed(messages) if m.get("role") == "user"), {"content": ""})
    content = last.get("content") or ""
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return f"You said: {content}"


def split_chunks(text: str, n: int) -> list[str]:
    """``text`` in ``n`` consecutive pieces (some may be empty for very short texts)."""
    n = max(1, n)
    size, extra = divmod(len(text), n)
    pieces, at = [], 0
    for i in range(n):
        step = size + (1 if i < extra else 0)
        pieces.append(text[at : at + step])
        at += step
    return pieces


def usage_of(messages: list[dict[str, Any]], completion: int) -> dict[str, int]:
    prompt = sum(len(str(m.get("content") or "").split()) for m in messages)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class FakeUpstream:
    def __init__(self, slow_s: float, expect_key: str | None) -> None:
        self.slow_s = slow_s
        self.expect_key = expect_key

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        headers = dict(scope["headers"])
        if b"x-forwarded-for" in headers:
            return await self._json(send, 400, {"error": {"message": "X-Forwarded-For reached the upstream"}})
        auth = headers.get(b"authorization")
        expected = f"Bearer {self.expect_key}".encode() if self.expect_key else None
        if auth != expected:
            return await self._json(send, 401, {"error": {"message": "unexpected Authorization header"}})
        path = scope["path"]
        if path.endswith("/models"):
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in ("fake", "fake-error")]
            return await self._json(send, 200, {"object": "list", "data": data})
        if not path.endswith("/chat/completions"):
            return await self._json(send, 404, {"error": {"message": "not found"}})
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = orjson.loads(body)
        await self._chat(request, body, send)

    async def _chat(self, request: dict[str, Any], body: bytes, send: Any) -> None:
        model = request.get("model", "fake")
        messages = request.get("messages", [])
        if model == "fake-error":
            return await self._json(
                send, 500, {"error": {"message": "the fake model broke", "type": "server_error"}}
            )
        if model == "fake-400":
            return await self._json(send, 400, {"error": {"message": "context length exceeded"}})
        if model == "fake-slow":
            await asyncio.sleep(self.slow_s)
        text = reply_text(messages)
        ident = "chatcmpl-fake-" + hashlib.sha1(body).hexdigest()[:16]
        created = int(time.time())
        if not request.get("stream"):
            if model == "fake-cut":
                raise ConnectionAbortedError("fake-cut: dropping the connection")
            completion = {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": usage_of(messages, len(text.split())),
            }
            return await self._json(send, 200, completion)
        n = int(request.get("chunks", 5))
        pieces = split_chunks(text, n)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        base = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake",
        }
        for i, piece in enumerate(pieces):
            if model in ("fake-cut", "fake-stall") and i == n // 2:
                if model == "fake-stall":
                    await asyncio.sleep(self.slow_s)
                raise ConnectionAbortedError("fake-cut: dropping the stream")
            delta: dict[str, Any] = {"content": piece}
            if i == 0:
                delta["role"] = "assistant"
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            await send(
                {
                    "type": "http.response.body",
                    "body": b"data: " + orjson.dumps(chunk) + b"\n\n",
                    "more_body": True,
                }
            )
        final = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        tail = b"data: " + orjson.dumps(final) + b"\n\n"
        if (request.get("stream_options") or {}).get("include_usage"):
            usage = {**base, "choices": [], "usage": usage_of(messages, n)}
            tail += b"data: " + orjson.dumps(usage) + b"\n\n"
        await send({"type": "http.response.body", "body": tail + b"data: [DONE]\n\n"})

    @staticmethod
    async def _json(send: Any, status: int, data: Any) -> None:
        body = orjson.dumps(data)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--slow-s", type=float, default=5.0)
    parser.add_argument("--expect-key", default=None)
    args = parser.parse_args()
    uvicorn.run(
        FakeUpstream(args.slow_s, args.expect_key),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        backlog=4096,
    )


if __name__ == "__main__":
    main()
