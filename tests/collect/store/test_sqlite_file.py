"""What only an SQLite file can show: durability across kill -9, and what bytes reach the disk."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from store_calls import T0, MakeCall

from wildchat.collect.ip_hash import IpHasher
from wildchat.collect.store import Consent, StoreError, open_store

# The child appends batches forever and reports each one after append_calls returns.
WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[2])
    from store_calls import make_call
    from wildchat.collect.store import open_store

    store = open_store(sys.argv[1])
    store.migrate()
    batch = 0
    while True:
        store.append_calls([make_call(batch * 16 + i) for i in range(16)])
        print(batch, flush=True)
        batch += 1
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("query", ["", "?synchronous=normal"], ids=["full", "normal"])
def test_every_batch_reported_committed_survives_kill_9(tmp_path: Path, query: str) -> None:
    url = f"sqlite:///{tmp_path}/logs.sqlite3{query}"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    committed = -1
    try:
        while committed < 40:
            line = child.stdout.readline()
            assert line, "the writer died before committing 40 batches"
            committed = int(line)
    finally:
        child.send_signal(signal.SIGKILL)  # most likely in the middle of the next transaction
        child.wait()
    assert child.returncode == -signal.SIGKILL

    store = open_store(url)
    try:
        stored = {c.call_id for batch in store.iter_calls() for c in batch}
    finally:
        store.close()
    reported = {f"call-{n:06d}" for n in range((committed + 1) * 16)}
    assert reported <= stored
    assert len(stored) % 16 == 0  # a batch is all or nothing


def _disk_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def test_raw_ip_and_consent_key_never_reach_the_file_or_its_wal(tmp_path: Path, new_call: MakeCall) -> None:
    db = tmp_path / "logs.sqlite3"
    raw_ip = "203.0.113.77"
    consent_key = "wc-consent-key-3f9a1c0e7b2d4e6f8a9b0c1d2e3f4a5b"
    hashed_ip = IpHasher(b"0123456789abcdef0123456789abcdef")(raw_ip)
    key_hash = hashlib.sha256(consent_key.encode()).hexdigest()

    store = open_store(f"sqlite:///{db}")
    try:
        store.migrate()
        store.add_consent(Consent("consent-a", "v1", T0), key_hash)
        store.append_calls([new_call(n, hashed_ip=hashed_ip) for n in range(20)])
        on_disk = _disk_bytes(db)
    finally:
        store.close()
    assert hashed_ip.encode() in on_disk and key_hash.encode() in on_disk  # the scan does see the data
    for secret in (raw_ip, consent_key):
        assert secret.encode() not in on_disk
        assert secret.encode("utf-16-le") not in on_disk


def test_withdrawn_content_is_scrubbed_from_the_file_and_wal(tmp_path: Path, new_call: MakeCall) -> None:
    db = tmp_path / "logs.sqlite3"
    marker = "my-secret-diary-entry-8c1f"
    store = open_store(f"sqlite:///{db}")
    try:
        store.migrate()
        store.add_consent(Consent("consent-a", "v1", T0), "hash-a")
        store.append_calls([new_call(n, response_text=f"{marker} {n}") for n in range(30)])
        store.append_calls([new_call(100, consent_id="consent-b")])
        assert marker.encode() in _disk_bytes(db)
        assert store.withdraw_consent("consent-a", T0) == 30
        assert marker.encode() not in _disk_bytes(db)
        assert store.count_calls() == 1
    finally:
        store.close()


def test_the_store_file_is_private_to_its_owner(tmp_path: Path) -> None:
    db = tmp_path / "new-data-dir" / "logs.sqlite3"
    store = open_store(f"sqlite:///{db}")
    try:
        store.migrate()
    finally:
        store.close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) & 0o077 == 0


def test_open_store_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        open_store(f"sqlite:///{tmp_path}/missing.sqlite3", create=False)
    with pytest.raises(StoreError, match="unsupported store URL 'mysql://root@db/x'"):
        open_store("mysql://root:hunter2@db/x")
    with pytest.raises(StoreError, match="needs a file path"):
        open_store("sqlite:///:memory:")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(StoreError, match="cannot open the SQLite log store"):
        open_store(f"sqlite:///{garbage}").migrate()


def test_unreachable_postgres_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql://wildchat:hunter2@127.0.0.1:1/logs?connect_timeout=2")
    assert "cannot connect to the log store postgresql://wildchat@127.0.0.1:1/logs" in str(info.value)
    assert "hunter2" not in str(info.value)
