"""The PostgreSQL log store (psycopg 3): a small pool of autocommit connections, explicit transactions.

Durability is PostgreSQL's: a committed transaction is flushed to its WAL (``synchronous_commit``
on, the default). ``append_calls`` sends a batch with ``executemany``, which psycopg pipelines, so
one batch costs about one round trip and one WAL flush.

A withdrawal races an in-flight call of the same consent safely: ``append_calls`` share-locks the
batch's consent rows before inserting, ``withdraw_consent`` updates that row before deleting, so
either the withdrawal sees (and deletes) the new calls or the append sees the withdrawal (and
drops them).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Final

import psycopg
import pyarrow as pa

from wildchat.collect.store.base import Consent, StoreError
from wildchat.collect.store.migrations import migrations_for
from wildchat.collect.store.rows import CALL_COLUMNS, call_from_values, call_values
from wildchat.collect.store.url import redact_url
from wildchat.records import CALL_SCHEMA, ChatCall, Tombstone, as_utc

#: Any constant shared by every wildchat process: serializes concurrent ``migrate()`` calls.
_MIGRATION_LOCK: Final = 0x77696C64


def _sql_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    return "text"  # strings, and nested values stored as JSON text


_COLUMNS = ", ".join(CALL_COLUMNS)
# Explicit casts: NULLs in a SELECT list have no type of their own.
_INSERT_CALL = (
    f"INSERT INTO calls ({_COLUMNS}) "
    f"SELECT {', '.join(f'%s::{_sql_type(field.type)}' for field in CALL_SCHEMA)} "
    "WHERE NOT EXISTS (SELECT 1 FROM consents WHERE consent_id = %s AND withdrawn_at IS NOT NULL) "
    "ON CONFLICT (call_id) DO NOTHING"
)
_RECEIVED = CALL_COLUMNS.index("received_at")


def _pg_text(value: Any) -> Any:
    # PostgreSQL text cannot hold NUL; the JSON columns escape it, plain text fields lose it to U+FFFD.
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def _same(value: datetime) -> datetime:
    return value


class PostgresStore:
    """``LogStore`` over one PostgreSQL database. Thread-safe."""

    def __init__(self, dsn: str, *, pool_size: int = 8) -> None:
        self._dsn = dsn
        self.url = redact_url(dsn)
        self._idle: list[psycopg.Connection[Any]] = []
        self._idle_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._closed = False
        with self._connection():
            pass  # fail now, with a clear message, if the server cannot be reached

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self._dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the log store {self.url}: {str(exc).strip()}") from exc

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        if self._closed:
            raise StoreError(f"the log store {self.url} is closed")
        with self._slots:
            with self._idle_lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None or conn.closed:
                conn = self._connect()
            try:
                yield conn
            except BaseException:
                if conn.broken or conn.closed:
                    conn.close()
                    conn = None
                raise
            finally:
                if conn is not None:
                    with self._idle_lock:
                        if self._closed:
                            conn.close()
                        else:
                            self._idle.append(conn)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with self._connection() as conn, conn.transaction():
            yield conn

    # schema --------------------------------------------------------------------------------------
    def migrate(self) -> None:
        try:
            self._migrate()
        except psycopg.Error as exc:
            raise StoreError(f"cannot prepare the log store {self.url}: {str(exc).strip()}") from exc

    def _migrate(self) -> None:
        with self._transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for migration in migrations_for("postgres"):
                if migration.version in applied:
                    continue
                conn.execute(migration.sql.encode("utf-8"))  # no parameters: several statements allowed
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )

    def applied_migrations(self) -> list[int]:
        with self._connection() as conn:
            rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        return [int(r[0]) for r in rows]

    def close(self) -> None:
        with self._idle_lock:
            self._closed = True
            for conn in self._idle:
                conn.close()
            self._idle.clear()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # consents ------------------------------------------------------------------------------------
    def add_consent(self, consent: Consent, key_hash: str) -> None:
        try:
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO consents (consent_id, key_hash, terms_version, created_at) "
                    "VALUES (%s, %s, %s, %s)",
                    (
                        consent.consent_id,
                        key_hash,
                        _pg_text(consent.terms_version),
                        as_utc(consent.created_at),
                    ),
                )
        except psycopg.errors.UniqueViolation as exc:
            raise StoreError(f"consent {consent.consent_id} or its key hash is already stored") from exc

    def find_consent(self, key_hash: str) -> Consent | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT consent_id, terms_version, created_at FROM consents "
                "WHERE key_hash = %s AND withdrawn_at IS NULL",
                (key_hash,),
            ).fetchone()
        if row is None:
            return None
        return Consent(consent_id=row[0], terms_version=row[1], created_at=as_utc(row[2]))

    def withdraw_consent(self, consent_id: str, at: datetime) -> int:
        at = as_utc(at)
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT withdrawn_at FROM consents WHERE consent_id = %s FOR UPDATE", (consent_id,)
            ).fetchone()
            if row is not None and row[0] is not None:
                return 0  # withdrawn before: its calls went then
            # Revoke first: from here on, appends of this consent wait for us, then drop their calls.
            conn.execute("UPDATE consents SET withdrawn_at = %s WHERE consent_id = %s", (at, consent_id))
            deleted = conn.execute("DELETE FROM calls WHERE consent_id = %s", (consent_id,)).rowcount
            if row is None and deleted == 0:
                return 0
            conn.execute(
                "INSERT INTO tombstones (withdrawn_at, consent_id) VALUES (%s, %s)", (at, consent_id)
            )
        return int(deleted)

    # calls ---------------------------------------------------------------------------------------
    def append_calls(self, calls: Sequence[ChatCall]) -> int:
        if not calls:
            return 0
        rows = []
        for call in calls:
            values = [_pg_text(v) for v in call_values(call, as_utc)]
            values.append(values[1])  # consent_id again, for the withdrawn-consent guard
            rows.append(values)
        consent_ids = sorted({call.consent_id for call in calls})
        with self._transaction() as conn:
            conn.execute("SELECT 1 FROM consents WHERE consent_id = ANY(%s) FOR SHARE", (consent_ids,))
            with conn.cursor() as cur:
                cur.executemany(_INSERT_CALL, rows)
                return max(cur.rowcount, 0)  # psycopg >= 3.1: the sum over the batch

    def count_calls(self) -> int:
        with self._connection() as conn:
            row = conn.execute("SELECT count(*) FROM calls").fetchone()
        return int(row[0]) if row else 0

    def iter_calls(
        self, since: datetime | None = None, until: datetime | None = None, batch_size: int = 1000
    ) -> Iterator[list[ChatCall]]:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        bounds = ""
        params: list[Any] = []
        if since is not None:
            bounds += " AND received_at >= %s"
            params.append(as_utc(since))
        if until is not None:
            bounds += " AND received_at < %s"
            params.append(as_utc(until))
        after: tuple[datetime, str] | None = None
        while True:
            keyset = " AND (received_at, call_id) > (%s, %s)" if after is not None else ""
            query = f"SELECT {_COLUMNS} FROM calls WHERE true{bounds}{keyset} ORDER BY received_at, call_id LIMIT %s"
            with self._connection() as conn:
                rows = conn.execute(query, [*params, *(after or ()), batch_size]).fetchall()  # type: ignore[arg-type]
            if not rows:
                return
            yield [call_from_values(row, _same) for row in rows]
            last = rows[-1]
            after = (last[_RECEIVED], last[0])
            if len(rows) < batch_size:
                return

    def forget_hashed_ip(self, hashed_ip: str, at: datetime) -> int:
        with self._transaction() as conn:
            deleted = conn.execute("DELETE FROM calls WHERE hashed_ip = %s", (hashed_ip,)).rowcount
            conn.execute(
                "INSERT INTO tombstones (withdrawn_at, hashed_ip) VALUES (%s, %s)", (as_utc(at), hashed_ip)
            )
        return int(deleted)

    def tombstones(self) -> list[Tombstone]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT withdrawn_at, consent_id, hashed_ip FROM tombstones ORDER BY withdrawn_at, id"
            ).fetchall()
        return [Tombstone(withdrawn_at=as_utc(r[0]), consent_id=r[1], hashed_ip=r[2]) for r in rows]

    # settings ------------------------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        with self._connection() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = %s", (key,)).fetchone()
        return str(row[0]) if row else None

    def put_setting(self, key: str, value: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
