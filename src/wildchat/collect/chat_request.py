"""Parsing and checking a ``POST /v1/chat/completions`` body before anything goes upstream.

Bad input gets a 400 naming the field (``param``), an unknown model a 404, as OpenAI does.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import orjson

from wildchat.collect.errors import ApiError, bad_request
from wildchat.records import Message

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_NUMBERS = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}
_POSITIVE_INTS = ("max_tokens", "max_completion_tokens", "n")


@dataclass(slots=True)
class ChatRequest:
    model: str
    messages: list[Message]
    stream: bool
    params: dict[str, Any]  # every field but model/messages/stream, as sent upstream
    upstream_body: bytes
    client_wants_usage: bool  # the client asked for the usage chunk of a stream itself


def flatten_content(content: Any, where: str) -> str:
    """Message content as text: a string, null, or a list of parts whose text parts are joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for i, part in enumerate(content):
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                raise bad_request(f"{where}[{i}] must be an object with a 'type'", f"{where}[{i}]")
            if part["type"] == "text":
                if not isinstance(part.get("text"), str):
                    raise bad_request(f"{where}[{i}].text must be a string", f"{where}[{i}].text")
                texts.append(part["text"])
        return "\n".join(texts)
    raise bad_request(f"{where} must be a string, a list of content parts, or null", where)


def _messages(raw: Any) -> list[Message]:
    if not isinstance(raw, list) or not raw:
        raise bad_request("'messages' must be a non-empty array of messages", "messages")
    messages = []
    for i, item in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(item, dict):
            raise bad_request(f"{where} must be an object", where)
        role = item.get("role")
        if role not in ROLES:
            raise bad_request(f"{where}.role must be one of {sorted(ROLES)}", f"{where}.role")
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise bad_request(f"{where}.name must be a string", f"{where}.name")
        messages.append(
            Message(role=role, content=flatten_content(item.get("content"), f"{where}.content"), name=name)
        )
    return messages


def _check_params(params: dict[str, Any]) -> None:
    for name, (low, high) in _NUMBERS.items():
        value = params.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise bad_request(f"'{name}' must be a number between {low} and {high}", name)
    for name in _POSITIVE_INTS:
        value = params.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise bad_request(f"'{name}' must be a positive integer", name)
    stop = params.get("stop")
    if (
        stop is not None
        and not isinstance(stop, str)
        and not (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise bad_request("'stop' must be a string or an array of strings", "stop")


def parse_chat_request(body: bytes, models: Collection[str], max_tokens_cap: int | None) -> ChatRequest:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"The request body is not valid JSON ({exc.msg} at character {exc.pos}).") from None
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object.")
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("'model' is required and must be a string", "model")
    if model not in models:
        raise ApiError(
            404,
            f"The model `{model}` does not exist or you do not have access to it. "
            f"Available: {', '.join(sorted(models))}.",
            "invalid_request_error",
            "model_not_found",
            "model",
        )
    messages = _messages(data.get("messages"))
    stream = data.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise bad_request("'stream' must be a boolean", "stream")
    params = {k: v for k, v in data.items() if k not in ("model", "messages", "stream")}
    _check_params(params)
    if max_tokens_cap is not None:
        capped = False
        for name in ("max_tokens", "max_completion_tokens"):
            if name in params and params[name] is not None:
                params[name] = min(params[name], max_tokens_cap)
                data[name] = params[name]
                capped = True
        if not capped:
            params["max_tokens"] = data["max_tokens"] = max_tokens_cap
    options = params.get("stream_options")
    client_wants_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    if stream and not client_wants_usage:
        # ask for the usage chunk for the record; it is not forwarded to a client that did not ask
        data["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
    return ChatRequest(
        model=model,
        messages=messages,
        stream=stream,
        params=params,
        upstream_body=orjson.dumps(data),
        client_wants_usage=client_wants_usage,
    )
