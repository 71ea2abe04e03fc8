"""A crowd of simulated visitors replaying real WildChat prompts through a running service.

Each visitor does what a person on the public page does: reads the terms, consents, and chats with
the official ``openai`` SDK. Visitors differ the way real traffic does: a distinct public IP (sent as
``X-Forwarded-For``, which the service honours because the demo runs it with 127.0.0.1 as a trusted
proxy), a browser user-agent and an accept-language. Some conversations go on for several turns
(follow-ups are later prompts of the sample), some regenerate a reply, and one visitor withdraws.
"""

from __future__ import annotations

import ipaddress
import json
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
)

ACCEPT_LANGUAGE = {
    "English": ("en-US,en;q=0.9", "en-GB,en;q=0.8", "en-IN,en;q=0.9,hi;q=0.7"),
    "Chinese": ("zh-CN,zh;q=0.9,en;q=0.6",),
    "Russian": ("ru-RU,ru;q=0.9,en;q=0.5",),
    "Tagalog": ("fil-PH,fil;q=0.9,en;q=0.8",),
}

#: Prompts are cut to this many characters: the embedded 135M model has a small context window and
#: the demo must stay quick on two cores.
MAX_PROMPT_CHARS = 400


@dataclass
class CrowdResult:
    calls: int = 0
    failed_calls: int = 0
    visitors: int = 0
    multi_turn: int = 0
    regenerations: int = 0
    withdrawn_records: int = 0
    errors: list[str] = field(default_factory=list)


def load_prompts(sample: Path) -> list[tuple[str, str]]:
    """(prompt, language) pairs from the shared WildChat sample, prompts cut to MAX_PROMPT_CHARS."""
    prompts = []
    with open(sample, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text = (row.get("prompt") or "").strip()
            if text:
                prompts.append((text[:MAX_PROMPT_CHARS], row.get("language") or "English"))
    return prompts


def random_public_ip(rng: random.Random) -> str:
    """A random globally routable IPv4 address, so that the geo lookup finds many countries."""
    while True:
        candidate = ipaddress.IPv4Address(rng.randrange(1 << 24, 224 << 24))
        if candidate.is_global:
            return str(candidate)


@dataclass
class VisitorPlan:
    ip: str
    user_agent: str
    accept_language: str
    turns: list[str]
    regenerate_at: int | None  # index of the turn whose reply is regenerated once
    stream: bool
    withdraw: bool = False


def plan_crowd(prompts: list[tuple[str, str]], calls: int, seed: int) -> list[VisitorPlan]:
    """Deterministic visitor plans totalling about ``calls`` calls."""
    rng = random.Random(seed)
    plans: list[VisitorPlan] = []
    cursor = 0
    planned = 0
    while planned < calls:
        n_turns = rng.choices((1, 2, 3, 4), weights=(5, 3, 2, 1))[0]
        turns = []
        language = prompts[cursor % len(prompts)][1]
        for _ in range(n_turns):
            turns.append(prompts[cursor % len(prompts)][0])
            cursor += 1
        regenerate_at = rng.randrange(n_turns) if rng.random() < 0.15 else None
        plans.append(
            VisitorPlan(
                ip=random_public_ip(rng),
                user_agent=rng.choice(USER_AGENTS),
                accept_language=rng.choice(ACCEPT_LANGUAGE.get(language, ACCEPT_LANGUAGE["English"])),
                turns=turns,
                regenerate_at=regenerate_at,
                stream=rng.random() < 0.5,
            )
        )
        planned += n_turns + (regenerate_at is not None)
    if len(plans) > 2:
        plans[1].withdraw = True  # one visitor changes their mind and withdraws
    return plans


def run_crowd(
    base_url: str,
    plans: list[VisitorPlan],
    *,
    model: str,
    max_tokens: int,
    concurrency: int,
    on_call: Callable[[], None],
) -> CrowdResult:
    """Play every visitor against the service at ``base_url`` (…/v1), ``concurrency`` at a time."""
    result = CrowdResult(visitors=len(plans))
    lock = threading.Lock()

    def play(plan: VisitorPlan) -> None:
        try:
            outcome = _play_visitor(base_url, plan, model=model, max_tokens=max_tokens, on_call=on_call)
        except Exception as exc:  # one visitor's failure must not stop the crowd; it is reported
            with lock:
                result.errors.append(f"{type(exc).__name__}: {exc}")
            return
        with lock:
            result.calls += outcome["calls"]
            result.failed_calls += outcome["failed"]
            result.multi_turn += len(plan.turns) > 1
            result.regenerations += plan.regenerate_at is not None
            result.withdrawn_records += outcome["withdrawn"]

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(play, plans))
    return result


def _play_visitor(
    base_url: str, plan: VisitorPlan, *, model: str, max_tokens: int, on_call: Callable[[], None]
) -> dict[str, int]:
    from openai import OpenAI

    headers = {
        "X-Forwarded-For": plan.ip,
        "User-Agent": plan.user_agent,
        "Accept-Language": plan.accept_language,
    }
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        terms = http.get("/consent").raise_for_status().json()
        key = (
            http.post("/consent", json={"agree": True, "terms_version": terms["terms_version"]})
            .raise_for_status()
            .json()["key"]
        )
    client = OpenAI(base_url=base_url, api_key=key, default_headers=headers, max_retries=2, timeout=120)
    messages: list[dict[str, Any]] = []
    calls = failed = 0
    for index, prompt in enumerate(plan.turns):
        messages.append({"role": "user", "content": prompt})
        attempts = 2 if plan.regenerate_at == index else 1
        reply = ""
        for _ in range(attempts):  # a regeneration repeats the same history
            try:
                reply = _complete(client, model, messages, max_tokens, plan.stream)
            except Exception:
                failed += 1
            calls += 1
            on_call()
        messages.append({"role": "assistant", "content": reply})
    withdrawn = 0
    if plan.withdraw:
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
            response = http.delete("/consent", headers={"Authorization": f"Bearer {key}"}).raise_for_status()
            withdrawn = int(response.json().get("deleted", 0))
    return {"calls": calls, "failed": failed, "withdrawn": withdrawn}


def _complete(client: Any, model: str, messages: list[dict[str, Any]], max_tokens: int, stream: bool) -> str:
    if not stream:
        completion = client.chat.completions.create(
            model=model, messages=messages, max_tokens=max_tokens, temperature=0.7
        )
        return str(completion.choices[0].message.content or "")
    parts = []
    for chunk in client.chat.completions.create(
        model=model, messages=messages, max_tokens=max_tokens, temperature=0.7, stream=True
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
    return "".join(parts)
