"""PostgreSQL runs appends and withdrawals concurrently: a call in flight must not outlive a withdrawal."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest
from store_calls import T0, MakeCall

from wildchat.collect.store import Consent, open_store

pytestmark = pytest.mark.postgres


def wait_until_blocked_on_a_lock(url: str, thread: threading.Thread) -> None:
    """Poll PostgreSQL until some session waits for a row lock (the store's), or the thread ended."""
    with psycopg.connect(url, autocommit=True) as watcher:
        for _ in range(3000):
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if (waiting and waiting[0]) or not thread.is_alive():
                return
            watcher.execute("SELECT pg_sleep(0.01)")


def test_an_append_racing_a_withdrawal_waits_and_drops_its_calls(
    postgres_url: str, new_call: MakeCall
) -> None:
    store = open_store(postgres_url)
    try:
        store.migrate()
        store.add_consent(Consent("consent-a", "v1", T0), "hash-a")
        stored: list[int] = []
        with psycopg.connect(postgres_url) as withdrawal:
            # A withdrawal half done: the consent row locked and revoked, the delete not yet committed.
            withdrawal.execute("SELECT 1 FROM consents WHERE consent_id = 'consent-a' FOR UPDATE")
            withdrawal.execute(
                "UPDATE consents SET withdrawn_at = %s WHERE consent_id = 'consent-a'", (datetime.now(UTC),)
            )
            withdrawal.execute("DELETE FROM calls WHERE consent_id = 'consent-a'")
            appender = threading.Thread(
                target=lambda: stored.append(
                    store.append_calls([new_call(1), new_call(2, consent_id="consent-b")])
                )
            )
            appender.start()
            wait_until_blocked_on_a_lock(postgres_url, appender)
            assert appender.is_alive()  # blocked on the consent row, not racing past it
            withdrawal.commit()
        appender.join(timeout=30)
        assert not appender.is_alive()
        assert stored == [1]  # consent-b's call only
        assert [c.consent_id for batch in store.iter_calls() for c in batch] == ["consent-b"]
    finally:
        store.close()


def test_a_withdrawal_racing_an_append_deletes_the_appended_calls(
    postgres_url: str, new_call: MakeCall
) -> None:
    store = open_store(postgres_url)
    try:
        store.migrate()
        store.add_consent(Consent("consent-a", "v1", T0), "hash-a")
        deleted: list[int] = []
        with psycopg.connect(postgres_url) as append:
            # An append half done: the consent row share-locked, its call inserted but not committed.
            append.execute("SELECT 1 FROM consents WHERE consent_id = 'consent-a' FOR SHARE")
            append.execute(
                "INSERT INTO calls (call_id, consent_id, received_at, completed_at, model, messages, stream, "
                "status, params, headers) VALUES ('in-flight', 'consent-a', now(), now(), 'm', '[]', false, "
                "'ok', '{}', '{}')"
            )
            withdrawer = threading.Thread(
                target=lambda: deleted.append(store.withdraw_consent("consent-a", T0))
            )
            withdrawer.start()
            wait_until_blocked_on_a_lock(postgres_url, withdrawer)
            assert withdrawer.is_alive()
            append.commit()
        withdrawer.join(timeout=30)
        assert not withdrawer.is_alive()
        assert deleted == [1]
        assert store.count_calls() == 0
    finally:
        store.close()
