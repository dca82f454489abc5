"""Compiling a handler, once, into the ``endpoint(request)`` the app calls per request.

``async def handler(request)`` is its own endpoint: nothing stands between the server and it.
A typed handler — ``async def get_item(id: int, q: str = "x") -> Item`` — gets a specialised
endpoint: its parameters' extractors, dependencies and body decoder are worked out here, at
registration, so a request only runs them. The return value becomes a response by its
annotation (or ``response_model``): a msgspec Struct, dataclass, TypedDict, ``list[...]`` or
``dict[...]`` is validated and encoded with msgspec; a Response passes through; anything else
goes through ``to_response`` (str -> text, bytes -> octet-stream, dict/list/dataclass -> JSON).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import sys
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Optional, TypedDict, Union, get_args, get_origin

import msgspec

from covet._speedups.messages import BaseResponse
from covet.body import FormBody, JSONBody, request_body
from covet.db.records import Record
from covet.dependencies import (
    NO_BODY,
    Dependant,
    Depends,
    Solver,
    Solving,
    SubDependency,
    analyse,
    extract_params,
)
from covet.requests import Request
from covet.responses import JSONResponse, PlainTextResponse, Response
from covet.validation import RequestValidationError, ResponseValidationError

logger = logging.getLogger("covet.error")

__all__ = ["EndpointPlan", "RouteOptions", "compile_endpoint", "to_response"]

Endpoint = Callable[[Request], Awaitable[Any]]


class RouteOptions(TypedDict, total=False):
    """Keyword options of ``@app.get(...)`` and friends (and of ``Router``'s decorators).

    ``status_code`` of a successful answer; ``response_model`` to validate, shape and document
    the return value instead of the return annotation; ``dependencies`` run before the handler
    whose values it does not take (auth checks); the rest documents the operation in OpenAPI
    (``description`` defaults to the handler's docstring; ``responses`` adds answers such as
    ``{404: {"description": "No such item"}}``).
    """

    status_code: int
    response_model: Any
    dependencies: Sequence[Depends]
    summary: str
    description: str
    tags: Sequence[str]
    deprecated: bool
    include_in_schema: bool
    operation_id: str
    responses: dict[Union[int, str], dict[str, Any]]


_OPTION_NAMES = frozenset(RouteOptions.__annotations__)


@dataclasses.dataclass(eq=False)
class EndpointPlan:
    """What a route's endpoint was compiled from; the OpenAPI document is generated from it."""

    handler: Callable[..., Any]
    dependant: Dependant
    route_dependencies: list[SubDependency]
    body: Optional[Union[JSONBody, FormBody]]
    response_model: Any  # None: whatever to_response makes of the value
    status_code: int
    options: RouteOptions

    def dependants(self) -> list[Dependant]:
        """Every dependant whose parameters the request fills (the handler's and below)."""
        found = [d for sub in self.route_dependencies for d in sub.dependant.walk()]
        return found + list(self.dependant.walk())


def check_options(options: dict[str, Any], where: str) -> RouteOptions:
    unknown = sorted(set(options) - _OPTION_NAMES)
    if unknown:
        known = ", ".join(sorted(_OPTION_NAMES))
        raise TypeError(f"{where}: unknown route option(s) {', '.join(unknown)}; known: {known}")
    return typing.cast(RouteOptions, options)


def compile_endpoint(
    handler: Callable[..., Any], path_names: frozenset[str], options: RouteOptions
) -> tuple[Endpoint, EndpointPlan]:
    """The endpoint for ``handler`` on a route with path parameters ``path_names``."""
    owner = getattr(handler, "__qualname__", repr(handler))
    if not inspect.iscoroutinefunction(handler):
        raise TypeError(f"handler {owner} must be an 'async def' function")
    dependant = analyse(handler, path_names)
    route_dependencies = [
        SubDependency("", analyse(_dependency_call(d, owner), path_names), d.use_cache)
        for d in options.get("dependencies", ())
    ]
    body_params = [p for sub in route_dependencies for d in sub.dependant.walk() for p in d.body]
    body_params += [p for d in dependant.walk() for p in d.body]
    body = request_body(body_params, owner) if body_params else None
    model = options.get("response_model") or response_model_of(handler)
    status_code = options.get("status_code", 200)
    plan = EndpointPlan(handler, dependant, route_dependencies, body, model, status_code, options)
    shapes_response = model is not None or "status_code" in options
    if _is_plain(handler, dependant) and not shapes_response and not route_dependencies:
        return handler, plan
    if any(p.kind is p.POSITIONAL_ONLY for p in inspect.signature(handler).parameters.values()):
        raise TypeError(f"handler {owner}: positional-only parameters cannot be filled by name")
    render = make_renderer(model, status_code, owner)
    if body is None and not route_dependencies and not dependant.needs_solving:
        endpoint = _simple_endpoint(handler, dependant, render)
    else:
        endpoint = _solving_endpoint(handler, plan, path_names, render)
    functools.update_wrapper(endpoint, handler)
    return endpoint, plan


def _dependency_call(depends: Any, owner: str) -> Callable[..., Any]:
    if not isinstance(depends, Depends) or depends.dependency is None:
        raise TypeError(f"handler {owner}: dependencies= takes Depends(callable) items, got {depends!r}")
    return depends.dependency


def _is_plain(handler: Callable[..., Any], dependant: Dependant) -> bool:
    """``async def h(request)``: called as it is, without an endpoint around it."""
    if dependant.needs_solving or len(dependant.params) != 1 or dependant.params[0].location is not None:
        return False
    (parameter,) = inspect.signature(handler).parameters.values()
    return parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)


