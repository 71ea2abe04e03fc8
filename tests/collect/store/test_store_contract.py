"""The LogStore contract, run identically on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import importlib
import random
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from store_calls import T0, MakeCall

from wildchat.collect.store import Consent, LogStore, StoreError, open_store
from wildchat.collect.store.migrations import migrations_for
from wildchat.records import ChatCall, Tombstone


def all_calls(store: LogStore, **kwargs: object) -> list[ChatCall]:
    return [call for batch in store.iter_calls(**kwargs) for call in batch]  # type: ignore[arg-type]


def test_migrate_twice_is_a_no_op(store: LogStore, store_url: str) -> None:
    backend = "sqlite" if store_url.startswith("sqlite") else "postgres"
    expected = [m.version for m in migrations_for(backend)]
    store.migrate()
    store.migrate()
    assert store.applied_migrations() == expected  # type: ignore[attr-defined]
    # A second process opening the same store migrates nothing and keeps the data.
    store.add_consent(Consent("c", "v1", T0), "hash-c")
    other = open_store(store_url)
    try:
        other.migrate()
        assert other.find_consent("hash-c") == Consent("c", "v1", T0)
    finally:
        other.close()


def test_migrate_applies_only_the_new_migrations_to_an_older_store(
    store_url: str, new_call: MakeCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = "sqlite" if store_url.startswith("sqlite") else "postgres"
    module = importlib.import_module(f"wildchat.collect.store.{backend}")
    everything = migrations_for(backend)
    assert len(everything) >= 2
    # A store made by an older release: only migration 0001 existed then.
    monkeypatch.setattr(module, "migrations_for", lambda name: everything[:1])
    old = open_store(store_url)
    try:
        old.migrate()
        assert old.applied_migrations() == [1]  # type: ignore[attr-defined]
        old.append_calls([new_call(1), new_call(2)])
    finally:
        old.close()
    monkeypatch.undo()

    upgraded = open_store(store_url)
    try:
        upgraded.migrate()
        assert upgraded.applied_migrations() == [m.version for m in everything]  # type: ignore[attr-defined]
        assert upgraded.count_calls() == 2
        upgraded.put_setting("k", "v")  # 0002's table exists
        assert upgraded.get_setting("k") == "v"
    finally:
        upgraded.close()


def test_settings_are_set_read_and_replaced(store: LogStore) -> None:
    assert store.get_setting("ip_salt_fingerprint") is None
    store.put_setting("ip_salt_fingerprint", "abc")
    store.put_setting("ip_salt_fingerprint", "def")
    assert store.get_setting("ip_salt_fingerprint") == "def"


def test_consents_are_found_by_key_hash_only_while_live(store: LogStore) -> None:
    consent = Consent("consent-a", "2026-11-26", T0)
    store.add_consent(consent, "hash-a")
    assert store.find_consent("hash-a") == consent
    assert store.find_consent("hash-unknown") is None
    with pytest.raises(StoreError, match="already stored"):
        store.add_consent(Consent("consent-b", "2026-11-26", T0), "hash-a")
    store.withdraw_consent("consent-a", T0 + timedelta(hours=1))
    assert store.find_consent("hash-a") is None


def test_calls_round_trip_every_field(store: LogStore, new_call: MakeCall) -> None:
    calls = [
        new_call(1),
        new_call(2, stream=True, params={}, headers={}, hashed_ip=None, country=None, state=None),
        new_call(
            3,
            status="upstream_error",
            response_text=None,
            finish_reason=None,
            prompt_tokens=None,
            completion_tokens=None,
            total_tokens=None,
            upstream_id=None,
            system_fingerprint=None,
            time_to_first_token_ms=None,
            error="upstream answered 502: bad gateway",
        ),
    ]
    assert store.append_calls(calls) == 3
    assert store.count_calls() == 3
    assert all_calls(store) == calls


def test_append_skips_call_ids_already_stored(store: LogStore, new_call: MakeCall) -> None:
    assert store.append_calls([new_call(1), new_call(2)]) == 2
    assert store.append_calls([new_call(2), new_call(3)]) == 1  # a retried batch is harmless
    assert store.append_calls([]) == 0
    assert [c.call_id for c in all_calls(store)] == ["call-000001", "call-000002", "call-000003"]


def test_iteration_is_in_received_order_within_bounds(store: LogStore, new_call: MakeCall) -> None:
    numbers = list(range(40))
    random.Random(7).shuffle(numbers)
    # Ties on received_at (several calls in the same microsecond) must not be lost across pages.
    calls = [new_call(n, received_at=T0 + timedelta(seconds=n // 4)) for n in numbers]
    for start in range(0, len(calls), 9):
        store.append_calls(calls[start : start + 9])

    batches = list(store.iter_calls(batch_size=3))
    assert all(len(batch) <= 3 for batch in batches)
    ordered = [c.call_id for batch in batches for c in batch]
    assert ordered == [f"call-{n:06d}" for n in range(40)]

    since, until = T0 + timedelta(seconds=2), T0 + timedelta(seconds=5)
    window = all_calls(store, since=since, until=until, batch_size=5)
    assert [c.call_id for c in window] == [f"call-{n:06d}" for n in range(8, 20)]  # since in, until out
    assert all(since <= c.received_at < until for c in window)
    assert all_calls(store, since=T0 + timedelta(days=1)) == []


def test_iteration_accepts_naive_and_other_zone_bounds(store: LogStore, new_call: MakeCall) -> None:
    store.append_calls([new_call(n) for n in range(5)])
    naive_utc = (T0 + timedelta(seconds=2)).replace(tzinfo=None)
    assert [c.call_id for c in all_calls(store, since=naive_utc)] == [
        "call-000002",
        "call-000003",
        "call-000004",
    ]
    plus_two = (T0 + timedelta(seconds=2)).astimezone(timezone(timedelta(hours=2)))
    assert len(all_calls(store, until=plus_two)) == 2


def test_withdrawal_deletes_that_consents_calls_and_leaves_a_tombstone(
    store: LogStore, new_call: MakeCall
) -> None:
    store.add_consent(Consent("consent-a", "v1", T0), "hash-a")
    store.add_consent(Consent("consent-b", "v1", T0), "hash-b")
    store.append_calls([new_call(n, consent_id="consent-a") for n in range(5)])
    store.append_calls([new_call(n, consent_id="consent-b") for n in range(5, 8)])
    at = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)

    assert store.withdraw_consent("consent-a", at) == 5
    assert [c.consent_id for c in all_calls(store)] == ["consent-b"] * 3
    assert store.find_consent("hash-a") is None
    assert store.find_consent("hash-b") is not None
    assert store.tombstones() == [Tombstone(withdrawn_at=at, consent_id="consent-a")]

    # A call that was in flight during the withdrawal must not outlive it.
    assert (
        store.append_calls([new_call(100, consent_id="consent-a"), new_call(101, consent_id="consent-b")])
        == 1
    )
    assert store.count_calls() == 4
    # Withdrawing twice deletes nothing more and writes no second tombstone.
    assert store.withdraw_consent("consent-a", at + timedelta(days=1)) == 0
    assert len(store.tombstones()) == 1
    # An unknown consent leaves no trace.
    assert store.withdraw_consent("consent-zzz", at) == 0
    assert len(store.tombstones()) == 1


def test_forget_hashed_ip_deletes_its_calls_and_leaves_a_tombstone(
    store: LogStore, new_call: MakeCall
) -> None:
    store.append_calls([new_call(n) for n in range(9)])  # hashed_ip cycles over three values
    target = f"{1:064x}"
    at = datetime(2026, 12, 1, tzinfo=UTC)
    assert store.forget_hashed_ip(target, at) == 3
    remaining = all_calls(store)
    assert len(remaining) == 6
    assert target not in {c.hashed_ip for c in remaining}
    assert store.tombstones() == [Tombstone(withdrawn_at=at, hashed_ip=target)]
    # Asked again (say, by a second email), nothing is left to delete but the request is on record.
    assert store.forget_hashed_ip(target, at + timedelta(days=1)) == 0
    assert [t.hashed_ip for t in store.tombstones()] == [target, target]


def test_concurrent_appends_from_many_threads_all_land(store: LogStore, new_call: MakeCall) -> None:
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for batch in range(5):
                base = worker * 1000 + batch * 10
                store.append_calls([new_call(base + i) for i in range(10)])
                store.count_calls()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count_calls() == 6 * 5 * 10


def test_iteration_rejects_a_zero_batch(store: LogStore) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        next(iter(store.iter_calls(batch_size=0)))


def test_nul_characters_survive_in_messages_and_never_break_a_batch(
    store: LogStore, store_url: str, new_call: MakeCall
) -> None:
    """Clients can send NUL; PostgreSQL text cannot hold it. Messages keep it (JSON-escaped); plain text
    fields keep it in SQLite and turn it into U+FFFD in PostgreSQL, rather than failing the whole batch."""
    call = new_call(1, response_text="a\x00b", error="x\x00y")
    assert store.append_calls([call, new_call(2)]) == 2
    (stored, _) = all_calls(store)
    assert stored.messages == call.messages
    expected = "a\x00b" if store_url.startswith("sqlite") else "a\ufffdb"
    assert stored.response_text == expected


def _raw_sql(store_url: str, sql: str) -> list[tuple[object, ...]]:
    if store_url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(store_url.removeprefix("sqlite:///"))) as conn, conn:
            return conn.execute(sql).fetchall()
    with psycopg.connect(store_url, autocommit=True) as pg:
        cursor = pg.execute(sql)
        return cursor.fetchall() if cursor.description else []


def test_a_failing_migration_leaves_nothing_half_applied(store_url: str) -> None:
    first = open_store(store_url)  # creates the SQLite file; the schema is not there yet
    try:
        # Something already squats on a name migration 0001 creates last.
        _raw_sql(store_url, "CREATE TABLE tombstones (squatter integer)")
        with pytest.raises(StoreError, match="cannot prepare"):
            first.migrate()
    finally:
        first.close()
    tables = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'consents'"
    if store_url.startswith("sqlite"):
        tables = "SELECT count(*) FROM sqlite_master WHERE name = 'consents'"
    assert _raw_sql(store_url, tables) == [(0,)]  # 0001's first tables were rolled back with it
    if store_url.startswith("sqlite"):
        assert _raw_sql(store_url, "SELECT count(*) FROM schema_migrations") == [(0,)]
    else:  # PostgreSQL rolled back even the bookkeeping table: it was made in the same transaction
        assert _raw_sql(store_url, "SELECT to_regclass('schema_migrations') IS NULL") == [(True,)]
