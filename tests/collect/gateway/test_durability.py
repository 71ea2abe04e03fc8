"""Durability: every response a client saw completed is in the store, even after ``kill -9``."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import openai
import pytest

from collect.gateway.conftest import NO_LIMITS
from collect.support.processes import FakeUpstream, Gateway, start_gateway


def hammer(gw: Gateway, completed: list[str], stop: threading.Event, stream: bool, worker: int) -> None:
    client = openai.OpenAI(base_url=gw.api, api_key=gw.consent(), max_retries=0, timeout=10)
    i = 0
    while not stop.is_set():
        messages = [{"role": "user", "content": f"worker {worker} call {i}"}]
        i += 1
        try:
            if stream:
                chunks = list(client.chat.completions.create(model="fake", messages=messages, stream=True))  # type: ignore[arg-type]
                completed.append(chunks[0].id)  # the SDK saw data: [DONE]
            else:
                completed.append(client.chat.completions.create(model="fake", messages=messages).id)  # type: ignore[arg-type]
        except (openai.APIError, openai.APIConnectionError):
            return  # the server is gone


def run_load_then(gw: Gateway, action: str, min_completed: int = 300) -> list[str]:
    completed: list[str] = []
    stop = threading.Event()
    workers = [
        threading.Thread(target=hammer, args=(gw, completed, stop, w % 2 == 1, w), daemon=True)
        for w in range(16)
    ]
    for w in workers:
        w.start()
    while len(completed) < min_completed and any(w.is_alive() for w in workers):
        threading.Event().wait(0.02)
    if action == "kill":
        gw.process.send_signal(signal.SIGKILL)
        gw.process.wait()
    else:
        gw.process.send_signal(signal.SIGTERM)
    stop.set()
    for w in workers:
        w.join(timeout=30)
    if action != "kill":
        assert gw.process.wait(timeout=30) == 0  # a clean shutdown
    return list(completed)


@pytest.mark.slow
def test_kill_9_under_load_loses_no_completed_response(tmp_path: Path, upstream: FakeUpstream) -> None:
    data_dir = tmp_path / "data"
    gw = start_gateway(data_dir, upstream.url, *NO_LIMITS)
    completed = run_load_then(gw, "kill")
    assert len(completed) >= 300
    restarted = start_gateway(data_dir, upstream.url, *NO_LIMITS, port=gw.port)
    try:
        stored = {c.upstream_id for c in restarted.calls()}
        missing = [i for i in completed if i not in stored]
        assert not missing, f"{len(missing)} of {len(completed)} completed responses are not in the store"
        # and the service works on as before, with the same salt
        client = openai.OpenAI(base_url=restarted.api, api_key=restarted.consent(), max_retries=0)
        client.chat.completions.create(
            model="fake", messages=[{"role": "user", "content": "after the crash"}]
        )
    finally:
        restarted.stop()


def test_sigterm_finishes_requests_in_flight_and_flushes(tmp_path: Path, upstream: FakeUpstream) -> None:
    gw = start_gateway(tmp_path / "data", upstream.url, *NO_LIMITS)
    completed = run_load_then(gw, "term", min_completed=100)
    stored = {c.upstream_id for c in gw.calls()}
    assert set(completed) <= stored
    assert "stopped;" in gw.log.read_text()


def test_refuses_to_start_when_the_salt_is_gone_but_calls_exist(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    data_dir = tmp_path / "data"
    gw = start_gateway(data_dir, upstream.url, *NO_LIMITS)
    client = openai.OpenAI(base_url=gw.api, api_key=gw.consent(), max_retries=0)
    client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "one call"}])
    gw.stop()
    (data_dir / "salt").unlink()
    with pytest.raises(RuntimeError) as caught:
        start_gateway(data_dir, upstream.url, *NO_LIMITS, wait_s=30)
    message = str(caught.value)
    assert "salt" in message and "Traceback" not in message


def test_refuses_to_start_with_another_salt_than_the_calls_were_hashed_with(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    data_dir = tmp_path / "data"
    gw = start_gateway(data_dir, upstream.url, *NO_LIMITS)
    client = openai.OpenAI(base_url=gw.api, api_key=gw.consent(), max_retries=0)
    client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "one call"}])
    gw.stop()
    with pytest.raises(RuntimeError) as caught:
        start_gateway(
            data_dir, upstream.url, *NO_LIMITS, env={"WILDCHAT_SALT": "a-different-salt"}, wait_s=30
        )
    message = str(caught.value)
    assert "fingerprint" in message and "Traceback" not in message
    assert "a-different-salt" not in message  # the salt itself is a secret
