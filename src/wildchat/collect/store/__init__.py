"""Log stores: where consents, calls and tombstones live (SQLite file or PostgreSQL database).

Use ``open_store(url)``; call ``migrate()`` once at start-up.
"""

from __future__ import annotations

from wildchat.collect.store.base import Consent, LogStore, StoreError
from wildchat.collect.store.url import open_store, redact_url, sqlite_url

__all__ = ["Consent", "LogStore", "StoreError", "open_store", "redact_url", "sqlite_url"]
