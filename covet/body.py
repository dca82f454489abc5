"""The request body of a route: JSON decoded and validated in one msgspec pass, or a form.

One JSON body parameter (``item: Item``) is the whole body. Several, or one declared
``Body(embed=True)``, are the fields of one JSON object: a Struct with one field per parameter is
made for the route, so the body is still decoded in a single pass and documented as one schema.
A body that is not JSON is 400; one that does not fit is 422 with every bad field (see
``covet.validation.body_errors``); a content type other than JSON is 415.

``Form()`` and ``File()`` parameters (or ``UploadFile`` ones) read ``request.form()`` instead,
each field converted like a query parameter; a route reads JSON or a form, not both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import msgspec.inspect

from covet.datastructures import FormData, UploadFile
from covet.exceptions import HTTPException
from covet.params import (
    REQUIRED,
    Body,
    Form,
    InvalidParam,
    convert_value,
    convert_values,
    converter_for,
    fail_missing,
    sequence_kind,
    strip_optional,
)
from covet.requests import Request
from covet.validation import ErrorDetail, body_errors, error, list_item_type, missing

if TYPE_CHECKING:
    from covet.dependencies import BodyParam

_EMPTY_OBJECT = b"{}"


def request_body(params: list[BodyParam], owner: str) -> JSONBody | FormBody:
    """How a route whose dependency tree has the body parameters ``params`` reads its body."""
    forms = [p for p in params if isinstance(p.marker, Form)]
    if forms and len(forms) != len(params):
        raise TypeError(
            f"{owner}: a route reads a JSON body or a form, not both; make every body field Form()"
        )
    return FormBody(params, owner) if forms else JSONBody(params, owner)


def _unique_fields(params: list[BodyParam], owner: str) -> list[BodyParam]:
    """One parameter per wire name: the handler and its dependencies may share a field."""
    by_alias: dict[str, BodyParam] = {}
    for param in params:
        known = by_alias.setdefault(param.alias, param)
        if known.annotation != param.annotation:
            raise TypeError(
                f"{owner}: body field {param.alias!r} is declared twice with different types "
                f"({known.annotation!r} and {param.annotation!r})"
            )
    return list(by_alias.values())


def _struct_name(owner: str) -> str:
    return f"Body_{owner.replace('.<locals>.', '_').replace('.', '_')}"


class JSONBody:
    """How a route reads its body: ``await read(request, errors)``, then ``pick(body, param)``."""

    def __init__(self, params: list[BodyParam], owner: str) -> None:
        fields = _unique_fields(params, owner)
        self.embedded = len(fields) > 1 or (isinstance(fields[0].marker, Body) and fields[0].marker.embed)
        self.media_type = next((p.marker.media_type for p in fields if p.marker), "application/json")
        if self.embedded:
            self.model: Any = msgspec.defstruct(
                _struct_name(owner),
                [_struct_field(p, p.annotation) for p in fields],
                rename={p.name: p.alias for p in fields},
            )
            self.required = any(p.required for p in fields)
            self._attribute = {p.alias: p.name for p in fields}
            self.default: Any = REQUIRED
        else:
            (only,) = fields
            self.model = only.annotation
            self.required = only.required
            self.default = only.default
            self._attribute = {}
        try:
            self._decoder = msgspec.json.Decoder(self.model)
            if isinstance(msgspec.inspect.type_info(self.model), msgspec.inspect.CustomType):
                raise TypeError("use a msgspec Struct, a dataclass, a TypedDict or a container of them")
        except TypeError as exc:
            raise TypeError(f"{owner}: cannot decode a JSON body into {self.model!r}: {exc}") from None

    async def read(self, request: Request, errors: list[ErrorDetail]) -> Any:
        """The decoded body; what does not fit is added to ``errors`` (the value is then None)."""
        media_type = (request.headers.get("content-type") or "").partition(";")[0].strip().lower()
        data = await request.body()
        if data and media_type and not _is_json(media_type):
            raise HTTPException(
                415, f"request body must be JSON (content-type: application/json), not {media_type}"
            )
        if not data.strip():
            if not self.embedded:
                if self.required:
                    errors.append(missing(("body",)))
                return self.default
            data = _EMPTY_OBJECT
        try:
            return self._decoder.decode(data)
        except msgspec.ValidationError:
            pass
        except msgspec.DecodeError as exc:
            raise HTTPException(400, f"request body is not valid JSON: {exc}") from None
        errors.extend(body_errors(msgspec.json.decode(data), self.model, ("body",)))
        return None

    def pick(self, body: Any, param: BodyParam) -> Any:
        """The value of ``param`` from what ``read`` returned."""
        if not self.embedded or body is None:
            return body
        return getattr(body, self._attribute[param.alias])


def _struct_field(param: BodyParam, annotation: Any) -> tuple[str, Any] | tuple[str, Any, Any]:
    if param.required:
        return (param.name, annotation)
    return (param.name, annotation, param.default)


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")



_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# How an uploaded file is documented: OpenAPI's binary string.
_BINARY = Annotated[str, msgspec.Meta(extra_json_schema={"format": "binary"})]


class FormBody:
    """How a route reads a form: every field taken and converted by ``read``, then ``pick``ed."""

    def __init__(self, params: list[BodyParam], owner: str) -> None:
        fields = _unique_fields(params, owner)
        self.fields = [_FormField(p) for p in fields]
        multipart = any(f.is_file for f in self.fields) or any(
            p.marker is not None and p.marker.media_type == "multipart/form-data" for p in fields
        )
        self.media_type = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
        self.required = any(p.required for p in fields)
        # Only documents the form (OpenAPI); the values are converted field by field.
        self.model: Any = msgspec.defstruct(
            _struct_name(owner),
            [_struct_field(p, f.schema_type) for p, f in zip(fields, self.fields, strict=True)],
            rename={p.name: p.alias for p in fields},
        )

    async def read(self, request: Request, errors: list[ErrorDetail]) -> dict[str, Any]:
        media_type = (request.headers.get("content-type") or "").partition(";")[0].strip().lower()
        if media_type in _FORM_TYPES:
            form = await request.form()
        elif media_type and await request.body():
            expected = " or ".join(_FORM_TYPES)
            raise HTTPException(415, f"request body must be a form ({expected}), not {media_type}")
        else:
            form = FormData()
        values: dict[str, Any] = {}
        for field in self.fields:
            try:
                values[field.alias] = await field.take(form)
            except InvalidParam as exc:
                errors.append(exc.detail)
        return values

    def pick(self, values: dict[str, Any], param: BodyParam) -> Any:
        return values.get(param.alias)


class _FormField:
    """One form field: text converted like a query parameter, or uploaded files."""

    def __init__(self, param: BodyParam) -> None:
        self.alias = param.alias
        self.default = param.default
        self.required = param.required
        base, _ = strip_optional(param.annotation)
        item = list_item_type(base)
        self.many = item is not None
        element = item if item is not None else base
        self.as_bytes = element is bytes
        self.is_file = self.as_bytes or (isinstance(element, type) and issubclass(element, UploadFile))
        self.kind = sequence_kind(base) if self.many else list
        meta = param.marker.meta() if param.marker is not None else None
        self.convert = None if self.is_file else converter_for(element, meta)
        schema_element = _BINARY if self.is_file else (element if meta is None else Annotated[element, meta])
        self.schema_type: Any = list[schema_element] if self.many else schema_element  # type: ignore[valid-type]

    async def take(self, form: FormData) -> Any:
        items = form.getlist(self.alias)
        if not items:
            if self.required:
                raise fail_missing("body", self.alias)
            return list(self.default) if isinstance(self.default, list) else self.default
        wanted = UploadFile if self.is_file else str
        if any(not isinstance(item, wanted) for item in items):
            expected, got = ("a file", "text") if self.is_file else ("text", "a file")
            raise InvalidParam(error(("body", self.alias), f"Expected {expected}, got {got}", "type_error"))
        if self.is_file:
            files = [await item.read() if self.as_bytes else item for item in items]  # type: ignore[union-attr]
            return files if self.many else files[-1]
        if self.many:
            return convert_values(self.convert, items, "body", self.alias, self.kind)
        return convert_value(self.convert, items[-1], "body", self.alias)
