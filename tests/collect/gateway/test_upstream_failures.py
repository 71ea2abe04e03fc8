"""Upstream errors, timeouts and cut streams become OpenAI-shaped errors and are still recorded."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from collect.support.processes import Gateway, chat_body
from wildchat.records import CallStatus, ChatCall


def only_call_with(gateway: Gateway, content: str) -> ChatCall:
    matches = [c for c in gateway.calls() if c.messages[-1].content == content]
    assert len(matches) == 1, matches
    return matches[0]


@pytest.mark.parametrize(
    ("model", "error_type", "status", "call_status"),
    [
        ("fake-error", openai.InternalServerError, 502, CallStatus.UPSTREAM_ERROR),
        ("fake-400", openai.BadRequestError, 400, CallStatus.UPSTREAM_ERROR),
        ("fake-slow", openai.InternalServerError, 504, CallStatus.UPSTREAM_TIMEOUT),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_upstream_failure_is_an_openai_error_and_a_record(
    gateway: Gateway, model: str, error_type: type[Exception], status: int, call_status: str, stream: bool
) -> None:
    client = openai.OpenAI(base_url=gateway.api, api_key=gateway.consent(), max_retries=0)
    content = f"please fail {model} {stream}"
    with pytest.raises(error_type) as caught:
        result = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": content}], stream=stream
        )
        list(result) if stream else None  # type: ignore[call-overload]
    assert caught.value.status_code == status  # type: ignore[attr-defined]
    call = only_call_with(gateway, content)
    assert call.status == call_status and call.model == model and call.stream is stream
    assert call.error and call.response_text is None and call.finish_reason is None


def test_upstream_cutting_a_stream_is_recorded_with_what_was_sent(gateway: Gateway) -> None:
    client = openai.OpenAI(base_url=gateway.api, api_key=gateway.consent(), max_retries=0)
    content = "abcdefghijklmnopqrstuvwxyz"
    received = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in client.chat.completions.create(
            model="fake-cut",
            messages=[{"role": "user", "content": content}],
            stream=True,
            extra_body={"chunks": 6},
        ):
            received.append(chunk.choices[0].delta.content or "")
    assert "cut the stream" in caught.value.message
    call = only_call_with(gateway, content)
    assert call.status == CallStatus.UPSTREAM_DISCONNECTED
    assert call.response_text == "".join(received) and len(received) == 3
    assert call.finish_reason is None


def test_upstream_going_silent_mid_stream_times_out(gateway: Gateway) -> None:
    client = openai.OpenAI(base_url=gateway.api, api_key=gateway.consent(), max_retries=0)
    content = "stall in the middle please"
    with pytest.raises(openai.APIError):
        list(
            client.chat.completions.create(
                model="fake-stall",
                messages=[{"role": "user", "content": content}],
                stream=True,
                extra_body={"chunks": 4},
            )
        )
    call = only_call_with(gateway, content)
    assert call.status == CallStatus.UPSTREAM_TIMEOUT and call.response_text


def test_client_leaving_mid_stream_is_recorded(gateway: Gateway) -> None:
    content = "I will hang up after the first chunk"
    headers = {"Authorization": f"Bearer {gateway.consent()}"}
    body = chat_body(content, model="fake-stall", stream=True, chunks=4)
    with httpx.stream("POST", gateway.api + "/chat/completions", json=body, headers=headers) as response:
        assert response.status_code == 200
        first = next(response.iter_lines())
        assert first.startswith("data: ")
    # the record appears once the gateway notices the hang-up: poll for it
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        calls = [c for c in gateway.calls() if c.messages[-1].content == content]
        if calls:
            break
        time.sleep(0.05)
    assert len(calls) == 1
    assert calls[0].status == CallStatus.CLIENT_DISCONNECTED
    assert calls[0].response_text and content.startswith(
        calls[0].response_text.removeprefix("You said: ")[:5]
    )
