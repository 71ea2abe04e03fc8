"""Offline geolocation over the bundled DB-IP City Lite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wildchat.collect.geo import NOWHERE, GeoError, GeoLocator, Location, bundled_database


@pytest.fixture(scope="module")
def locator() -> Iterator[GeoLocator]:
    opened = GeoLocator()
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("ip", "country", "state"),
    [
        # What the bundled DB-IP City Lite (2023-04) says; English names as WildChat stores them.
        ("8.8.8.8", "United States", "California"),
        ("1.1.1.1", "Australia", "New South Wales"),
        ("81.2.69.142", "United Kingdom", "England"),
        ("133.11.0.1", "Japan", "Tokyo"),
        ("::ffff:8.8.8.8", "United States", "California"),
    ],
)
def test_public_addresses_get_country_and_state(
    locator: GeoLocator, ip: str, country: str, state: str
) -> None:
    assert locator.lookup(ip) == Location(country, state)


@pytest.mark.parametrize(
    "ip",
    ["10.1.2.3", "192.168.0.10", "172.16.5.5", "127.0.0.1", "::1", "169.254.10.10", "fe80::1", "fc00::1",
     "240.0.0.1", "100.64.0.1", "0.0.0.0", "224.0.0.1", "not an ip", ""],
)  # fmt: skip
def test_non_public_addresses_have_no_location(locator: GeoLocator, ip: str) -> None:
    assert locator.lookup(ip) == NOWHERE
    assert locator.lookup(ip).country is None and locator.lookup(ip).state is None


def test_lookups_are_cached(locator: GeoLocator) -> None:
    locator.lookup("8.8.4.4")
    hits = locator.lookup.cache_info().hits
    locator.lookup("8.8.4.4")
    assert locator.lookup.cache_info().hits == hits + 1


def test_bundled_database_is_found_and_a_bad_path_is_a_clear_error(tmp_path: Path) -> None:
    assert bundled_database().suffix == ".mmdb"
    with pytest.raises(GeoError, match="cannot open the geolocation database"):
        GeoLocator(tmp_path / "GeoLite2-City.mmdb")
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a maxmind database" * 100)
    with pytest.raises(GeoError, match="cannot open the geolocation database"):
        GeoLocator(broken)
