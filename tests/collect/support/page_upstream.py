"""A deterministic OpenAI-compatible upstream for the chat page's browser tests.

Run as a process: ``python page_upstream.py PORT``. It answers ``GET /v1/models`` and
``POST /v1/chat/completions`` (streaming or not). The reply is a function of the request only:

* ``Echo N: <last user message>`` where N counts the user messages, so a test can read the history
  the gateway forwarded back off the page;
* a prompt containing ``markdown please`` gets a reply with a heading, a list and a code block;
* ``hold please`` streams one chunk and then keeps the stream open until the client goes away
  (for the stop button); ``fail please`` answers 503 (for the "upstream down" message).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODELS = ("fake-small", "fake-large")

MARKDOWN_REPLY = (
    "## A short answer\n\n"
    "Here is **bold** text, a list and code:\n\n"
    "- first item\n- second item with `inline code`\n\n"
    '```python\ndef greet(name):\n    return f"<b>{name}</b>"\n```\n\n'
    "See [the docs](https://example.org/docs)."
)


def reply_for(messages: list[dict[str, Any]]) -> str:
    users = [m for m in messages if m.get("role") == "user"]
    last = str(users[-1]["content"]) if users else ""
    if "markdown please" in last:
        return MARKDOWN_REPLY
    return f"Echo {len(users)}: {last}"


def pieces(text: str) -> list[str]:
    """Split into several chunks (words with their spaces) so the stream really streams."""
    out: list[str] = []
    for word in text.split(" "):
        out.append(word if not out else " " + word)
    return out


def chunk(model: str, content: str | None, finish: str | None) -> bytes:
    delta = {} if content is None else {"content": content}
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + orjson.dumps(body) + b"\n\n"


async def models(_: Request) -> Response:
    return JSONResponse({"object": "list", "data": [{"id": m, "object": "model"} for m in MODELS]})


async def completions(request: Request) -> Response:
    body = orjson.loads(await request.body())
    model = str(body.get("model"))
    messages = body.get("messages") or []
    last = str(messages[-1].get("content", "")) if messages else ""
    if "fail please" in last:
        return JSONResponse({"error": {"message": "overloaded", "type": "server_error"}}, status_code=503)
    text = reply_for(messages)
    usage = {
        "prompt_tokens": 5,
        "completion_tokens": len(pieces(text)),
        "total_tokens": 5 + len(pieces(text)),
    }
    if not body.get("stream"):
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
                "usage": usage,
            }
        )

    async def events() -> AsyncIterator[bytes]:
        if "hold please" in last:
            yield chunk(model, "Partial answer", None)
            # Stay open until the client (the gateway) hangs up; bounded so a bug cannot hang a run.
            for _ in range(600):
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.1)
            return
        for piece in pieces(text):
            yield chunk(model, piece, None)
        yield chunk(model, None, "stop")
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


app = Starlette(
    routes=[
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/chat/completions", completions, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
