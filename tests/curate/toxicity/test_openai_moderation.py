"""The OpenAI moderation path against a real local HTTP server process (``moderation_server.py``).

OpenAI's hosted moderation API cannot be reached from here; the server is the tests' own stand-in
that speaks the same API (list input, OpenAI-shaped results and errors) — the one mock the house
rules allow. Everything else is real: httpx over TCP, threads, retries, splitting.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from wildchat.curate.toxicity import (
    ModerationUnavailable,
    OpenAIModeration,
    ToxicityConfig,
    load_classifiers,
    to_wildchat_shape,
)
from wildchat.records import MODERATION_CATEGORIES

SERVER = Path(__file__).with_name("moderation_server.py")
KEY = "test-moderation-key"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, str(SERVER)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def server(server_url: str) -> str:
    httpx.post(f"{server_url}/reset").raise_for_status()
    return server_url


def _requests(server: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = httpx.get(f"{server}/stats").json()["requests"]
    return result


def _client(server: str, **kw: Any) -> OpenAIModeration:
    kw.setdefault("backoff_s", 0.01)
    return OpenAIModeration(KEY, base_url=f"{server}/v1", **kw)


def test_batches_and_returns_wildchat_shape(server: str) -> None:
    texts = [f"harmless question number {i}" for i in range(70)]
    texts[5] = "I will kill the dragon in my story"
    client = _client(server, batch_size=32, concurrency=2)
    results = client.classify(texts)
    assert len(results) == 70 and all(r is not None for r in results)
    sizes = sorted(r["size"] for r in _requests(server))
    assert sizes == [6, 32, 32]
    assert all(
        r["authorization"] == f"Bearer {KEY}" and r["model"] == "omni-moderation-latest"
        for r in _requests(server)
    )
    flagged = results[5]
    assert flagged is not None and flagged["flagged"] is True
    assert list(flagged["categories"]) == list(MODERATION_CATEGORIES)
    assert list(flagged["category_scores"]) == list(MODERATION_CATEGORIES)
    # The API sent slash names only: the underscore aliases are filled from them; omni's extra
    # "illicit" categories are not part of WildChat's schema.
    assert flagged["categories"]["violence"] is True
    assert flagged["category_scores"]["violence_graphic"] == flagged["category_scores"]["violence/graphic"]
    assert "illicit" not in flagged["categories"]
    assert results[0] is not None and results[0]["flagged"] is False
    assert client.stats["texts"] == 70 and client.stats["failed"] == 0


def test_rate_limit_is_retried_then_succeeds(server: str) -> None:
    client = _client(server, batch_size=4)
    results = client.classify(["RATELIMIT:a hello", "I hate you so much", "fine", "ok"])
    assert [r["status"] for r in _requests(server)] == [429, 200]
    assert client.stats["retries"] == 1
    assert results[1] is not None and results[1]["categories"]["harassment"] is True


def test_poison_item_is_isolated_by_splitting(server: str) -> None:
    texts = [f"text {i}" for i in range(8)]
    texts[6] = "POISON text"
    client = _client(server, batch_size=8)
    results = client.classify(texts)
    assert results[6] is None
    assert all(r is not None for i, r in enumerate(results) if i != 6)
    # 8 -> (4 ok) + (4 bad -> (2 ok) + (2 bad -> 1 ok + 1 bad)).
    assert [(r["size"], r["status"]) for r in _requests(server)] == [
        (8, 400),
        (4, 200),
        (4, 400),
        (2, 200),
        (2, 400),
        (1, 400),
        (1, 200),
    ]
    assert client.stats["failed"] == 1 and client.stats["splits"] == 3


def test_underscore_answers_fill_the_slash_names() -> None:
    shaped = to_wildchat_shape(
        {
            "flagged": True,
            "categories": {"self_harm_intent": True},
            "category_scores": {"self_harm_intent": 0.7},
        }
    )
    assert (
        shaped["categories"]["self-harm/intent"] is True and shaped["categories"]["self_harm_intent"] is True
    )
    assert shaped["category_scores"]["self-harm/intent"] == 0.7
    assert shaped["categories"]["hate"] is False and shaped["category_scores"]["sexual/minors"] == 0.0


def test_underscore_answers_over_http(server: str) -> None:
    (result,) = _client(server).classify(["UNDERSCORE please kill this process"])
    assert result is not None and result["categories"]["violence"] is True
    assert (
        result["category_scores"]["harassment/threatening"]
        == result["category_scores"]["harassment_threatening"]
    )


def test_wrong_key_stops_at_once_without_leaking_it(server: str) -> None:
    client = OpenAIModeration("sk-wrong-secret", base_url=f"{server}/v1", backoff_s=0.01)
    with pytest.raises(ModerationUnavailable, match="401") as info:
        client.classify(["hello"])
    assert "sk-wrong-secret" not in str(info.value)
    assert len(_requests(server)) == 1


def test_exhausted_retries_raise(server: str) -> None:
    client = _client(server, max_retries=2)
    with pytest.raises(ModerationUnavailable, match="after 2 retries"):
        client.classify(["ALWAYS503"])
    assert [r["status"] for r in _requests(server)] == [503, 503, 503]


def test_suite_uses_moderation_for_the_toxic_rule(server: str) -> None:
    config = ToxicityConfig(openai_api_key=KEY, openai_base_url=f"{server}/v1", openai_backoff_s=0.01)
    assert KEY not in repr(config)
    suite = load_classifiers(config)
    try:
        # The offline classifier would call the first text profane; moderation (which ran) says no.
        texts = [
            "damn, this fucking printer jammed again",
            "kill the zombie with a shovel",
            "POISON you idiot bitch",
        ]
        results = suite.classify(texts)
    finally:
        suite.close()
    assert [r.toxic for r in results] == [False, True, True]
    assert results[0].offline is not None and results[0].offline > 0.5
    # The refused item has no moderation result: the offline stand-in decided it.
    assert results[2].openai_moderation is None
    status = suite.status()
    assert status["openai_moderation"].startswith("ran: model omni-moderation-latest")
    assert status["detoxify_moderation"].startswith("off:")
    assert status["toxic_rule"].startswith("OpenAI moderation flagged (WildChat's rule)")
    assert suite.counts()["decided_by_offline"] == 1
