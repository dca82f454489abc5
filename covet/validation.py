"""Turning msgspec's validation failures into the 422 answer a client can act on.

msgspec stops at the first bad value of a document. That is all a fast success needs; when a
body fails, ``body_errors`` checks it again field by field (the slow path, only on error) so the
422 lists every bad field, the way FastAPI's does::

    {"detail": [{"loc": ["body", "items", 0, "qty"], "msg": "Expected `int` >= 1", "type": "value_error"}]}
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Optional, Union, get_args, get_origin

import msgspec

from covet.exceptions import HTTPException
from covet.responses import JSONResponse

Loc = tuple[Union[str, int], ...]
ErrorDetail = dict[str, Any]

# "... - at `$.items[0].name`": the path msgspec appends to a message.
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_STEP = re.compile(r"\.(?P<field>[^.\[]+)|\[(?P<index>\d+)\]|\[\.\.\.\]")
_LOCATION_ORDER = {"path": 0, "query": 1, "header": 2, "cookie": 3, "body": 4}
_MISSING = "Object missing required field `"
_UNKNOWN = "Object contains unknown field `"


class RequestValidationError(HTTPException):
    """The request's parameters or body do not fit the handler's annotations: 422 listing each.

    ``errors`` holds one ``{"loc", "msg", "type"}`` per bad field; ``loc`` starts with where the
    value came from (``path``, ``query``, ``header``, ``cookie`` or ``body``).
    """

    def __init__(self, errors: Sequence[ErrorDetail]) -> None:
        # path, query, header, cookie, then body; within one location in the order found.
        self.errors = sorted(errors, key=lambda e: _LOCATION_ORDER.get(e["loc"][0], len(_LOCATION_ORDER)))
        summary = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in self.errors)
        super().__init__(422, f"Invalid request: {summary}")


class ResponseValidationError(TypeError):
    """A handler returned a value that does not fit its return annotation (or response_model)."""


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    """The standard 422 answer: ``{"detail": [...]}``."""
    return JSONResponse({"detail": exc.errors}, status_code=422, headers=exc.headers or None)


def answer_validation_error(request: Any, exc: RequestValidationError) -> JSONResponse:
    """The app's default exception handler for RequestValidationError (replace it as any other)."""
    return validation_error_response(exc)


def error(loc: Loc, msg: str, kind: Optional[str] = None) -> ErrorDetail:
    return {"loc": list(loc), "msg": msg, "type": kind or error_type(msg)}


def error_type(msg: str) -> str:
    """A short machine-readable kind for one of msgspec's messages."""
    if ", got `" in msg:
        return "type_error"
    return "value_error"


def from_msgspec(exc: msgspec.ValidationError, loc: Loc) -> ErrorDetail:
    """One error for msgspec's ``exc``, its ``$...`` path appended to ``loc``."""
    message = str(exc)
    steps: list[Union[str, int]] = []
    match = _AT.search(message)
    if match is not None:
        message = message[: match.start()]
        for step in _STEP.finditer(match["path"]):
            if step["field"] is not None:
                steps.append(step["field"])
            elif step["index"] is not None:
                steps.append(int(step["index"]))
            # "[...]" is a dict key msgspec does not name: the dict itself is as precise as it gets.
    for prefix, kind in ((_MISSING, "missing"), (_UNKNOWN, "extra_forbidden")):
        if message.startswith(prefix) and message.endswith("`"):
            steps.append(message[len(prefix) : -1])
            return error((*loc, *steps), "Field required" if kind == "missing" else message, kind)
    return error((*loc, *steps), message)


def missing(loc: Loc) -> ErrorDetail:
    return error(loc, "Field required", "missing")


# -- collecting every error of a body ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Field:
    encode_name: str
    annotation: Any
    required: bool


def body_errors(value: Any, annotation: Any, loc: Loc) -> list[ErrorDetail]:
    """Every error in ``value`` (decoded JSON) against ``annotation``, not just msgspec's first.

    Objects (Structs, dataclasses, TypedDicts) and lists of them are checked field by field and
    item by item; anything else reports msgspec's own error.
    """
    try:
        msgspec.convert(value, annotation)
    except msgspec.ValidationError as exc:
        found = list(_detailed_errors(value, annotation, loc))
        return found or [from_msgspec(exc, loc)]
    return []


def _detailed_errors(value: Any, annotation: Any, loc: Loc) -> Iterator[ErrorDetail]:
    base = _strip_annotated(annotation)
    fields = _object_fields(base)
    if fields is not None and isinstance(value, dict):
        yield from _object_errors(value, base, fields, loc)
        return
    item = list_item_type(base)
    if item is not None and isinstance(value, list):
        for index, element in enumerate(value):
            yield from body_errors(element, item, (*loc, index))


def _object_errors(value: dict[str, Any], cls: Any, fields: list[_Field], loc: Loc) -> Iterator[ErrorDetail]:
    found = False
    for field in fields:
        if field.encode_name not in value:
            if field.required:
                found = True
                yield missing((*loc, field.encode_name))
            continue
        for detail in body_errors(value[field.encode_name], field.annotation, (*loc, field.encode_name)):
            found = True
            yield detail
    config = getattr(cls, "__struct_config__", None)
    if config is not None and config.forbid_unknown_fields:
        known = {f.encode_name for f in fields}
        for key in value:
            if key not in known:
                found = True
                yield error((*loc, key), f"Object contains unknown field `{key}`", "extra_forbidden")
    if not found:
        # Every field fits alone, so the object as a whole is refused (e.g. __post_init__ raised).
        try:
            msgspec.convert(value, cls)
        except msgspec.ValidationError as exc:
            yield from_msgspec(exc, loc)


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _object_fields(cls: Any) -> Optional[list[_Field]]:
    """The fields of a Struct, dataclass or TypedDict type, as they appear in JSON; else None."""
    if not isinstance(cls, type):
        return None
    if issubclass(cls, msgspec.Struct):
        return [
            _Field(f.encode_name, f.type, f.required) for f in msgspec.structs.fields(cls)
        ]
    hints = _hints(cls)
    if dataclasses.is_dataclass(cls):
        return [
            _Field(
                f.name,
                hints.get(f.name, Any),
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(cls)
            if f.init
        ]
    if typing.is_typeddict(cls):
        required: Iterable[str] = getattr(cls, "__required_keys__", ())
        return [_Field(name, hint, name in required) for name, hint in hints.items()]
    return None


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except (NameError, TypeError):
        return {}


def list_item_type(annotation: Any) -> Any:
    """``T`` for ``list[T]``, ``set[T]``, ``frozenset[T]`` and ``tuple[T, ...]``, else None."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (list, set, frozenset) and len(args) == 1:
        return args[0]
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None
