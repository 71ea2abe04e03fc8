"""The log store's contract: what the gateway, the CLI and the export need from SQLite or PostgreSQL.

Both backends implement ``LogStore``. Writes of calls go through ``append_calls`` in batches (group
commit): the gateway awaits the batch that holds its record before it answers, so every answered
request is durable, and many requests share one fsync.

Secrets never reach a store: consents are looked up by ``key_hash`` (a hash of the consent key),
calls carry ``hashed_ip`` and never the raw IP.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from wildchat.records import ChatCall, Tombstone


class StoreError(Exception):
    """A store problem with a message fit for an operator (bad URL, missing file, unreachable server)."""


@dataclass(frozen=True, slots=True)
class Consent:
    consent_id: str
    terms_version: str
    created_at: datetime


class LogStore(Protocol):
    """A place to keep consents, calls and tombstones. Implementations are thread-safe."""

    url: str  # safe to print: never holds a password

    def migrate(self) -> None:
        """Apply the numbered, append-only migrations that have not run yet."""

    def close(self) -> None: ...

    # consents ------------------------------------------------------------------------------------
    def add_consent(self, consent: Consent, key_hash: str) -> None: ...

    def find_consent(self, key_hash: str) -> Consent | None:
        """The live (not withdrawn) consent whose key hashes to ``key_hash``."""

    def withdraw_consent(self, consent_id: str, at: datetime) -> int:
        """Delete every call of the consent, revoke it, leave a tombstone; return calls deleted."""

    # calls ---------------------------------------------------------------------------------------
    def append_calls(self, calls: Sequence[ChatCall]) -> int:
        """Insert in one transaction and commit durably (fsync'd) before returning; return how many were stored.

        Calls of a consent that is already withdrawn are dropped (a request that was in flight while
        its user withdrew must not outlive the withdrawal); a ``call_id`` stored before is skipped, so a
        batch can be retried safely.
        """

    def count_calls(self) -> int: ...

    def iter_calls(
        self, since: datetime | None = None, until: datetime | None = None, batch_size: int = 1000
    ) -> Iterator[list[ChatCall]]:
        """Calls in ``received_at`` order (ties by ``call_id``), in batches, without loading the whole store.

        ``since`` is inclusive, ``until`` exclusive.
        """

    def forget_hashed_ip(self, hashed_ip: str, at: datetime) -> int:
        """Delete every call from that hashed IP (a request that arrived by email); return the count."""

    def tombstones(self) -> list[Tombstone]:
        """Every tombstone, oldest first."""

    # settings ------------------------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        """A small fact about the store (e.g. ``ip_salt_fingerprint``), or None."""

    def put_setting(self, key: str, value: str) -> None:
        """Set (or replace) a setting, durably."""
