"""Store URLs: ``sqlite:///path`` (relative) or ``sqlite:////abs/path``, and ``postgresql://...``.

A store's ``url`` attribute is printed in logs and written into export metadata, so it is always
the redacted form: no password, in the user-info part or in the query string.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wildchat.collect.store.base import LogStore, StoreError

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres")


def sqlite_url(path: Path | str) -> str:
    """The URL of an SQLite store file (absolute paths give the ``sqlite:////abs`` form)."""
    return SQLITE_PREFIX + str(path)


def redact_url(url: str) -> str:
    """``url`` without any password, safe to print and to store."""
    if url.startswith(SQLITE_PREFIX):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable store URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{host}" if user else host
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def open_store(url: str, *, create: bool = True) -> LogStore:
    """Open the store at ``url``. ``create=False`` refuses to create a new SQLite file (for the CLI).

    Raises ``StoreError`` with a message naming the (redacted) URL when it cannot be opened.
    """
    if url.startswith(SQLITE_PREFIX):
        from wildchat.collect.store.sqlite import SQLiteStore

        path, _, query = url[len(SQLITE_PREFIX) :].partition("?")
        if not path or path == ":memory:":
            raise StoreError(
                f"{url!r}: an SQLite store needs a file path, e.g. sqlite:///wildchat-data/logs.sqlite3"
            )
        options = dict(parse_qsl(query))
        synchronous = options.pop("synchronous", "full").lower()
        if options or synchronous not in ("full", "normal"):
            raise StoreError(
                f"{url!r}: the only SQLite option is ?synchronous=full (the default: every commit "
                "survives power loss) or ?synchronous=normal (commits survive a crash or kill -9 of "
                "the service, not a power cut)"
            )
        return SQLiteStore(Path(path), create=create, synchronous=synchronous)
    scheme = url.split(":", 1)[0].lower()
    if scheme in POSTGRES_SCHEMES:
        from wildchat.collect.store.postgres import PostgresStore

        return PostgresStore(url)
    raise StoreError(
        f"unsupported store URL {redact_url(url)!r}: use sqlite:///PATH (sqlite:////ABS/PATH) "
        "or postgresql://USER@HOST:PORT/DATABASE"
    )
