"""Value adaptation shared by the backends whose drivers do not adapt everything themselves.

PostgreSQL (psycopg) adapts every Python type natively and gets only two dumpers from
CovetPy (dicts and :class:`Json` as jsonb, Enum members as their value). SQLite and MySQL get
their parameters passed through :func:`adapt_params` with a per-backend table of adapters; values
of the types the driver handles itself cost one set lookup each.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional

import orjson

__all__ = ["Json", "adapt_params", "json_loads"]

Adapter = Callable[[Any], Any]


class Json:
    """Mark a value to be stored as JSON: ``Json([1, 2])``. Dicts are stored as JSON by default;
    lists are not (they are arrays on PostgreSQL and ``IN`` lists on MySQL), so wrap them."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __repr__(self) -> str:
        return f"Json({self.obj!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Json) and other.obj == self.obj

    def __hash__(self) -> int:
        return hash(orjson.dumps(self.obj))


def json_loads(data: bytes | str) -> Any:
    return orjson.loads(data)


_PASSTHROUGH: frozenset[type] = frozenset({int, float, str, bytes, bool, type(None)})


def adapt_value(value: Any, adapters: Mapping[type, Adapter]) -> Any:
    """One value → what the driver accepts (the slow path of :func:`adapt_params`)."""
    adapter = adapters.get(type(value))
    if adapter is not None:
        return adapter(value)
    if isinstance(value, enum.Enum):
        return adapt_value(value.value, adapters)
    for cls, fn in adapters.items():  # subclasses of adapted types (e.g. a datetime subclass)
        if isinstance(value, cls):
            return fn(value)
    return value


def adapt_params(params: Any, adapters: Mapping[type, Adapter]) -> Any:
    """Parameters with every value the driver cannot take replaced by one it can.

    Returns ``params`` itself when nothing needed adapting (the common case).
    """
    if params is None:
        return None
    if isinstance(params, Mapping):
        for value in params.values():
            if type(value) not in _PASSTHROUGH:
                return {key: adapt_value(v, adapters) for key, v in params.items()}
        return params
    for value in params:
        if type(value) not in _PASSTHROUGH:
            return tuple([adapt_value(v, adapters) for v in params])
    return params


def adapt_many(seq: Sequence[Any], adapters: Mapping[type, Adapter]) -> list[Any]:
    return [adapt_params(params, adapters) for params in seq]


# -- Adapters by backend ------------------------------------------------------------------------


def _iso_datetime(value: datetime.datetime) -> str:
    return value.isoformat(" ")


def _utc_naive(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(datetime.UTC).replace(tzinfo=None)


def _json_text(value: Any) -> str:
    return orjson.dumps(value.obj if isinstance(value, Json) else value).decode()


SQLITE_ADAPTERS: dict[type, Adapter] = {
    decimal.Decimal: str,
    uuid.UUID: str,
    datetime.datetime: _iso_datetime,
    datetime.date: datetime.date.isoformat,
    datetime.time: datetime.time.isoformat,
    dict: _json_text,
    Json: _json_text,
    bytearray: bytes,
    memoryview: bytes,
}

MYSQL_ADAPTERS: dict[type, Adapter] = {
    uuid.UUID: str,
    datetime.datetime: _utc_naive,
    dict: _json_text,
    Json: _json_text,
    memoryview: bytes,
}


# -- SQLite converters, by declared column type --------------------------------------------------


def _lenient(parse: Callable[[str], Any]) -> Callable[[bytes], Any]:
    def convert(data: bytes) -> Any:
        text = data.decode()
        try:
            return parse(text)
        except ValueError:
            return text  # a value that does not parse stays the text it is

    return convert


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "t"):
        return True
    if lowered in ("0", "false", "f"):
        return False
    raise ValueError(text)


class _BooleanText(dict[bytes, Any]):
    """b"1" → True, b"0" → False as a dict lookup (no Python call per value); others parsed."""

    def __missing__(self, data: bytes) -> Any:
        return _lenient(_parse_bool)(data)


_BOOLEANS = _BooleanText({b"1": True, b"0": False})


def _parse_date(text: str) -> datetime.date:
    if len(text) > 10:
        return datetime.datetime.fromisoformat(text).date()
    return datetime.date.fromisoformat(text)


# Registered with sqlite3.register_converter: each converts the text SQLite stored in a column
# declared with that type name (the first word of the declaration, case-insensitive).
SQLITE_CONVERTERS: dict[str, Callable[[bytes], Any]] = {
    "DATE": _lenient(_parse_date),
    "TIME": _lenient(datetime.time.fromisoformat),
    "DATETIME": _lenient(datetime.datetime.fromisoformat),
    "TIMESTAMP": _lenient(datetime.datetime.fromisoformat),
    "TIMESTAMPTZ": _lenient(datetime.datetime.fromisoformat),
    "DECIMAL": _lenient(decimal.Decimal),
    "UUID": _lenient(uuid.UUID),
    "JSON": orjson.loads,
    "JSONB": orjson.loads,
    "BOOLEAN": _BOOLEANS.__getitem__,
    "BOOL": _BOOLEANS.__getitem__,
}


def parse_mysql_time(data: bytes | str) -> Optional[datetime.time | datetime.timedelta]:
    """MySQL TIME → ``datetime.time`` when it is a time of day, else the interval it is."""
    text = data.decode() if isinstance(data, bytes) else data
    negative = text.startswith("-")
    hours_text, _, rest = text.lstrip("-").partition(":")
    minutes_text, _, seconds_text = rest.partition(":")
    seconds_text, _, fraction = seconds_text.partition(".")
    try:
        hours, minutes, seconds = int(hours_text), int(minutes_text), int(seconds_text or 0)
        micros = int((fraction + "000000")[:6]) if fraction else 0
    except ValueError:
        return None
    if not negative and hours < 24:
        return datetime.time(hours, minutes, seconds, micros)
    delta = datetime.timedelta(hours=hours, minutes=minutes, seconds=seconds, microseconds=micros)
    return -delta if negative else delta
