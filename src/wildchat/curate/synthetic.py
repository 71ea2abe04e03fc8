"""A seeded generator of realistic synthetic call logs in ``records.CALL_SCHEMA``, at any size.

It writes what the gateway would have logged for N conversations: multi-turn chains that repeat the
full history on every call, regenerations and edits (branches), failed calls followed by retries,
streams cut short, a few client-invented histories and system prompts; text in many languages (real
sentences per language, varied by topic and number), planted PII and secrets, some toxic text, many
consents, hashed IPs, countries and user agents, and increasing timestamps. The same seed gives the
same file. Rows are written in batches, so memory does not grow with N.
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from wildchat.curate.synthetic_text import (
    COMMON_PROMPTS,
    COUNTRIES,
    FIRST_NAMES,
    LANGUAGES,
    LAST_NAMES,
    MODELS,
    SYSTEM_PROMPTS,
    TOXIC,
    USER_AGENTS,
)
from wildchat.records import CALL_SCHEMA, EXPORT_SCHEMA_VERSION, CallStatus


@dataclass(frozen=True)
class SyntheticConfig:
    conversations: int
    seed: int = 0
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    mean_turns: float = 2.5
    regenerate: float = 0.08
    edit: float = 0.05
    error: float = 0.03
    partial: float = 0.02
    invented: float = 0.01
    system: float = 0.08
    pii: float = 0.15
    toxic: float = 0.05
    common_prompt: float = 0.05
    conversations_per_user: float = 4.0


@dataclass
class _User:
    consent_id: str
    hashed_ip: str
    country: str
    state: str
    user_agent: str
    language: int


class _Generator:
    def __init__(self, config: SyntheticConfig) -> None:
        self.cfg = config
        self.rng = random.Random(config.seed)
        self.weights = [w for _, w, *_ in LANGUAGES]
        self.users = [
            self._user(i) for i in range(max(1, round(config.conversations / config.conversations_per_user)))
        ]
        self.clock = config.start
        self.calls = 0
        self.vocab = [_vocabulary(name, sentences, topics) for name, _, _, sentences, topics in LANGUAGES]

    def _user(self, i: int) -> _User:
        rng = self.rng
        country, states = rng.choice(COUNTRIES)
        digest = hashlib.sha256(f"{self.cfg.seed}-{i}".encode()).hexdigest()
        return _User(
            consent_id=f"consent-{digest[:24]}",
            hashed_ip=hashlib.sha256(f"ip-{self.cfg.seed}-{i}".encode()).hexdigest(),
            country=country,
            state=rng.choice(states),
            user_agent=rng.choice(USER_AGENTS),
            language=rng.choices(range(len(LANGUAGES)), self.weights)[0],
        )

    # text ---------------------------------------------------------------------------------------
    def sentence(self, lang: int) -> str:
        _, _, _, sentences, topics = LANGUAGES[lang]
        return self.rng.choice(sentences).format(t=self.rng.choice(topics), n=self.rng.randint(2, 12))

    def details(self, lang: int) -> str:
        """A run of the language's own words, so that prompts differ as real ones do."""
        vocab = self.vocab[lang]
        words = self.rng.choices(vocab, k=self.rng.randint(6, 18))
        return ("" if LANGUAGES[lang][0] in _NO_SPACES else " ").join(words) + "."

    def prompt(self, lang: int) -> str:
        rng = self.rng
        parts = [self.sentence(lang) for _ in range(rng.randint(1, 2))] + [self.details(lang)]
        if rng.random() < self.cfg.pii:
            parts.append(self.pii())
        if rng.random() < self.cfg.toxic:
            parts.append(rng.choice(TOXIC))
        return " ".join(parts)

    def reply(self, lang: int) -> str:
        return " ".join(self.sentence(lang) for _ in range(self.rng.randint(2, 6)))

    def pii(self) -> str:
        rng = self.rng
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        kind = rng.randrange(7)
        if kind == 0:
            return (
                f"My email is {name.split()[0].lower()}.{rng.randint(1, 999)}@example.com, write back please."
            )
        if kind == 1:
            return f"Call me at +1 415-555-{rng.randint(1000, 9999)}, my name is {name}."
        if kind == 2:
            return f"My card number is {luhn_number(rng)} and it expires 09/28."
        if kind == 3:
            key = "".join(rng.choices(string.ascii_letters + string.digits, k=48))
            return f"Why does my code fail? openai.api_key = 'sk-proj-{key}'"
        if kind == 4:
            token = "".join(rng.choices(string.ascii_letters + string.digits, k=36))
            return f"git clone https://ghp_{token}@github.com/acme/app.git does not work"
        if kind == 5:
            key = "".join(rng.choices(string.ascii_uppercase + string.digits, k=16))
            return f"aws_access_key_id = AKIA{key}"
        return f"My server is at {rng.randint(11, 200)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"

    # calls --------------------------------------------------------------------------------------
    def row(
        self,
        user: _User,
        model: str,
        messages: list[tuple[str, str]],
        reply: str | None,
        status: str = CallStatus.OK,
    ) -> dict[str, Any]:
        rng = self.rng
        self.clock += timedelta(seconds=rng.expovariate(1 / 30))
        received = self.clock
        completed = received + timedelta(seconds=rng.uniform(0.5, 20))
        self.calls += 1
        text = reply or ""
        return {
            "call_id": f"call-{self.cfg.seed}-{self.calls:010d}",
            "consent_id": user.consent_id,
            "received_at": received,
            "completed_at": completed,
            "model": model,
            "messages": [{"role": r, "content": c, "name": None} for r, c in messages],
            "stream": True,
            "status": status,
            "params": orjson.dumps({"temperature": 0.7}).decode(),
            "time_to_first_token_ms": rng.uniform(80, 900),
            "response_text": reply,
            "finish_reason": "stop" if status == CallStatus.OK else None,
            "prompt_tokens": sum(len(c) for _, c in messages) // 4,
            "completion_tokens": len(text) // 4,
            "total_tokens": (sum(len(c) for _, c in messages) + len(text)) // 4,
            "upstream_id": f"chatcmpl-{self.calls}",
            "system_fingerprint": None,
            "error": "upstream returned 502" if status == CallStatus.UPSTREAM_ERROR else None,
            "headers": [("user-agent", user.user_agent), ("accept-language", LANGUAGES[user.language][2])],
            "hashed_ip": user.hashed_ip,
            "country": user.country,
            "state": user.state,
        }

    def conversation(self) -> Iterator[dict[str, Any]]:
        rng, cfg = self.rng, self.cfg
        user = (
            self.users[min(int(rng.paretovariate(1.2)) - 1, len(self.users) - 1)]
            if rng.random() < 0.5
            else rng.choice(self.users)
        )
        lang = user.language if rng.random() < 0.8 else rng.choices(range(len(LANGUAGES)), self.weights)[0]
        model = rng.choice(MODELS)
        history: list[tuple[str, str]] = []
        if rng.random() < cfg.system:
            history.append(("system", rng.choice(SYSTEM_PROMPTS)))
        if rng.random() < cfg.invented:
            history += [("user", self.prompt(lang)), ("assistant", self.reply(lang))]
        turns = 1 + min(int(rng.expovariate(1 / max(cfg.mean_turns - 1, 0.01))), 15)
        for turn in range(turns):
            prompt = (
                rng.choice(COMMON_PROMPTS)
                if turn == 0 and rng.random() < cfg.common_prompt
                else self.prompt(lang)
            )
            messages = [*history, ("user", prompt)]
            if rng.random() < cfg.error:
                yield self.row(
                    user,
                    model,
                    messages,
                    None,
                    rng.choice([CallStatus.UPSTREAM_ERROR, CallStatus.UPSTREAM_TIMEOUT]),
                )
            reply = self.reply(lang)
            if rng.random() < cfg.partial:
                reply = reply[: max(1, len(reply) // 2)]
                yield self.row(user, model, messages, reply, CallStatus.CLIENT_DISCONNECTED)
            else:
                yield self.row(user, model, messages, reply)
            if rng.random() < cfg.regenerate:
                reply = self.reply(lang)  # the user keeps the regenerated answer
                yield self.row(user, model, messages, reply)
            if rng.random() < cfg.edit:
                prompt = prompt + " " + self.sentence(lang)  # the user edits and resends
                messages = [*history, ("user", prompt)]
                reply = self.reply(lang)
                yield self.row(user, model, messages, reply)
            history = [*messages, ("assistant", reply)]


_NO_SPACES = frozenset({"Chinese", "Japanese"})


def _vocabulary(name: str, sentences: list[str], topics: list[str]) -> list[str]:
    """The words of a language's sentences and topics (characters, for scripts written without spaces)."""
    text = " ".join(s.replace("{t}", " ").replace("{n}", " ") for s in sentences) + " " + " ".join(topics)
    if name in _NO_SPACES:
        return sorted({c for c in text if c.isalpha()})
    return sorted({w.strip(".,?!¿¡:;'\"()") for w in text.split()} - {""})


def luhn_number(rng: random.Random) -> str:
    """A 16-digit card-like number that passes the Luhn check."""
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        total += sum(divmod(d * 2, 10)) if i % 2 == 0 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return f"{s[:4]} {s[4:8]} {s[8:12]} {s[12:]}"


def iter_synthetic_rows(config: SyntheticConfig) -> Iterator[dict[str, Any]]:
    gen = _Generator(config)
    for _ in range(config.conversations):
        yield from gen.conversation()


def write_synthetic_logs(config: SyntheticConfig, out: Path, batch_rows: int = 5000) -> int:
    """Write the logs to a Parquet export (atomically); return the number of calls written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    schema = CALL_SCHEMA.with_metadata(
        {
            b"wildchat.export_schema_version": str(EXPORT_SCHEMA_VERSION).encode(),
            b"wildchat.synthetic_seed": str(config.seed).encode(),
        }
    )
    written = 0
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        rows: list[dict[str, Any]] = []
        for row in iter_synthetic_rows(config):
            rows.append(row)
            if len(rows) >= batch_rows:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                written += len(rows)
                rows = []
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            written += len(rows)
    tmp.replace(out)
    return written