def _simple_endpoint(
    handler: Callable[..., Any], dependant: Dependant, render: Callable[[Any], Any]
) -> Endpoint:
    """Only path/query/header/cookie parameters and the request: no awaits besides the handler."""
    params = [(p.name, p.extract) for p in dependant.params]

    async def endpoint(request: Request) -> Any:
        kwargs: dict[str, Any] = {}
        errors = extract_params(params, request, kwargs)
        if errors:
            raise RequestValidationError(errors)
        return render(await handler(**kwargs))

    return endpoint


def _solving_endpoint(
    handler: Callable[..., Any], plan: EndpointPlan, path_names: frozenset[str], render: Callable[[Any], Any]
) -> Endpoint:
    """With dependencies, a body or background tasks: cleanup and tasks run after the response."""
    body = plan.body
    pick = body.pick if body is not None else _no_pick
    solver = Solver(plan.dependant, path_names, pick)
    route_dependencies = plan.route_dependencies
    dependant = plan.dependant

    async def endpoint(request: Request) -> Any:
        state = Solving(request, getattr(request.app, "dependency_overrides", None), NO_BODY)
        try:
            if body is not None:
                state.body = await body.read(request, state.errors)
            for sub in route_dependencies:
                await solver.resolve(sub, state)
            kwargs = await solver.arguments(dependant, state)
            if state.errors:
                raise RequestValidationError(state.errors)
            response = render(await handler(**kwargs))
        except BaseException as exc:
            if state.stack is not None:
                await state.stack.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        if state.stack is not None or state.tasks:
            _run_after(response, state)
        return response

    return endpoint


def _no_pick(body: Any, param: Any) -> Any:
    raise AssertionError("a route without body parameters picked from the body")


def _run_after(response: Any, state: Solving) -> None:
    """Chain the request's background tasks and dependency cleanup onto ``response.background``.

    NOTE: this sets ``background`` on the response the handler returned; a handler with yield
    dependencies or background tasks must return a fresh Response, not a shared one.
    """
    earlier = response.background
    tasks = state.tasks if state.tasks and state.tasks is not earlier else None
    stack = state.stack

    async def after_response() -> None:
        try:
            if earlier is not None:
                await earlier()
            if tasks is not None:
                await tasks()
        finally:
            if stack is not None:
                try:
                    await stack.aclose()
                except Exception:
                    logger.exception("Exception in dependency cleanup (after the response was sent)")

    response.background = after_response


# -- responses ---------------------------------------------------------------------------------

_PASS_THROUGH = (str, bytes, bytearray, memoryview, dict, list, tuple)


def response_model_of(handler: Callable[..., Any]) -> Any:
    """The model the return annotation asks for, or None when ``to_response`` handles the value."""
    try:
        annotation = inspect.signature(handler, eval_str=True).return_annotation
    except NameError:
        return None  # analyse() has already reported unresolvable annotations
    if annotation is inspect.Signature.empty or annotation is Any:
        return None
    if annotation is None or annotation is type(None):
        return type(None)
    if annotation in _PASS_THROUGH or _mentions_response(annotation):
        return None
    return annotation


