"""The SQLite log store: one file in WAL mode, every committed batch fsync'd.

Why these settings:

* ``journal_mode=WAL`` lets readers (exports, consent look-ups) run while the gateway writes.
* ``synchronous=FULL`` fsyncs the WAL at every commit, so a batch that ``append_calls`` returned
  for survives ``kill -9`` and power loss; batching many calls per commit keeps that affordable.
  ``sqlite:///PATH?synchronous=normal`` trades the power-loss guarantee for latency: a commit is
  then written to the WAL but not fsync'd, which still survives a crash or ``kill -9`` of the
  service (the OS holds the write) and saves one fsync (milliseconds on many disks) per commit.
* ``secure_delete=ON`` overwrites deleted rows with zeros, and a checkpoint after every withdrawal
  flushes the WAL: withdrawn conversations do not linger in free pages.
* One writer connection behind a lock (SQLite allows one writer anyway); each thread reads through
  its own connection so look-ups never queue behind a commit's fsync.
* The file is created 0600 in a 0700 folder; SQLite gives ``-wal``/``-shm`` the same mode.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from wildchat.collect.store.base import Consent, StoreError
from wildchat.collect.store.migrations import migrations_for
from wildchat.collect.store.rows import CALL_COLUMNS, call_from_values, call_values
from wildchat.records import ChatCall, Tombstone, as_utc

_COLUMNS = ", ".join(CALL_COLUMNS)
_CONSENT_PARAM = CALL_COLUMNS.index("consent_id") + 1
# The NOT EXISTS guard drops calls of a consent withdrawn while they were in flight.
_INSERT_CALL = (
    f"INSERT INTO calls ({_COLUMNS}) "
    f"SELECT {', '.join(f'?{i}' for i in range(1, len(CALL_COLUMNS) + 1))} "
    f"WHERE NOT EXISTS (SELECT 1 FROM consents WHERE consent_id = ?{_CONSENT_PARAM} "
    "AND withdrawn_at IS NOT NULL) "
    "ON CONFLICT (call_id) DO NOTHING"
)


def to_text(value: datetime) -> str:
    """Fixed-width UTC ISO text (microseconds, trailing Z): text order is time order."""
    return as_utc(value).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_text(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value))


class SQLiteStore:
    """``LogStore`` over one SQLite file. Thread-safe."""

    def __init__(self, path: Path, *, create: bool = True, synchronous: str = "full") -> None:
        self.path = path
        self.synchronous = synchronous.upper()
        self.url = f"sqlite:///{path}" + ("" if self.synchronous == "FULL" else "?synchronous=normal")
        if not path.exists():
            if not create:
                raise StoreError(f"no log store at {path} (the file does not exist)")
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            _fsync_dir(path.parent)  # the new file's name survives power loss along with its first commit
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        self._writer = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the SQLite log store {self.path}: {exc}") from exc
        return conn

    def _reader(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"the log store {self.url} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """The writer connection inside BEGIN IMMEDIATE ... COMMIT (fsync'd), under the write lock."""
        with self._write_lock:
            if self._closed:
                raise StoreError(f"the log store {self.url} is closed")
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (disk full, I/O error) may leave the transaction open: close it, or
                # every later BEGIN would fail too.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _flush_wal(self) -> None:
        """Copy the WAL into the main file and truncate it, so deleted content leaves the WAL too.

        Best effort: a reader in the middle of a long read keeps its frames until it finishes.
        """
        with self._write_lock:
            self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    # schema --------------------------------------------------------------------------------------
    def migrate(self) -> None:
        try:
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot prepare the SQLite log store {self.path}: {exc}") from exc

    def _migrate(self) -> None:
        with self._write_lock:
            conn = self._writer
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            for migration in migrations_for("sqlite"):
                # Re-check inside the write transaction: another process may have just applied it.
                conn.execute("BEGIN IMMEDIATE")
                try:
                    done = conn.execute(
                        "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
                    ).fetchone()
                    if done is None:
                        for statement in _statements(migration.sql):
                            conn.execute(statement)
                        conn.execute(
                            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                            (migration.version, migration.name, to_text(datetime.now().astimezone())),
                        )
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

    def applied_migrations(self) -> list[int]:
        rows = self._reader().execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        return [int(r[0]) for r in rows]

    def close(self) -> None:
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # consents ------------------------------------------------------------------------------------
    def add_consent(self, consent: Consent, key_hash: str) -> None:
        try:
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO consents (consent_id, key_hash, terms_version, created_at) VALUES (?, ?, ?, ?)",
                    (consent.consent_id, key_hash, consent.terms_version, to_text(consent.created_at)),
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"consent {consent.consent_id} or its key hash is already stored") from exc

    def find_consent(self, key_hash: str) -> Consent | None:
        # fetchall, not fetchone: a statement left unfinished would pin this thread's read snapshot.
        rows = (
            self._reader()
            .execute(
                "SELECT consent_id, terms_version, created_at FROM consents "
                "WHERE key_hash = ? AND withdrawn_at IS NULL",
                (key_hash,),
            )
            .fetchall()
        )
        if not rows:
            return None
        row = rows[0]
        return Consent(consent_id=row[0], terms_version=row[1], created_at=from_text(row[2]))

    def withdraw_consent(self, consent_id: str, at: datetime) -> int:
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT withdrawn_at FROM consents WHERE consent_id = ?", (consent_id,)
            ).fetchone()
            if row is not None and row[0] is not None:
                return 0  # withdrawn before: its calls went then
            deleted = conn.execute("DELETE FROM calls WHERE consent_id = ?", (consent_id,)).rowcount
            if row is None and deleted == 0:
                return 0  # nothing of that consent here
            stamp = to_text(at)
            conn.execute("UPDATE consents SET withdrawn_at = ? WHERE consent_id = ?", (stamp, consent_id))
            conn.execute(
                "INSERT INTO tombstones (withdrawn_at, consent_id) VALUES (?, ?)", (stamp, consent_id)
            )
        self._flush_wal()
        return deleted

    # calls ---------------------------------------------------------------------------------------
    def append_calls(self, calls: Sequence[ChatCall]) -> int:
        if not calls:
            return 0
        rows = [call_values(call, to_text) for call in calls]
        with self._transaction() as conn:
            before = conn.total_changes
            conn.executemany(_INSERT_CALL, rows)
            return conn.total_changes - before

    def count_calls(self) -> int:
        return int(self._reader().execute("SELECT count(*) FROM calls").fetchall()[0][0])

    def iter_calls(
        self, since: datetime | None = None, until: datetime | None = None, batch_size: int = 1000
    ) -> Iterator[list[ChatCall]]:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        lower = to_text(since) if since is not None else ""
        upper = to_text(until) if until is not None else "\uffff"
        # Keyset pages, each its own short read: a long export never pins the WAL.
        after: tuple[str, str] = (lower, "")
        while True:
            rows = (
                self._reader()
                .execute(
                    f"SELECT {_COLUMNS} FROM calls "
                    "WHERE received_at >= ? AND received_at < ? AND (received_at, call_id) > (?, ?) "
                    "ORDER BY received_at, call_id LIMIT ?",
                    (lower, upper, after[0], after[1], batch_size),
                )
                .fetchall()
            )
            if not rows:
                return
            yield [call_from_values(row, from_text) for row in rows]
            last = rows[-1]
            after = (last[CALL_COLUMNS.index("received_at")], last[0])
            if len(rows) < batch_size:
                return

    def forget_hashed_ip(self, hashed_ip: str, at: datetime) -> int:
        with self._transaction() as conn:
            deleted = conn.execute("DELETE FROM calls WHERE hashed_ip = ?", (hashed_ip,)).rowcount
            conn.execute(
                "INSERT INTO tombstones (withdrawn_at, hashed_ip) VALUES (?, ?)", (to_text(at), hashed_ip)
            )
        self._flush_wal()
        return int(deleted)

    def tombstones(self) -> list[Tombstone]:
        rows = (
            self._reader()
            .execute(
                "SELECT withdrawn_at, consent_id, hashed_ip FROM tombstones ORDER BY withdrawn_at, rowid"
            )
            .fetchall()
        )
        return [Tombstone(withdrawn_at=from_text(r[0]), consent_id=r[1], hashed_ip=r[2]) for r in rows]

    # settings ------------------------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        rows = self._reader().execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchall()
        return str(rows[0][0]) if rows else None

    def put_setting(self, key: str, value: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (trigger bodies keep their inner semicolons)."""
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if _has_code(statement):
                yield statement
    if _has_code(buffer.rstrip(";")):
        raise RuntimeError(f"incomplete SQL statement at the end of a migration: {buffer.strip()!r}")


def _has_code(statement: str) -> bool:
    lines = (line.split("--", 1)[0].strip() for line in statement.splitlines())
    return any(line and line != ";" for line in lines)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
