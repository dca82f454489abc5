"""The JSON request body of a route, decoded and validated in one msgspec pass.

One body parameter (``item: Item``) is the whole body. Several, or one declared
``Body(embed=True)``, are the fields of one JSON object: a Struct with one field per parameter is
made for the route, so the body is still decoded in a single pass and documented as one schema.
A body that is not JSON is 400; one that does not fit is 422 with every bad field (see
``covet.validation.body_errors``); a content type other than JSON is 415.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
import msgspec.inspect

from covet.exceptions import HTTPException
from covet.params import REQUIRED
from covet.requests import Request
from covet.validation import ErrorDetail, body_errors, missing

if TYPE_CHECKING:
    from covet.dependencies import BodyParam

_EMPTY_OBJECT = b"{}"


class JSONBody:
    """How a route reads its body: ``await read(request, errors)``, then ``pick(body, param)``."""

    def __init__(self, params: list[BodyParam], owner: str) -> None:
        by_alias: dict[str, BodyParam] = {}
        for param in params:
            known = by_alias.setdefault(param.alias, param)
            if known.annotation != param.annotation:
                raise TypeError(
                    f"{owner}: body field {param.alias!r} is declared twice with different types "
                    f"({known.annotation!r} and {param.annotation!r})"
                )
        fields = list(by_alias.values())
        self.embedded = len(fields) > 1 or bool(fields[0].marker and fields[0].marker.embed)
        self.media_type = next((p.marker.media_type for p in fields if p.marker), "application/json")
        if self.embedded:
            self.model: Any = msgspec.defstruct(
                f"Body_{owner.replace('.', '_').replace('<locals>_', '')}",
                [_struct_field(p) for p in fields],
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
        media_type = (request.header("content-type") or "").partition(";")[0].strip().lower()
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


def _struct_field(param: BodyParam) -> tuple[str, Any] | tuple[str, Any, Any]:
    if param.required:
        return (param.name, param.annotation)
    return (param.name, param.annotation, param.default)


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")

