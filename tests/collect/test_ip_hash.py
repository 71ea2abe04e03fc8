"""The IP salt's life cycle and the HMAC pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wildchat.collect.ip_hash import (
    SALT_FILE,
    IpHasher,
    SaltError,
    canonical_ip,
    load_salt,
    salt_fingerprint,
    verify_salt,
)
from wildchat.collect.store import open_store
from wildchat.records import ChatCall, Message


def test_first_start_creates_a_private_random_salt_and_later_starts_reuse_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    salt = load_salt(data_dir, store_has_calls=False)
    path = data_dir / SALT_FILE
    assert len(salt) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == salt.hex()
    assert load_salt(data_dir, store_has_calls=True) == salt
    assert load_salt(tmp_path / "other", store_has_calls=False) != salt
    assert list(data_dir.iterdir()) == [path]  # no temporary file left behind


def test_a_lost_salt_with_calls_in_the_store_refuses_to_start(tmp_path: Path) -> None:
    load_salt(tmp_path, store_has_calls=False)
    (tmp_path / SALT_FILE).unlink()
    with pytest.raises(SaltError, match="missing but the store already holds calls"):
        load_salt(tmp_path, store_has_calls=True)
    assert not (tmp_path / SALT_FILE).exists()  # no new salt was made behind the operator's back


def test_damaged_salt_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / SALT_FILE).write_text("\n")
    with pytest.raises(SaltError, match="empty or damaged"):
        load_salt(tmp_path, store_has_calls=False)


def test_operator_salt_as_value_or_file(tmp_path: Path) -> None:
    assert (
        load_salt(tmp_path, store_has_calls=True, value="a long operator secret") == b"a long operator secret"
    )
    hex_file = tmp_path / "salt.hex"
    hex_file.write_text("00" * 16 + "ff" * 16 + "\n")
    assert load_salt(tmp_path, store_has_calls=True, file=hex_file) == bytes(16) + b"\xff" * 16
    assert not (tmp_path / SALT_FILE).exists()  # an operator salt never creates the default file
    with pytest.raises(SaltError, match="too short"):
        load_salt(tmp_path, store_has_calls=False, value="short")
    with pytest.raises(SaltError, match="not both"):
        load_salt(tmp_path, store_has_calls=False, value="a long operator secret", file=hex_file)
    with pytest.raises(SaltError, match="cannot read the IP salt file"):
        load_salt(tmp_path, store_has_calls=False, file=tmp_path / "nope")


def test_hash_is_hmac_sha256_of_the_canonical_ip() -> None:
    salt = b"k" * 32
    hasher = IpHasher(salt)
    expected = hmac.new(salt, b"203.0.113.9", hashlib.sha256).hexdigest()
    assert hasher("203.0.113.9") == expected
    assert hasher("::ffff:203.0.113.9") == expected  # IPv4-mapped IPv6 is the same client
    assert hasher("2001:DB8:0::1") == hasher("2001:db8::1")
    assert hasher("203.0.113.9") != IpHasher(b"j" * 32)("203.0.113.9")
    assert len(expected) == 64
    assert "k" * 16 not in repr(hasher)


def test_canonical_ip_keeps_unparseable_text() -> None:
    assert canonical_ip(" 10.0.0.1 ") == "10.0.0.1"
    assert canonical_ip("unix:socket") == "unix:socket"


def test_a_store_refuses_a_different_salt_once_it_holds_calls(tmp_path: Path) -> None:
    first, second = b"a" * 32, b"b" * 32
    store = open_store(f"sqlite:///{tmp_path}/logs.sqlite3")
    try:
        store.migrate()
        verify_salt(store, first)  # first start: remembered
        verify_salt(store, second)  # no calls yet: the store adopts the new salt
        when = datetime(2026, 11, 26, tzinfo=UTC)
        call = ChatCall("c1", "k1", when, when, "m", [Message("user", "hi")], False, "ok")
        store.append_calls([call])
        verify_salt(store, second)
        with pytest.raises(SaltError, match="not the one the store's calls were hashed with"):
            verify_salt(store, first)
        stored = store.get_setting("ip_salt_fingerprint")
    finally:
        store.close()
    assert stored == salt_fingerprint(second)
    assert second.hex() not in (stored or "") and len(stored or "") == 32
