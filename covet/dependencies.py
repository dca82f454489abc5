"""Dependency injection: ``db: Annotated[Database, Depends(get_db)]``, as in FastAPI.

A dependency is a callable whose own parameters are filled like a handler's (query, headers,
body, the request, other dependencies). It may be

* a plain function (or a class) — called inline on the event loop, so it must not block;
  offload blocking work with ``await asyncio.to_thread(...)`` in an ``async def`` dependency;
* an ``async def`` function — awaited;
* a generator or async generator — runs up to its ``yield``, whose value is injected; the rest
  runs after the response has been sent (after the background tasks), in reverse order of
  entry. If the handler raises, the exception is thrown in at the ``yield`` (roll back a
  transaction there); a dependency that raises another exception, e.g. an HTTPException,
  changes the answer, and one that swallows it does not hide it.

Each dependency runs once per request however many parameters ask for it (``use_cache=False``
runs it for each). ``app.dependency_overrides[get_db] = fake_db`` replaces one in tests.

Signatures are analysed once, when the route is registered, into a ``Dependant`` tree; a
request only walks the precomputed extractors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Optional, Union, get_args, get_origin

from covet.background import BackgroundTasks, is_async_callable
from covet.datastructures import UploadFile
from covet.params import (
    REQUIRED,
    Body,
    Extractor,
    File,
    Form,
    Header,
    InvalidParam,
    Location,
    Param,
    is_scalar,
    make_extractor,
    sequence_item,
    strip_optional,
)
from covet.requests import Request
from covet.validation import ErrorDetail, list_item_type

__all__ = ["Dependant", "Depends"]


class Depends:
    """Declare a dependency: ``Annotated[Session, Depends(get_session)]`` or ``= Depends(...)``.

    ``Depends()`` without a callable uses the annotated type itself (``Annotated[Paging,
    Depends()]`` builds a ``Paging`` from the request).
    """

    __slots__ = ("dependency", "use_cache")

    def __init__(self, dependency: Optional[Callable[..., Any]] = None, *, use_cache: bool = True) -> None:
        if dependency is not None and not callable(dependency):
            raise TypeError(f"Depends() takes a callable, not {type(dependency).__name__}")
        self.dependency = dependency
        self.use_cache = use_cache

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__qualname__", repr(self.dependency))
        return f"Depends({name}{'' if self.use_cache else ', use_cache=False'})"


# How a dependency is called.
SYNC, ASYNC, GENERATOR, ASYNC_GENERATOR = "sync", "async", "generator", "async generator"


@dataclasses.dataclass(eq=False)
class RequestParam:
    """A path, query, header or cookie parameter (or the request itself, location None)."""

    name: str
    location: Optional[Location]
    alias: str
    annotation: Any
    default: Any
    marker: Optional[Param]
    extract: Extractor

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclasses.dataclass(eq=False)
class BodyParam:
    """A parameter that receives the JSON body, or one field of it."""

    name: str
    alias: str
    annotation: Any
    default: Any
    marker: Optional[Union[Body, Form]]

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclasses.dataclass(eq=False)
class SubDependency:
    name: str
    dependant: Dependant
    use_cache: bool


@dataclasses.dataclass(eq=False)
class Dependant:
    """A callable's parameters, analysed: what each one is filled with."""

    call: Callable[..., Any]
    kind: str
    params: list[RequestParam]
    body: list[BodyParam]
    dependencies: list[SubDependency]
    tasks_names: list[str]
    # For generator dependencies: the call as a context manager factory (contextlib's wrapper).
    context: Callable[..., Any] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        if self.kind is ASYNC_GENERATOR:
            self.context = contextlib.asynccontextmanager(self.call)
        elif self.kind is GENERATOR:
            self.context = contextlib.contextmanager(self.call)
        else:
            self.context = self.call

    def walk(self) -> Iterator[Dependant]:
        """This dependant and every one below it, depth first."""
        yield self
        for sub in self.dependencies:
            yield from sub.dependant.walk()

    @property
    def needs_solving(self) -> bool:
        """Whether filling the parameters takes more than the synchronous extractors."""
        return bool(self.body or self.dependencies or self.tasks_names)


def call_kind(call: Callable[..., Any]) -> str:
    target = call if inspect.isroutine(call) or isinstance(call, type) else type(call).__call__
    if inspect.isasyncgenfunction(target):
        return ASYNC_GENERATOR
    if inspect.isgeneratorfunction(target):
        return GENERATOR
    if is_async_callable(call):
        return ASYNC
    return SYNC


