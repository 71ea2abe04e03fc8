"""Log stores: where consents, calls and tombstones live (SQLite file or PostgreSQL database).

Use ``open_store(url)``; call ``migrate()`` once at start-up.
"""

from __future__ import annotations

from wildchat.collect.store.base import Consent, LogStore, StoreError
from wildchat.collect.store.url import open_store, redact_url, sqlite_url

__all__ = ["Consent", "LogStore", "StoreError", "backend_errors", "open_store", "redact_url", "sqlite_url"]


def backend_errors() -> tuple[type[Exception], ...]:
    """Errors a store operation may raise (ours and the database drivers'), for callers that must
    turn any of them into a message (the CLI) rather than a traceback."""
    import sqlite3

    errors: tuple[type[Exception], ...] = (StoreError, sqlite3.Error)
    try:
        import psycopg
    except ImportError:
        return errors
    return (*errors, psycopg.Error)
