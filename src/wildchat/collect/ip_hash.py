"""The secret salt and ``hashed_ip = HMAC-SHA256(salt, ip)``, as WildChat pseudonymised IPs.

The salt makes the hash useless to anyone without it (the IPv4 space is small enough to hash
exhaustively), and it must stay the same for the life of a store: a new salt silently changes every
user's pseudonym, which breaks per-user statistics and ``logs forget``. So ``load_salt`` creates a
salt only for a store with no calls yet, and refuses to start otherwise.

Salt sources, in order: a value from the operator, a file from the operator, the data directory's
``salt`` file (created 0600 on first start with 32 random bytes, hex-encoded).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from wildchat.collect.store import LogStore

SALT_FILE: Final = "salt"
#: The store setting that remembers which salt its hashed_ip values were made with.
FINGERPRINT_SETTING: Final = "ip_salt_fingerprint"
SALT_BYTES: Final = 32
MIN_OPERATOR_SALT_BYTES: Final = 16


class SaltError(RuntimeError):
    """The salt is missing, unreadable or too weak; the message says what to do."""


def parse_salt(text: str) -> bytes:
    """A salt file's or value's bytes: hex text decodes to bytes; any other text is used as UTF-8."""
    text = text.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode("utf-8")


def load_salt(
    data_dir: Path,
    *,
    store_has_calls: bool,
    value: str | None = None,
    file: Path | None = None,
) -> bytes:
    """The salt to hash IPs with; creates ``data_dir/salt`` on first start.

    Raises ``SaltError`` when the data directory's salt file is gone but the store already holds
    calls (their hashes could never be matched again), or when an operator salt is too short.
    """
    if value is not None and file is not None:
        raise SaltError("give the IP salt as a value or as a file, not both")
    if value is not None:
        return _check_operator_salt(parse_salt(value), "the IP salt value")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise SaltError(f"cannot read the IP salt file {file}: {exc.strerror or exc}") from exc
        return _check_operator_salt(parse_salt(text), f"the IP salt file {file}")

    path = data_dir / SALT_FILE
    if path.exists():
        salt = parse_salt(path.read_text(encoding="utf-8"))
        if len(salt) < MIN_OPERATOR_SALT_BYTES:
            raise SaltError(f"the IP salt file {path} is empty or damaged; restore it from a backup")
        return salt
    if store_has_calls:
        raise SaltError(
            f"the IP salt file {path} is missing but the store already holds calls: a new salt would "
            "change every hashed_ip. Restore the salt file from a backup (or pass the original salt "
            "explicitly) and start again."
        )
    return _create_salt_file(path)


def _check_operator_salt(salt: bytes, what: str) -> bytes:
    if len(salt) < MIN_OPERATOR_SALT_BYTES:
        raise SaltError(f"{what} is too short: use at least {MIN_OPERATOR_SALT_BYTES} bytes of secret")
    return salt


def _create_salt_file(path: Path) -> bytes:
    """Write a fresh salt with 0600 permissions, atomically: a concurrent starter reads the same one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    salt = secrets.token_bytes(SALT_BYTES)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        os.write(fd, (salt.hex() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created the salt first: theirs wins
    except FileExistsError:
        return parse_salt(path.read_text(encoding="utf-8"))
    finally:
        os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return salt


def salt_fingerprint(salt: bytes) -> str:
    """Identifies a salt without revealing it (an HMAC of a fixed label): safe to keep in the store."""
    return hmac.new(salt, b"wildchat ip salt fingerprint v1", hashlib.sha256).hexdigest()[:32]


def verify_salt(store: LogStore, salt: bytes, *, remember: bool = True) -> None:
    """Refuse a salt other than the one the store's calls were hashed with; remember it on first use.

    ``load_salt`` catches a lost salt file; this catches an operator passing a different salt (or a
    restored backup of the wrong data directory). A store without calls adopts the new salt.
    ``remember=False`` only checks (for tools that must not write, like ``logs forget --ip``).
    """
    fingerprint = salt_fingerprint(salt)
    stored = store.get_setting(FINGERPRINT_SETTING)
    if stored == fingerprint:
        return
    if stored is not None and store.count_calls() > 0:
        raise SaltError(
            f"this IP salt (fingerprint {fingerprint}) is not the one the store's calls were hashed with "
            f"(fingerprint {stored}): a different salt would change every hashed_ip. Start with the "
            "original salt (its file or value)."
        )
    if remember:
        store.put_setting(FINGERPRINT_SETTING, fingerprint)


def existing_salt(data_dir: Path, *, value: str | None = None, file: Path | None = None) -> bytes:
    """The salt a running gateway uses, for tools (``logs forget --ip``): never creates one."""
    if value is None and file is None and not (data_dir / SALT_FILE).exists():
        raise SaltError(
            f"no IP salt at {data_dir / SALT_FILE}: point --data-dir at the gateway's data directory, "
            "or give its salt (--salt-file, or the WILDCHAT_SALT environment variable)"
        )
    return load_salt(data_dir, store_has_calls=True, value=value, file=file)


def canonical_ip(ip: str) -> str:
    """One spelling per address, so ``::ffff:1.2.3.4`` and ``1.2.3.4`` get the same hash."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip()
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


class IpHasher:
    """``hasher(ip)`` -> HMAC-SHA256(salt, canonical ip) as hex."""

    __slots__ = ("_key",)

    def __init__(self, salt: bytes) -> None:
        if len(salt) < MIN_OPERATOR_SALT_BYTES:
            raise SaltError(f"an IP salt needs at least {MIN_OPERATOR_SALT_BYTES} bytes")
        self._key = salt

    def __call__(self, ip: str) -> str:
        return hmac.new(self._key, canonical_ip(ip).encode("ascii", "replace"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never show the salt
        return "IpHasher(<secret salt>)"
