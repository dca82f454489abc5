"""The OpenAPI 3.1 document of an app's routes, generated from what their endpoints were compiled from.

Parameters, request bodies and responses come from each route's ``EndpointPlan`` (see
``covet.endpoints``); JSON Schemas of Structs, dataclasses and TypedDicts come from msgspec's
``schema_components`` and land in ``components/schemas``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Annotated, Any, Optional, Union

import msgspec

from covet._speedups.messages import BaseResponse
from covet.dependencies import RequestParam
from covet.endpoints import EndpointPlan
from covet.params import strip_optional
from covet.routing import Mount, Route, Segment

OPENAPI_VERSION = "3.1.0"
_REF_TEMPLATE = "#/components/schemas/{name}"


class ValidationError(msgspec.Struct):
    """One bad field of a request (documents ``covet.validation``'s error items)."""

    loc: list[Union[str, int]]
    msg: str
    type: str


class HTTPValidationError(msgspec.Struct):
    """The 422 answer to a request whose parameters or body do not fit."""

    detail: list[ValidationError]


_CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
    "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
}


class _Schemas:
    """Collects the types the document needs, to render all their schemas in one msgspec call."""

    def __init__(self) -> None:
        self._wanted: list[tuple[Any, dict[str, Any]]] = []

    def of(self, annotation: Any) -> dict[str, Any]:
        """A placeholder that becomes ``annotation``'s schema when ``components()`` runs."""
        placeholder: dict[str, Any] = {}
        self._wanted.append((annotation, placeholder))
        return placeholder

    def components(self) -> dict[str, Any]:
        if not self._wanted:
            return {}
        schemas, components = msgspec.json.schema_components(
            [annotation for annotation, _ in self._wanted], schema_hook=_any_value, ref_template=_REF_TEMPLATE
        )
        for (_, placeholder), schema in zip(self._wanted, schemas, strict=True):
            placeholder.update(schema)
        return components


def _any_value(annotation: Any) -> dict[str, Any]:
    """Types msgspec has no schema for (``object``, custom classes): any value, titled by the type."""
    return {"title": getattr(annotation, "__name__", repr(annotation))}


