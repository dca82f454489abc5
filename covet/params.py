"""Where a handler parameter comes from, and how its value is taken from the request.

Declare a source with ``Annotated``::

    async def search(
        q: Annotated[str, Query(max_length=50, description="words to look for")],
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        agent: Annotated[str | None, Header(alias="user-agent")] = None,
        session: Annotated[str | None, Cookie()] = None,
    ) -> list[Item]: ...

Without a marker a name from the path template is a path parameter, a scalar (``int``,
``str``, ``UUID``, an ``Enum``, ...) a query parameter, ``list[int]`` a repeated one, a msgspec
Struct, dataclass or TypedDict the JSON body and ``UploadFile`` a file of a multipart form. A
parameter typed ``Request`` — or named ``request`` with no type — receives the request, one typed
``BackgroundTasks`` the request's task list, and ``Depends(...)`` a dependency's value.
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
from typing import Any, ClassVar, Literal, Optional, Union, get_args, get_origin

import msgspec

from covet.requests import Request
from covet.validation import ErrorDetail, from_msgspec, list_item_type, missing

__all__ = ["Body", "Cookie", "File", "Form", "Header", "InvalidParam", "Param", "Path", "Query"]

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


@dataclasses.dataclass(frozen=True, kw_only=True)
class Form(Param):
    """A field of a submitted form (urlencoded or multipart); ``list[T]`` takes every value."""

    location: ClassVar[Location] = "body"
    media_type: str = "application/x-www-form-urlencoded"


@dataclasses.dataclass(frozen=True, kw_only=True)
class File(Form):
    """An uploaded file of a multipart form: ``UploadFile``, ``bytes`` (its content) or a list.

    A parameter annotated ``UploadFile`` is a file field without the marker too.
    """

    media_type: str = "multipart/form-data"


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
    if annotation in _SEQUENCES:
        return str
    item = list_item_type(annotation)
    return item if item is not None and is_scalar(item) else None


def sequence_kind(annotation: Any) -> type:
    """The container a multi-valued parameter's values are collected in: list, tuple, set, ..."""
    base, _ = strip_optional(annotation)
    kind = get_origin(base) or base
    return kind if isinstance(kind, type) else list


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


def fail_missing(location: str, alias: str) -> InvalidParam:
    return InvalidParam(missing((location, alias)))


def convert_value(convert: Optional[Converter], raw: Any, location: str, alias: str) -> Any:
    """``convert(raw)``, its failure an InvalidParam located at ``(location, alias)``."""
    if convert is None:
        return raw
    try:
        return convert(raw)
    except msgspec.ValidationError as exc:
        raise InvalidParam(from_msgspec(exc, (location, alias))) from None


def convert_values(
    convert: Optional[Converter], raws: list[Any], location: str, alias: str, kind: type
) -> Any:
    """Each of ``raws`` converted, as a ``kind`` (list, tuple, set); failures located by index."""
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
                raise fail_missing(location, alias)
            return convert_value(convert_path, value, location, alias)

        return extract_path
    item = sequence_item(annotation)
    if item is not None:
        read_all = _READERS[location]
        kind = sequence_kind(annotation)
        convert_item = converter_for(item, meta)

        def extract_many(request: Request) -> Any:
            raws = read_all(request, alias)
            if not raws:
                if required:
                    raise fail_missing(location, alias)
                return list(default) if isinstance(default, list) else default
            return convert_values(convert_item, raws, location, alias, kind)

        return extract_many

    convert = converter_for(annotation, meta)
    read_last = _LAST_READERS[location]

    def extract_one(request: Request) -> Any:
        raw = read_last(request, alias)
        if raw is None:
            if required:
                raise fail_missing(location, alias)
            return default
        return convert_value(convert, raw, location, alias)

    return extract_one


# What the request carries, read through the Request API.
def _query_values(request: Request, name: str) -> list[str]:
    return request.query_params.getlist(name)


def _query_last(request: Request, name: str) -> Optional[str]:
    return request.query_params.get(name)  # type: ignore[no-any-return]


def _header_values(request: Request, name: str) -> list[str]:
    return request.headers.getlist(name)


def _header_first(request: Request, name: str) -> Optional[str]:
    return request.headers.get(name)  # type: ignore[no-any-return]


def _cookie(request: Request, name: str) -> Optional[str]:
    return request.cookies.get(name)


def _cookie_values(request: Request, name: str) -> list[str]:
    value = request.cookies.get(name)
    return [] if value is None else [value]


_READERS: dict[str, Callable[[Request, str], list[Any]]] = {
    "query": _query_values, "header": _header_values, "cookie": _cookie_values,
}
_LAST_READERS: dict[str, Callable[[Request, str], Optional[str]]] = {
    "query": _query_last, "header": _header_first, "cookie": _cookie,
}