def _mentions_response(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, BaseResponse)
    return get_origin(annotation) in (Union, types.UnionType) and any(
        _mentions_response(a) for a in get_args(annotation)
    )


def make_renderer(model: Any, status_code: int, owner: str) -> Callable[[Any], Any]:
    """``render(value) -> Response`` for a handler whose value is checked against ``model``."""
    if model is None:

        def render_any(value: Any) -> Any:
            if isinstance(value, BaseResponse):
                return value
            return to_response(value, owner, status_code)

        return render_any
    if model is type(None):

        def render_empty(value: Any) -> Any:
            if isinstance(value, BaseResponse):
                return value
            if value is not None:
                raise ResponseValidationError(f"handler {owner} is annotated -> None but returned {value!r}")
            return Response(b"", status_code)

        return render_empty
    try:
        msgspec.inspect.type_info(model)
    except TypeError as exc:
        raise TypeError(
            f"handler {owner}: cannot validate responses against {_type_name(model)}: {exc}"
        ) from None
    encode = msgspec.json.Encoder().encode
    convert = msgspec.convert

    def render_model(value: Any) -> Any:
        if isinstance(value, BaseResponse):
            return value
        try:
            shaped = convert(value, model, from_attributes=True)
        except msgspec.ValidationError as exc:
            # Database Records are tuples to msgspec, prefetched ORM relations are managers:
            # read them as a response model expects (by column name; as lists).
            plain = _as_readable(value)
            try:
                if plain is value:
                    raise
                shaped = convert(plain, model, from_attributes=True)
            except msgspec.ValidationError:
                raise ResponseValidationError(
                    f"handler {owner} returned a value that does not fit {_type_name(model)}: {exc}"
                ) from None
        return JSONResponse(encode(shaped), status_code)

    return render_model


def _as_readable(value: Any) -> Any:
    """``value`` as a response model reads it: covet.db Records as dicts, ORM objects through
    :class:`_LoadedAttributes` (prefetched relations as lists); ``value`` itself if none of these."""
    if isinstance(value, Record):
        return dict(value.items())
    if isinstance(value, (list, tuple)):
        readable = [_as_readable(item) for item in value]
        return value if all(new is old for new, old in zip(readable, value, strict=True)) else readable
    orm = sys.modules.get("covet.orm.models")  # no ORM objects exist unless it was imported
    if orm is not None and isinstance(value, orm.Model):
        return _LoadedAttributes(value)
    if orm is not None and isinstance(value, _related_manager_types()):
        return [_as_readable(item) for item in value]  # RelatedNotLoaded unless prefetched
    return value


def _related_manager_types() -> tuple[type[Iterable[Any]], ...]:
    from covet.orm.related_managers import ManyRelatedManager, RelatedManager

    return (ManyRelatedManager, RelatedManager)


class _LoadedAttributes:
    """An ORM object's attributes for ``msgspec.convert(from_attributes=True)``: related objects
    loaded by select_related/prefetch_related come as objects and lists; one that was not
    loaded raises ``RelatedNotLoaded`` (a response model never runs a query)."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        return _as_readable(getattr(self._obj, name))


def _type_name(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else repr(annotation)


def to_response(
    result: Any, handler_name: Union[str, Callable[[], str]] = "?", status_code: int = 200
) -> Response:
    """Turn what a handler returned into a Response, or a logged 500 when it returned nothing usable.

    ``handler_name`` (or a function giving it, called only then) names the handler in that log.
    """
    if isinstance(result, str):
        return PlainTextResponse(result, status_code)
    if isinstance(result, (bytes, bytearray, memoryview)):
        return Response(bytes(result), status_code, media_type="application/octet-stream")
    if isinstance(result, (dict, list, tuple)) or (
        dataclasses.is_dataclass(result) and not isinstance(result, type)
    ):
        return JSONResponse(result, status_code)
    if isinstance(result, msgspec.Struct):
        return JSONResponse(msgspec.json.encode(result), status_code)
    logger.error(
        "Handler %s returned %r; return a Response, str, bytes, dict, list, dataclass or msgspec Struct",
        handler_name if isinstance(handler_name, str) else handler_name(),
        type(result).__name__,
    )
    return PlainTextResponse("Internal Server Error", status_code=500)
