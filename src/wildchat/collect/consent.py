"""Consent keys: issued when someone agrees to the terms, checked on every call, revoked on withdrawal.

A key is 256 random bits; the store only ever sees its SHA-256 (a key that random needs no salt or
slow hash: nobody can guess a preimage). Lookups are cached in memory so the hot path does no
database read: a withdrawal here evicts at once; a withdrawal on another replica is seen after at
most ``ttl_s``.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from datetime import UTC, datetime

from wildchat.collect.ids import time_ordered_id
from wildchat.collect.store.base import Consent, LogStore

KEY_PREFIX = "wc-"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def bearer_key(authorization: str | None) -> str | None:
    """The key in ``Authorization: Bearer <key>``, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class ConsentBook:
    """Issues, checks and revokes consents; every store call runs in a worker thread."""

    def __init__(self, store: LogStore, ttl_s: float, max_cached: int = 200_000) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._max_cached = max_cached
        self._cache: dict[str, tuple[Consent, float]] = {}  # key_hash -> (consent, expires)

    async def issue(self, terms_version: str) -> tuple[str, Consent]:
        key = new_key()
        consent = Consent(
            consent_id=time_ordered_id(), terms_version=terms_version, created_at=datetime.now(UTC)
        )
        key_hash = hash_key(key)
        await asyncio.to_thread(self._store.add_consent, consent, key_hash)
        self._remember(key_hash, consent)
        return key, consent

    async def find(self, key: str) -> Consent | None:
        key_hash = hash_key(key)
        hit = self._cache.get(key_hash)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            return hit[0]
        consent = await asyncio.to_thread(self._store.find_consent, key_hash)
        if consent is None:
            self._cache.pop(key_hash, None)
        else:
            self._remember(key_hash, consent)
        return consent

    async def withdraw(self, key: str) -> tuple[Consent, int] | None:
        """Revoke the consent and delete its calls; None if the key is unknown or already revoked."""
        key_hash = hash_key(key)
        self._cache.pop(key_hash, None)
        consent = await asyncio.to_thread(self._store.find_consent, key_hash)
        if consent is None:
            return None
        deleted = await asyncio.to_thread(self._store.withdraw_consent, consent.consent_id, datetime.now(UTC))
        self._cache.pop(key_hash, None)
        return consent, deleted

    def _remember(self, key_hash: str, consent: Consent) -> None:
        if len(self._cache) >= self._max_cached:
            self._cache.clear()  # rare; the next calls re-read from the store
        self._cache[key_hash] = (consent, time.monotonic() + self._ttl_s)