def analyse(call: Callable[..., Any], path_names: frozenset[str]) -> Dependant:
    """The ``Dependant`` of ``call``; ``path_names`` are the route's path parameters."""
    owner = getattr(call, "__qualname__", repr(call))
    try:
        signature = inspect.signature(call, eval_str=True)
    except NameError as exc:
        raise TypeError(
            f"{owner}: cannot resolve an annotation ({exc}); define the types it names at module level"
        ) from None
    dependant = Dependant(call, call_kind(call), [], [], [], [])
    for parameter in signature.parameters.values():
        _add_parameter(dependant, owner, parameter, path_names)
    return dependant


def _add_parameter(
    dependant: Dependant, owner: str, parameter: inspect.Parameter, path_names: frozenset[str]
) -> None:
    name = parameter.name
    if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
        raise TypeError(f"{owner}: *{name} cannot be filled from a request; name each parameter")
    annotation, marker, depends = _split_annotation(owner, parameter)
    default = REQUIRED if parameter.default is parameter.empty else parameter.default
    if isinstance(default, Depends):
        depends, default = default, REQUIRED
    if isinstance(default, Param):
        kind = type(default).__name__
        raise TypeError(
            f"{owner}: write {name}: Annotated[T, {kind}(...)] = default, not {name}: T = {kind}(...)"
        )
    if depends is not None:
        call = depends.dependency or annotation
        if not callable(call):
            raise TypeError(f"{owner}: Depends() on {name!r} needs a callable or a class annotation")
        dependant.dependencies.append(SubDependency(name, analyse(call, path_names), depends.use_cache))
        return
    loosely_typed = parameter.annotation is parameter.empty or annotation is Any
    if _is_subclass(annotation, Request) or (loosely_typed and name == "request"):
        dependant.params.append(RequestParam(name, None, name, Request, REQUIRED, None, _the_request))
        return
    if _is_subclass(annotation, BackgroundTasks):
        dependant.tasks_names.append(name)
        return
    if marker is None and _is_upload(annotation):
        marker = File()
    is_body = isinstance(marker, (Body, Form)) or (
        marker is None and name not in path_names and not is_scalar(annotation)
        and sequence_item(annotation) is None
    )
    if is_body:
        body_marker = marker if isinstance(marker, (Body, Form)) else None
        alias = (body_marker.alias if body_marker else None) or name
        meta = body_marker.meta() if isinstance(body_marker, Body) else None  # forms: see FormBody
        if meta is not None:
            annotation = typing.Annotated[annotation, meta]
        dependant.body.append(BodyParam(name, alias, annotation, default, body_marker))
        return
    location: Location = marker.location if marker else ("path" if name in path_names else "query")
    alias = _wire_name(name, marker, location)
    if location == "path":
        if alias not in path_names:
            raise TypeError(
                f"{owner}: parameter {name!r} is declared Path() but the route's path has no {{{alias}}}"
            )
        if default is not REQUIRED:
            raise TypeError(f"{owner}: path parameter {name!r} cannot have a default; it is always present")
    meta = marker.meta() if marker else None
    extract = make_extractor(location, alias, annotation, default, meta)
    dependant.params.append(RequestParam(name, location, alias, annotation, default, marker, extract))


def _split_annotation(
    owner: str, parameter: inspect.Parameter
) -> tuple[Any, Optional[Param], Optional[Depends]]:
    """The annotation without CovetPy's markers, the source marker and the Depends, if any."""
    annotation = Any if parameter.annotation is parameter.empty else parameter.annotation
    if get_origin(annotation) is not typing.Annotated:
        return annotation, None, None
    base, *metadata = get_args(annotation)
    markers = [m for m in metadata if isinstance(m, Param)]
    depends = [m for m in metadata if isinstance(m, Depends)]
    if len(markers) + len(depends) > 1:
        raise TypeError(f"{owner}: parameter {parameter.name!r} has more than one source marker")
    rest = [m for m in metadata if not isinstance(m, (Param, Depends))]
    if rest:
        base = typing.Annotated[(base, *rest)]  # keep user metadata such as msgspec.Meta
    return base, (markers[0] if markers else None), (depends[0] if depends else None)


def _wire_name(name: str, marker: Optional[Param], location: Location) -> str:
    if marker is not None and marker.alias:
        return marker.alias.lower() if location == "header" else marker.alias
    if location == "header":
        convert = marker.convert_underscores if isinstance(marker, Header) else True
        return (name.replace("_", "-") if convert else name).lower()
    return name