def build_document(
    routes: Iterable[Union[Route, Mount]], title: str, version: str, description: Optional[str] = None
) -> dict[str, Any]:
    """The OpenAPI document of ``routes`` (mounts and routes with ``include_in_schema=False`` left out)."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for route in routes:
        if not isinstance(route, Route) or route.plan is None:
            continue  # mounts and WebSocket routes are not operations
        plan = route.plan
        if not plan.options.get("include_in_schema", True):
            continue
        item = paths.setdefault(openapi_path(route.segments), {})
        for method in sorted(route.methods):
            operation = _operation(route, plan, method, schemas)
            if operation["operationId"] in operation_ids:
                raise ValueError(
                    f"operation_id {operation['operationId']!r} of {method} {route.path} is used twice; "
                    "operation ids must be unique"
                )
            operation_ids.add(operation["operationId"])
            item[method.lower()] = operation
    info: dict[str, Any] = {"title": title, "version": version}
    if description:
        info["description"] = description
    document: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": info, "paths": paths}
    components = schemas.components()
    if components:
        document["components"] = {"schemas": components}
    return document


def openapi_path(segments: list[Segment]) -> str:
    """``/users/{id:int}`` as OpenAPI writes it: ``/users/{id}``."""
    return "/" + "/".join(s if isinstance(s, str) else "{" + s[0] + "}" for s in segments)


def _operation(route: Route, plan: EndpointPlan, method: str, schemas: _Schemas) -> dict[str, Any]:
    options = plan.options
    name = getattr(plan.handler, "__name__", "handler")
    operation: dict[str, Any] = {
        "operationId": options.get("operation_id") or _operation_id(route, method),
        "summary": options.get("summary") or name.replace("_", " ").strip().title(),
    }
    description = options.get("description") or inspect.getdoc(plan.handler)
    if description:
        operation["description"] = description
    if options.get("tags"):
        operation["tags"] = list(options["tags"])
    if options.get("deprecated"):
        operation["deprecated"] = True
    parameters = _parameters(route, plan, schemas)
    if parameters:
        operation["parameters"] = parameters
    if plan.body is not None:
        operation["requestBody"] = {
            "required": plan.body.required,
            "content": {plan.body.media_type: {"schema": schemas.of(plan.body.model)}},
        }
    operation["responses"] = _responses(plan, bool(parameters) or plan.body is not None, schemas)
    return operation


def _operation_id(route: Route, method: str) -> str:
    return re.sub(r"\W", "_", f"{route.name or 'route'}{openapi_path(route.segments)}_{method.lower()}")


def _parameters(route: Route, plan: EndpointPlan, schemas: _Schemas) -> list[dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for dependant in plan.dependants():
        for param in dependant.params:
            if param.location is None or (param.location, param.alias) in found:
                continue
            if param.marker is not None and not param.marker.include_in_schema:
                continue
            found[(param.location, param.alias)] = _parameter(param, schemas)
    for segment in route.segments:
        if not isinstance(segment, str) and ("path", segment[0]) not in found:
            name, converter = segment
            schema = dict(_CONVERTER_SCHEMAS.get(converter.name, {"type": "string"}))
            found[("path", name)] = {"name": name, "in": "path", "required": True, "schema": schema}
    return list(found.values())


def _parameter(param: RequestParam, schemas: _Schemas) -> dict[str, Any]:
    annotation, _ = strip_optional(param.annotation)
    marker = param.marker
    meta = marker.meta() if marker is not None else None
    if meta is not None:
        annotation = Annotated[annotation, meta]
    described: dict[str, Any] = {
        "name": param.alias,
        "in": param.location,
        "required": param.location == "path" or param.required,
        "schema": schemas.of(annotation),
    }
    if marker is not None and marker.description:
        described["description"] = marker.description
    if marker is not None and marker.deprecated:
        described["deprecated"] = True
    if not param.required and param.default is not None and _is_json_value(param.default):
        described["schema"]["default"] = param.default  # 3.1 schemas may put keywords beside a $ref
    return described


def _is_json_value(value: Any) -> bool:
    try:
        msgspec.json.encode(value)
    except TypeError:
        return False
    return True


def _responses(plan: EndpointPlan, validates: bool, schemas: _Schemas) -> dict[str, Any]:
    status = str(plan.status_code)
    success: dict[str, Any] = {"description": _status_phrase(plan.status_code, "Successful Response")}
    content = _success_content(plan, schemas)
    if content:
        success["content"] = content
    responses: dict[str, Any] = {status: success}
    if validates:
        responses["422"] = {
            "description": "Validation Error",
            "content": {"application/json": {"schema": schemas.of(HTTPValidationError)}},
        }
    for code, extra in (plan.options.get("responses") or {}).items():
        described = {k: v for k, v in extra.items() if k != "model"}
        described.setdefault("description", _status_phrase(code, "Response"))
        if "model" in extra:
            described["content"] = {"application/json": {"schema": schemas.of(extra["model"])}}
        responses[str(code)] = described
    return responses


def _status_phrase(code: Union[int, str], fallback: str) -> str:
    try:
        return HTTPStatus(int(code)).phrase
    except ValueError:
        return fallback


def _success_content(plan: EndpointPlan, schemas: _Schemas) -> dict[str, Any]:
    """What the success response carries: the model's schema, or what ``to_response`` would send."""
    model = plan.response_model
    if model is type(None) or plan.status_code in (204, 304):
        return {}
    if model is not None:
        return {"application/json": {"schema": schemas.of(model)}}
    try:
        annotation = inspect.signature(plan.handler, eval_str=True).return_annotation
    except NameError:
        annotation = inspect.Signature.empty
    if annotation is str:
        return {"text/plain": {"schema": {"type": "string"}}}
    if annotation in (bytes, bytearray, memoryview):
        return {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    if isinstance(annotation, type) and issubclass(annotation, BaseResponse):
        media_type = getattr(annotation, "media_type", None)
        return {media_type: {}} if media_type else {}
    if annotation is dict:
        return {"application/json": {"schema": {"type": "object"}}}
    if annotation in (list, tuple):
        return {"application/json": {"schema": {"type": "array"}}}
    return {"application/json": {"schema": {}}}
