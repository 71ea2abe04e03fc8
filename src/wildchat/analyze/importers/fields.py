"""Typed access to record fields: each accessor names the field in its error, so users can fix their file.

``field`` arguments are the dotted path a user would look for (``conversations[3].value``); ``data`` is
the dict that holds the last component.
"""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from typing import Any

from wildchat.analyze.importers.base import MalformedInput, Where
from wildchat.records import as_utc

_MISSING = object()


@functools.lru_cache(maxsize=4096)  # the same few hundred field paths come back for every record
def _leaf(field: str) -> str:
    """The key inside its dict: ``conversations[3].value`` -> ``value``."""
    return field.rsplit(".", 1)[-1]


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _get(data: dict[str, Any], field: str, where: Where, required: bool) -> Any:
    value = data.get(_leaf(field), _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise MalformedInput(where, field, "is missing" if value is _MISSING else "is null")
        return None
    return value


def req_str(data: dict[str, Any], field: str, where: Where) -> str:
    value = _get(data, field, where, required=True)
    if not isinstance(value, str):
        raise MalformedInput(where, field, f"must be a string, got {_type_name(value)}")
    return value


def opt_str(data: dict[str, Any], field: str, where: Where, *, empty_is_null: bool = False) -> str | None:
    value = _get(data, field, where, required=False)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedInput(where, field, f"must be a string, got {_type_name(value)}")
    return None if empty_is_null and value == "" else value


def req_list(data: dict[str, Any], field: str, where: Where) -> list[Any]:
    value = _get(data, field, where, required=True)
    if not isinstance(value, list):
        raise MalformedInput(where, field, f"must be an array, got {_type_name(value)}")
    return value


def opt_list(data: dict[str, Any], field: str, where: Where) -> list[Any] | None:
    value = _get(data, field, where, required=False)
    if value is None:
        return None
    if not isinstance(value, list):
        raise MalformedInput(where, field, f"must be an array, got {_type_name(value)}")
    return value


def as_object(value: Any, field: str, where: Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedInput(where, field, f"must be an object, got {_type_name(value)}")
    return value


def opt_object(data: dict[str, Any], field: str, where: Where) -> dict[str, Any] | None:
    value = _get(data, field, where, required=False)
    return None if value is None else as_object(value, field, where)


def opt_bool(data: dict[str, Any], field: str, where: Where) -> bool | None:
    """A boolean; CSV's ``true``/``false`` (any case) and ``1``/``0`` count too, empty is null."""
    value = _get(data, field, where, required=False)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "t", "yes"):
            return True
        if lowered in ("false", "0", "f", "no"):
            return False
        if lowered == "":
            return None
    raise MalformedInput(where, field, f"must be a boolean, got {value!r}")


def opt_int(data: dict[str, Any], field: str, where: Where) -> int | None:
    """An integer; CSV's digit strings and whole floats count too (pandas stores integer columns with
    gaps as float64, NaN for the gaps, as in OpenAssistant's Parquet ``rank``); empty and NaN are null."""
    value = _get(data, field, where, required=False)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        raise MalformedInput(where, field, f"must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        if value.strip() == "":
            return None
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise MalformedInput(where, field, f"must be an integer, got {value!r}")


def opt_float(value: Any, field: str, where: Where) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedInput(where, field, f"must be a number, got {value!r}")
    result = float(value)
    if math.isnan(result):
        return None
    return result


def opt_timestamp(data: dict[str, Any], field: str, where: Where) -> datetime | None:
    """A point in time as UTC.

    Accepts ISO-8601 strings with or without an offset (without one, UTC is meant, as in WildChat's
    exports), datetimes (Parquet), and numbers of seconds or milliseconds since the epoch (pandas'
    default JSON; a value above 10^11 is taken as milliseconds, which misreads only dates before 1973).
    """
    value = _get(data, field, where, required=False)
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, bool):
        raise MalformedInput(where, field, f"must be a timestamp, got {value!r}")
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise MalformedInput(where, field, f"is not a valid epoch time: {value!r}") from exc
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        try:
            return as_utc(datetime.fromisoformat(text))
        except ValueError as exc:
            raise MalformedInput(where, field, f"is not an ISO-8601 timestamp: {value!r}") from exc
    raise MalformedInput(where, field, f"must be a timestamp, got {_type_name(value)}")