def _is_upload(annotation: Any) -> bool:
    base, _ = strip_optional(annotation)
    return _is_subclass(base, UploadFile) or _is_subclass(list_item_type(base), UploadFile)


def _is_subclass(annotation: Any, cls: type) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, cls)


def _the_request(request: Request) -> Request:
    return request


# -- per request -------------------------------------------------------------------------------

NO_BODY: Any = object()  # the body was not read (the route has no body parameters)


def extract_params(
    params: list[tuple[str, Extractor]], request: Request, kwargs: dict[str, Any]
) -> Optional[list[ErrorDetail]]:
    """Fill ``kwargs`` from ``params``; the errors of bad or missing values, or None."""
    errors = None
    for name, extract in params:
        try:
            kwargs[name] = extract(request)
        except InvalidParam as exc:
            if errors is None:
                errors = []
            errors.append(exc.detail)
    return errors


class Solving:
    """The state of filling one request's dependency tree."""

    __slots__ = ("request", "errors", "cache", "stack", "tasks", "body", "overrides")

    def __init__(self, request: Request, overrides: Optional[Mapping[Any, Any]], body: Any) -> None:
        self.request = request
        self.errors: list[ErrorDetail] = []
        self.cache: dict[Any, Any] = {}
        self.stack: Optional[contextlib.AsyncExitStack] = None
        self.tasks: Optional[BackgroundTasks] = None
        self.body = body
        self.overrides = overrides


class Solver:
    """Fills a dependant's arguments for one request; built once per route."""

    def __init__(
        self, dependant: Dependant, path_names: frozenset[str], pick_body: Callable[[Any, BodyParam], Any]
    ) -> None:
        self.dependant = dependant
        self.pick_body = pick_body
        self._path_names = path_names
        self._params = {id(d): [(p.name, p.extract) for p in d.params] for d in dependant.walk()}
        self._overridden: dict[Any, Dependant] = {}

    async def arguments(self, dependant: Dependant, state: Solving) -> dict[str, Any]:
        """The keyword arguments for ``dependant.call``; errors are collected in ``state``."""
        kwargs: dict[str, Any] = {}
        for sub in dependant.dependencies:
            kwargs[sub.name] = await self.resolve(sub, state)
        errors = extract_params(self._params_of(dependant), state.request, kwargs)
        if errors:
            state.errors.extend(errors)
        for param in dependant.body:
            if state.body is not NO_BODY:
                kwargs[param.name] = self.pick_body(state.body, param)
        if dependant.tasks_names:
            if state.tasks is None:
                state.tasks = BackgroundTasks()
            for name in dependant.tasks_names:
                kwargs[name] = state.tasks
        return kwargs

    def _params_of(self, dependant: Dependant) -> list[tuple[str, Extractor]]:
        params = self._params.get(id(dependant))
        if params is None:  # an override's dependant
            params = self._params[id(dependant)] = [(p.name, p.extract) for p in dependant.params]
        return params

    async def resolve(self, sub: SubDependency, state: Solving) -> Any:
        """The value of one dependency (cached per request unless ``use_cache=False``)."""
        dependant = sub.dependant
        key = dependant.call
        if state.overrides:
            replacement = state.overrides.get(key)
            if replacement is not None:
                dependant = self._override(replacement)
        if sub.use_cache and key in state.cache:
            return state.cache[key]
        kwargs = await self.arguments(dependant, state)
        if state.errors:
            return None  # the request is refused with 422: call nothing more
        value = await _call(dependant, kwargs, state)
        if sub.use_cache:
            state.cache[key] = value
        return value

    def _override(self, replacement: Callable[..., Any]) -> Dependant:
        dependant = self._overridden.get(replacement)
        if dependant is None:
            dependant = self._overridden[replacement] = analyse(replacement, self._path_names)
            if any(d.body for d in dependant.walk()):
                raise TypeError(
                    f"dependency override {getattr(replacement, '__qualname__', replacement)!r} takes "
                    "body parameters; an override may read the request (declare a Request parameter) "
                    "but not declare body fields the route was not compiled with"
                )
        return dependant


async def _call(dependant: Dependant, kwargs: dict[str, Any], state: Solving) -> Any:
    kind = dependant.kind
    if kind is SYNC:
        return dependant.call(**kwargs)
    if kind is ASYNC:
        return await dependant.call(**kwargs)
    if state.stack is None:
        state.stack = contextlib.AsyncExitStack()
    if kind is ASYNC_GENERATOR:
        return await state.stack.enter_async_context(dependant.context(**kwargs))
    return state.stack.enter_context(dependant.context(**kwargs))
