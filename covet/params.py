"""Where a handler parameter comes from, and how its value is taken from the request.

Declare a source with ``Annotated``::

    async def search(
        q: Annotated[str, Query(max_length=50, description="words to look for")],
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        agent: Annotated[str | None, Header(alias="user-agent")] = None,
        session: Annotated[str | None, Cookie()] = None,
    ) -> list[Item]: ...

Without a marker a name from the path template is a path parameter, a scalar (``int``,
``str``, ``UUID``, an ``Enum``, ...) a query parameter and ``list[int]`` a repeated one.
Constraints (``gt``, ``ge``, ``lt``, ``le``, ``multiple_of``, ``min_length``, ``max_length``,
``pattern``) are checked by msgspec and shown in the OpenAPI document.

Each parameter is compiled once into an extractor, ``extract(request) -> value``, that raises
``InvalidParam`` with the error to report; nothing about the signature is looked at per request.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import types
import typing
import uuid
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any, ClassVar, Literal, Optional, Union, get_args, get_origin

import msgspec

from covet.requests import Request
from covet.validation import ErrorDetail, from_msgspec, missing

__all__ = ["Body", "Cookie", "Header", "InvalidParam", "Param", "Path", "Query"]

Location = Literal["path", "query", "header", "cookie", "body"]
Extractor = Callable[[Request], Any]
Converter = Callable[[Any], Any]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Param:
    """A parameter's source and constraints (use a subclass: ``Query``, ``Header``, ...).

    ``alias`` is the name on the wire when it differs from the Python name. ``title``,
    ``description``, ``examples`` and ``deprecated`` go into the OpenAPI document;
    ``include_in_schema=False`` leaves the parameter out of it.
    """

    location: ClassVar[Location]

    alias: Optional[str] = None
    title: Optional[str] = None
    description: Optional[str] = None
    examples: Optional[list[Any]] = None
    deprecated: bool = False
    include_in_schema: bool = True
    gt: Optional[float] = None
    ge: Optional[float] = None
    lt: Optional[float] = None
    le: Optional[float] = None
    multiple_of: Optional[float] = None
    min_length: Optional[int] = None
    max_length: Optional[int] = None
    pattern: Optional[str] = None

    def meta(self) -> Optional[msgspec.Meta]:
        """The constraints and documentation as a ``msgspec.Meta`` (None when there are none)."""
        keys = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern",
                "title", "description", "examples")
        given = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        return msgspec.Meta(**given) if given else None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Query(Param):
    """A query-string parameter; ``list[T]`` takes every occurrence (``?tag=a&tag=b``)."""

    location: ClassVar[Location] = "query"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Path(Param):
    """A parameter from the path template (the router has already applied its converter)."""

    location: ClassVar[Location] = "path"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Header(Param):
    """A request header; ``user_agent`` reads ``user-agent`` unless ``convert_underscores=False``."""

    location: ClassVar[Location] = "header"
    convert_underscores: bool = True


@dataclasses.dataclass(frozen=True, kw_only=True)
class Cookie(Param):
    """A cookie sent by the client."""

    location: ClassVar[Location] = "cookie"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Body(Param):
    """A JSON body value. One body parameter is the whole body unless ``embed=True``; several
    are the fields of one JSON object, each under its name (or ``alias``)."""

    location: ClassVar[Location] = "body"
    embed: bool = False
    media_type: str = "application/json"


class InvalidParam(Exception):
    """Raised by an extractor: the value is missing or does not fit; ``detail`` says which."""

    def __init__(self, detail: ErrorDetail) -> None:
        super().__init__(detail["msg"])
        self.detail = detail


# -- what a type means for a parameter ---------------------------------------------------------

_SCALARS: tuple[type, ...] = (
    str, int, float, bool, decimal.Decimal, uuid.UUID,
    datetime.datetime, datetime.date, datetime.time, datetime.timedelta, enum.Enum,
)
_SEQUENCES = (list, tuple, set, frozenset)


def strip_optional(annotation: Any) -> tuple[Any, bool]:
    """``(T, True)`` for ``T | None`` / ``Optional[T]``, else ``(annotation, False)``."""
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) < len(get_args(annotation)):
            rest = args[0] if len(args) == 1 else Union[tuple(args)]
            return rest, True
    return annotation, False


def is_scalar(annotation: Any) -> bool:
    """True for types a single query/header/path string converts to."""
    annotation, _ = strip_optional(annotation)
    if annotation is Any:
        return True
    origin = get_origin(annotation)
    if origin is Literal:
        return True
    if origin is Union or origin is types.UnionType:
        return all(is_scalar(a) for a in get_args(annotation))
    if origin is typing.Annotated:
        return is_scalar(get_args(annotation)[0])
    supertype = getattr(annotation, "__supertype__", None)  # typing.NewType
    if supertype is not None:
        return is_scalar(supertype)
    return isinstance(annotation, type) and issubclass(annotation, _SCALARS)


def sequence_item(annotation: Any) -> Any:
    """``T`` for ``list[T]``/``tuple[T, ...]``/``set[T]`` of a scalar ``T``, else None."""
    annotation, _ = strip_optional(annotation)
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (list, set, frozenset) and len(args) == 1 and is_scalar(args[0]):
        return args[0]
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis and is_scalar(args[0]):
        return args[0]
    if annotation in _SEQUENCES:
        return str
    return None


def converter_for(annotation: Any, meta: Optional[msgspec.Meta]) -> Optional[Converter]:
    """How a raw (string) value becomes ``annotation``: None when it is taken as it is.

    msgspec's lax mode converts ``"42"`` to ``42`` and ``"true"`` to ``True``; a value that
    does not fit raises ``msgspec.ValidationError``.
    """
    target, _ = strip_optional(annotation)
    if meta is None and target in (str, Any):
        return None
    if meta is not None:
        target = typing.Annotated[target, meta]
    convert = msgspec.convert

    if target is int:
        # PERF: plain digits are the common case and int() is several times faster than convert.
        def to_int(raw: Any) -> Any:
            if type(raw) is int:
                return raw
            if type(raw) is str and raw.isascii() and raw.isdigit():
                return int(raw)
            return convert(raw, int, strict=False)

        return to_int

    def to_target(raw: Any) -> Any:
        return convert(raw, target, strict=False)

    return to_target


# -- extractors --------------------------------------------------------------------------------

REQUIRED: Any = object()  # the default of a parameter the request must carry


def _fail_missing(location: str, alias: str) -> InvalidParam:
    return InvalidParam(missing((location, alias)))


def _convert_one(convert: Optional[Converter], raw: Any, location: str, alias: str) -> Any:
    if convert is None:
        return raw
    try:
        return convert(raw)
    except msgspec.ValidationError as exc:
        raise InvalidParam(from_msgspec(exc, (location, alias))) from None


def _convert_many(
    convert: Optional[Converter], raws: list[Any], location: str, alias: str, kind: type
) -> Any:
    if convert is None:
        return raws if kind is list else kind(raws)
    values = []
    for index, raw in enumerate(raws):
        try:
            values.append(convert(raw))
        except msgspec.ValidationError as exc:
            raise InvalidParam(from_msgspec(exc, (location, alias, index))) from None
    return values if kind is list else kind(values)


def make_extractor(
    location: Location,
    alias: str,
    annotation: Any,
    default: Any,
    meta: Optional[msgspec.Meta],
) -> Extractor:
    """The extractor of one path, query, header or cookie parameter (``default`` may be REQUIRED)."""
    required = default is REQUIRED
    if location == "path":
        if sequence_item(annotation) is not None:
            raise TypeError(f"path parameter {alias!r} cannot be a list")
        convert_path = converter_for(annotation, meta)

        def extract_path(request: Request) -> Any:
            value = request.path_params.get(alias, REQUIRED)
            if value is REQUIRED:
                raise _fail_missing(location, alias)
            return _convert_one(convert_path, value, location, alias)

        return extract_path
    item = sequence_item(annotation)
    if item is not None:
        read_all = _READERS[location]
        kind = get_origin(strip_optional(annotation)[0]) or strip_optional(annotation)[0]
        convert_item = converter_for(item, meta)

        def extract_many(request: Request) -> Any:
            raws = read_all(request, alias)
            if not raws:
                if required:
                    raise _fail_missing(location, alias)
                return list(default) if isinstance(default, list) else default
            return _convert_many(convert_item, raws, location, alias, kind)

        return extract_many

    convert = converter_for(annotation, meta)
    read_last = _LAST_READERS[location]

    def extract_one(request: Request) -> Any:
        raw = read_last(request, alias)
        if raw is None:
            if required:
                raise _fail_missing(location, alias)
            return default
        return _convert_one(convert, raw, location, alias)

    return extract_one


# What the request carries, read through the Request API.
def _query_values(request: Request, name: str) -> list[str]:
    return request.query_params.get(name) or []


def _query_last(request: Request, name: str) -> Optional[str]:
    values = request.query_params.get(name)
    return values[-1] if values else None


def _header_values(request: Request, name: str) -> list[str]:
    key = name.encode("latin-1")
    return [v.decode("latin-1") for n, v in request.raw_headers if n == key]


def _header_first(request: Request, name: str) -> Optional[str]:
    return request.header(name)


def _cookie(request: Request, name: str) -> Optional[str]:
    header = request.header("cookie")
    if header is None:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def _cookie_values(request: Request, name: str) -> list[str]:
    value = _cookie(request, name)
    return [] if value is None else [value]


_READERS: dict[str, Callable[[Request, str], list[Any]]] = {
    "query": _query_values, "header": _header_values, "cookie": _cookie_values,
}
_LAST_READERS: dict[str, Callable[[Request, str], Optional[str]]] = {
    "query": _query_last, "header": _header_first, "cookie": _cookie,
}
