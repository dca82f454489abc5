"""URL routing: path templates such as ``/users/{id:int}``, compiled once into a segment tree.

A template is static segments and whole-segment parameters ``{name}`` or ``{name:converter}``
(``str`` when no converter is named). Built in: ``str`` (one non-empty segment), ``int``
(ASCII digits), ``float`` (digits with an optional fraction), ``uuid``, ``slug`` (letters,
digits, ``-``, ``_``) and ``path`` (the rest of the path, ``/`` included; last segment only).
A segment that its converter refuses is no match, so ``/users/abc`` is 404 for
``/users/{id:int}`` unless another route takes it; ``register_converter`` adds more.

Lookup takes the path as the server hands it over: **already percent-decoded** (``%2F`` has
become a ``/`` and so separates segments; write templates decoded too, ``/café`` not
``/caf%C3%A9``). ``url_for`` percent-encodes what it builds, so a URL it returns, once decoded
by the server, looks up to the same parameters.

Precedence at each segment: a static segment, then the parameter, then a ``path`` catch-all,
falling back to the next when a branch leads nowhere. One position takes one converter:
``/users/{id:int}`` and ``/users/{uid:int}/posts`` coexist (names may differ), ``/users/{name}``
beside them is a RouteConflict, as is a second route with the same method and path shape.
Routes win over mounts; the mount with the longest prefix takes what no route matches. An empty
segment (``//``) matches nothing (no template may contain one) except a trailing slash, which
only a template ending in ``/`` has.

WebSocket routes (``router.websocket(path)``) are routes for the pseudo-method ``WEBSOCKET``:
``lookup("WEBSOCKET", path)`` finds them; an HTTP request to a path only they serve gets
``MethodNotAllowed({"WEBSOCKET"})``, which the app answers with 404.

``RouteTable.lookup(method, path)`` answers one of:

* ``Match(route, params)``: ``params`` are converted (``{id:int}`` gives an int). HEAD matches a
  GET route unless HEAD is routed itself.
* ``MethodNotAllowed(allowed)``: the path matches, not for this method; 405 with ``Allow``. An
  OPTIONS request with no OPTIONS route lands here too, for the app to answer from ``allowed``.
* ``MountMatch(mount, params, path)``: ``path`` is the rest after the prefix (``""`` or ``/...``).
* ``NotFound(redirect)``: 404; ``redirect`` is the path with its trailing slash toggled when that
  form would match (the app may redirect: 308 keeps the method). It is decoded: build
  ``Location`` from the raw path.
"""

from __future__ import annotations

import abc
import decimal
import inspect
import math
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar, Union, Unpack
from urllib.parse import quote

from covet._speedups import router as _kernel
from covet._speedups.router import (
    Match,
    MethodNotAllowed,
    MountMatch,
    NotFound,
    RouteTable,
    is_float_segment,
    is_int_segment,
    is_slug_segment,
    is_uuid_segment,
)
from covet.endpoints import EndpointPlan, RouteOptions, check_options, compile_endpoint

__all__ = [
    "CONVERTERS",
    "Converter",
    "InvalidRoute",
    "LookupResult",
    "Match",
    "MethodNotAllowed",
    "Mount",
    "MountMatch",
    "NotFound",
    "Route",
    "RouteConflict",
    "RouteShortcuts",
    "RouteTable",
    "Router",
    "URLBuildError",
    "WEBSOCKET",
    "parse_template",
    "register_converter",
]

LookupResult = Union[Match, MethodNotAllowed, MountMatch, NotFound]
E = TypeVar("E", bound=Callable[..., Any])

# The pseudo-method WebSocket routes are registered under: HTTP methods never match it.
WEBSOCKET = "WEBSOCKET"
#: Names of the routes CovetPy adds itself (the OpenAPI document, the docs page) start with this.
FRAMEWORK_ROUTE_PREFIX = "covet:"

# What RFC 3986 lets a path segment hold unencoded besides letters, digits and -._~ (which quote keeps).
_SEGMENT_SAFE = "!$&'()*+,;=:@"
_PATH_SAFE = _SEGMENT_SAFE + "/"


class InvalidRoute(ValueError):
    """A path template that cannot be parsed, or a route or mount built with bad arguments."""


class RouteConflict(ValueError):
    """Two routes that cannot both be in one table (found when the router is compiled)."""


class URLBuildError(ValueError):
    """``url_for`` cannot build the URL: unknown name, missing, unknown or unfitting parameters."""


@dataclass(frozen=True)
class Converter:
    """How ``{name:converter}`` matches one path segment and turns into a value, and back.

    ``match(segment)`` says whether a (decoded, non-empty) segment fits; ``to_python`` makes the
    value (raising ValueError also means no match); ``to_url`` makes a value a segment again.
    """

    name: str
    match: Callable[[str], bool]
    to_python: Callable[[str], Any]
    to_url: Callable[[Any], str]


def _is_str_segment(segment: str) -> bool:
    return segment != "" and "/" not in segment


def _is_path(rest: str) -> bool:
    return rest != ""


def _float_to_url(value: Any) -> str:
    if isinstance(value, str):
        return value
    number = float(value)
    if not math.isfinite(number) or number < 0:
        return repr(number)  # refused by the converter's match, so url_for says why
    # repr gives the shortest text that reads back as the same float; 'f' drops its exponent.
    return format(decimal.Decimal(repr(number)), "f")


CONVERTERS: dict[str, Converter] = {
    c.name: c
    for c in (
        Converter("str", _is_str_segment, str, str),
        Converter("int", is_int_segment, int, str),
        Converter("float", is_float_segment, float, _float_to_url),
        Converter("uuid", is_uuid_segment, uuid.UUID, str),
        Converter("slug", is_slug_segment, str, str),
        Converter("path", _is_path, str, str),
    )
}
_BUILTIN = frozenset(CONVERTERS)


def register_converter(
    name: str,
    match: Callable[[str], bool],
    to_python: Callable[[str], Any] = str,
    to_url: Callable[[Any], str] = str,
) -> Converter:
    """Make ``{param:name}`` usable in templates. ``match`` sees one decoded segment, never ``""``.

    Registering the same name again with the same functions is a no-op; anything else is an error.
    """
    if not name.isidentifier():
        raise ValueError(f"converter name must be an identifier, got {name!r}")
    converter = Converter(name, match, to_python, to_url)
    existing = CONVERTERS.get(name)
    if existing is not None and existing != converter:
        what = "a built-in converter" if name in _BUILTIN else "already registered"
        raise ValueError(f"converter {name!r} is {what}; pick another name")
    CONVERTERS[name] = converter
    return converter


Segment = Union[str, tuple[str, Converter]]


def parse_template(template: str, *, prefix: bool = False) -> list[Segment]:
    """The segments of ``template``: a ``str`` for a static segment, ``(name, converter)`` for a
    parameter. ``prefix`` parses a mount prefix (``""`` is the root; no trailing slash)."""
    if prefix and template == "":
        return []
    if not template.startswith("/"):
        raise InvalidRoute(f"path {template!r} must start with '/'")
    parts = template[1:].split("/")
    segments: list[Segment] = []
    names: set[str] = set()
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if "{" not in part and "}" not in part:
            if part == "" and (not last or prefix):
                raise InvalidRoute(f"path {template!r} has an empty segment ('//'), which can never match")
            segments.append(part)
            continue
        if not (part.startswith("{") and part.endswith("}") and part.count("{") == part.count("}") == 1):
            raise InvalidRoute(
                f"path {template!r}: segment {part!r} must be static text or one whole parameter "
                "such as {id:int}"
            )
        name, _, converter_name = part[1:-1].partition(":")
        converter = CONVERTERS.get(converter_name or "str")
        if not name.isidentifier():
            raise InvalidRoute(f"path {template!r}: parameter name {name!r} is not an identifier")
        if name in names:
            raise InvalidRoute(f"path {template!r} names parameter {name!r} twice")
        if converter is None:
            known = ", ".join(sorted(CONVERTERS))
            raise InvalidRoute(
                f"path {template!r}: unknown converter {converter_name!r} (known: {known}; "
                "add one with covet.routing.register_converter)"
            )
        if converter.name == "path" and (prefix or not last):
            where = "a mount prefix" if prefix else "the last segment"
            raise InvalidRoute(
                f"path {template!r}: {{{name}:path}} takes the rest, so it cannot be in {where}"
            )
        names.add(name)
        segments.append((name, converter))
    return segments


def _param_names(segments: list[Segment]) -> tuple[str, ...]:
    return tuple(s[0] for s in segments if not isinstance(s, str))


def _build_path(owner: str, segments: list[Segment], params: dict[str, Any], extra: str = "") -> str:
    """The percent-encoded URL path for ``segments`` with ``params`` (``owner`` names the route)."""
    names = _param_names(segments)
    missing = [n for n in names if n not in params]
    unknown = sorted(set(params) - set(names))
    if missing or unknown:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if unknown:
            problems.append("unknown " + ", ".join(unknown))
        takes = ", ".join(names) or "no parameters"
        raise URLBuildError(f"url_for({owner}): {'; '.join(problems)} (it takes {takes})")
    parts = []
    for segment in segments:
        if isinstance(segment, str):
            parts.append(quote(segment, safe=_SEGMENT_SAFE))
            continue
        name, converter = segment
        value = params[name]
        whole_rest = converter.name == "path"
        try:
            text = converter.to_url(value)
            fits = converter.match(text) and (whole_rest or _is_str_segment(text))
        except (TypeError, ValueError):
            fits = False
        if not fits or text in (".", ".."):  # clients resolve dot segments before sending them
            raise URLBuildError(
                f"url_for({owner}): {name}={value!r} does not fit {{{name}:{converter.name}}}"
            )
        parts.append(quote(text, safe=_PATH_SAFE if whole_rest else _SEGMENT_SAFE))
    return "/" + "/".join(parts) + extra


class Route:
    """A path template, the methods it answers, and the endpoint that answers them.

    ``handler`` is the function as registered; ``endpoint`` what is called per request — the
    handler itself when it takes just the request, else compiled from its signature (see
    ``covet.endpoints``), with ``plan`` saying what it was compiled from.
    """

    __slots__ = (
        "path", "handler", "endpoint", "plan", "options", "methods", "name", "param_names", "segments"
    )

    def __init__(
        self,
        path: str,
        handler: Callable[..., Any],
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        options: RouteOptions | None = None,
    ) -> None:
        if isinstance(methods, str):
            raise InvalidRoute(f"route {path!r}: methods must be a list of names, not the string {methods!r}")
        self.path = path
        self.handler = handler
        self.methods = frozenset(m.upper() for m in methods)
        if not self.methods:
            raise InvalidRoute(f"route {path!r} has no methods")
        self.name: str | None = name if name is not None else getattr(handler, "__name__", None)
        self.segments = parse_template(path)
        self.param_names = _param_names(self.segments)
        self.options: RouteOptions = options if options is not None else {}
        self.endpoint: Callable[..., Any] = handler
        self.plan: EndpointPlan | None = None
        if self.methods != {WEBSOCKET}:  # a WebSocket handler takes the WebSocket: nothing to compile
            self.endpoint, self.plan = compile_endpoint(handler, frozenset(self.param_names), self.options)

    def url_path(self, **params: Any) -> str:
        """The percent-encoded path for ``params``, which must be exactly this route's parameters."""
        return _build_path(f"{self.name!r} {self.path}", self.segments, params)

    def __repr__(self) -> str:
        return f"Route({self.path!r}, {sorted(self.methods)}, name={self.name!r})"


class Mount:
    """An app that takes every path under ``path`` that no route matches (``""`` is the root)."""

    __slots__ = ("path", "app", "name", "param_names", "segments")

    def __init__(self, path: str, app: Any, name: str | None = None) -> None:
        self.path = path.rstrip("/")
        self.app = app
        self.name = name
        self.segments = parse_template(self.path, prefix=True)
        self.param_names = _param_names(self.segments)
        if "path" in self.param_names:
            raise InvalidRoute(f"mount {path!r}: 'path' is url_for's argument for the rest; rename it")

    def url_path(self, path: str = "", **params: Any) -> str:
        """The URL of ``path`` (``""`` or starting with ``/``) inside the mounted app."""
        if path and not path.startswith("/"):
            raise URLBuildError(f"url_for({self.name!r}): path={path!r} must be empty or start with '/'")
        return _build_path(f"{self.name!r} {self.path}", self.segments, params, quote(path, safe=_PATH_SAFE))

    def __repr__(self) -> str:
        return f"Mount({self.path or '/'!r}, {self.app!r}, name={self.name!r})"


# A name's route or mount, or the paths of all that share it (url_for refuses those).
_Names = dict[str, Union[Route, Mount, list[str]]]
_Compiled = tuple[Any, RouteTable, _Names]  # (routers' versions, table, names)


@dataclass(frozen=True)
class _Include:
    router: Router
    prefix: str
    namespace: str | None


class RouteShortcuts:
    """``get``, ``post``, ``put``, ``patch``, ``delete`` and ``options`` over ``route``.

    Shared by ``Router`` and ``covet.Covet``: ``@app.post("/items", status_code=201)``.
    """

    @abc.abstractmethod
    def route(
        self,
        path: str,
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        **options: Unpack[RouteOptions],
    ) -> Callable[[E], E]: ...

    def get(self, path: str, name: str | None = None, **options: Unpack[RouteOptions]) -> Callable[[E], E]:
        return self.route(path, ("GET",), name, **options)

    def post(self, path: str, name: str | None = None, **options: Unpack[RouteOptions]) -> Callable[[E], E]:
        return self.route(path, ("POST",), name, **options)

    def put(self, path: str, name: str | None = None, **options: Unpack[RouteOptions]) -> Callable[[E], E]:
        return self.route(path, ("PUT",), name, **options)

    def patch(self, path: str, name: str | None = None, **options: Unpack[RouteOptions]) -> Callable[[E], E]:
        return self.route(path, ("PATCH",), name, **options)

    def delete(self, path: str, name: str | None = None, **options: Unpack[RouteOptions]) -> Callable[[E], E]:
        return self.route(path, ("DELETE",), name, **options)

    def options(
        self, path: str, name: str | None = None, **options: Unpack[RouteOptions]
    ) -> Callable[[E], E]:
        return self.route(path, ("OPTIONS",), name, **options)


class Router(RouteShortcuts):
    """Routes, mounts and included routers; ``compile()`` turns them into a ``RouteTable``.

    Register everything, then compile once at start-up and call ``table.lookup(method, path)``
    per request. ``lookup`` and ``url_for`` here compile on first use (and again after a change)
    for convenience.
    """

    def __init__(self, *, redirect_slashes: bool = True) -> None:
        self.redirect_slashes = redirect_slashes
        self._items: list[Route | Mount | _Include] = []
        self._version = 0
        self._compiled: _Compiled | None = None

    # -- registration ---------------------------------------------------------------------------

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        **options: Unpack[RouteOptions],
    ) -> Route:
        """Route ``path`` to the ``async def`` handler ``endpoint``; ``options``: see RouteOptions."""
        route = Route(path, endpoint, methods, name, check_options(dict(options), f"route {path!r}"))
        self._add(route)
        return route

    def route(
        self,
        path: str,
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
        **options: Unpack[RouteOptions],
    ) -> Callable[[E], E]:
        """Decorator form of ``add_route``."""

        def register(endpoint: E) -> E:
            self.add_route(path, endpoint, methods, name, **options)
            return endpoint

        return register

    def websocket(self, path: str, name: str | None = None) -> Callable[[E], E]:
        """Decorator: ``async def handler(websocket)`` answers WebSocket handshakes on ``path``."""

        def register(endpoint: E) -> E:
            if not inspect.iscoroutinefunction(endpoint):
                raise TypeError(f"WebSocket handler {endpoint.__qualname__} must be an 'async def' function")
            self.add_route(path, endpoint, (WEBSOCKET,), name)
            return endpoint

        return register

    def mount(self, path: str, app: Any, name: str | None = None) -> Mount:
        """Hand every path under ``path`` that no route matches to ``app`` (see ``MountMatch``)."""
        mount = Mount(path, app, name)
        self._add(mount)
        return mount

    def include(self, router: Router, prefix: str = "", name: str | None = None) -> None:
        """Serve ``router``'s routes under ``prefix`` (joined as text: ``/api`` + ``/`` is ``/api/``).

        Routes are taken when this router compiles, so ones added to ``router`` later count too.
        ``name`` namespaces their names: ``url_for("api:users")``.
        """
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise InvalidRoute(f"include prefix {prefix!r} must start with '/' and not end with one")
        if prefix:
            parse_template(prefix, prefix=True)
        if router is self or self in router._routers():
            raise InvalidRoute("including this router would make it include itself")
        self._add(_Include(router, prefix, name))

    def _add(self, item: Route | Mount | _Include) -> None:
        self._items.append(item)
        self._version += 1

    def _routers(self) -> Iterator[Router]:
        for item in self._items:
            if isinstance(item, _Include):
                yield item.router
                yield from item.router._routers()

    def _signature(self) -> tuple[Any, ...]:
        return (self._version, *((id(r), r._version) for r in self._routers()))

    # -- compiling ------------------------------------------------------------------------------

    @property
    def routes(self) -> list[Route | Mount]:
        """Every route and mount, included ones with their prefix, in registration order."""
        return list(self._flatten("", ""))

    def _flatten(self, prefix: str, namespace: str) -> Iterator[Route | Mount]:
        for item in self._items:
            if isinstance(item, _Include):
                ns = namespace + (item.namespace + ":" if item.namespace else "")
                yield from item.router._flatten(prefix + item.prefix, ns)
            elif not prefix and not namespace:
                yield item
            elif isinstance(item, Route):
                name = namespace + item.name if item.name is not None else None
                yield Route(prefix + item.path, item.handler, item.methods, name, item.options)
            else:
                yield Mount(prefix + item.path, item.app, namespace + item.name if item.name else None)

    def compile(self, kernel: ModuleType | None = None) -> RouteTable:
        """The routes as a lookup table; raises RouteConflict for routes that cannot coexist.

        ``kernel`` is the ``covet._speedups.router`` module to build with (tests and benchmarks
        pass its interpreted form); by default the compiled one when it is built.
        """
        return self._compile(kernel)[1]

    def _compile(self, kernel: ModuleType | None) -> _Compiled:
        table: RouteTable = (kernel or _kernel).RouteTable(self.redirect_slashes)
        names: _Names = {}
        framework_paths: set[str] = set()
        for item in self._flatten("", ""):
            try:
                if isinstance(item, Route):
                    table.add_route(item.path, item.segments, item.param_names, sorted(item.methods), item)
                else:
                    table.add_mount(item.path, item.segments, item.param_names, item)
            except ValueError as exc:
                hint = ""
                if item.path in framework_paths:
                    hint = (f" ({item.path} is served by CovetPy itself: move it with"
                            " Covet(openapi_url=..., docs_url=...), or pass None to turn it off)")
                raise RouteConflict(f"{exc}{hint}") from None
            if item.name is not None and item.name.startswith(FRAMEWORK_ROUTE_PREFIX):
                framework_paths.add(item.path)
            if item.name is not None:
                known = names.get(item.name)
                if known is None:
                    names[item.name] = item
                elif isinstance(known, list):
                    known.append(item.path)
                elif known.path != item.path:  # GET and POST on one path may share a name
                    names[item.name] = [known.path, item.path]
        return self._signature(), table, names

    def _current(self) -> _Compiled:
        if self._compiled is None or self._compiled[0] != self._signature():
            self._compiled = self._compile(None)
        return self._compiled

    def lookup(self, method: str, path: str) -> LookupResult:
        """Look up a decoded ``path`` (compiling first if needed); see ``RouteTable.lookup``."""
        return self._current()[1].lookup(method, path)

    def url_for(self, name: str, /, **params: Any) -> str:
        """The percent-encoded path of the route or mount called ``name`` with ``params``.

        For a mount, ``path=`` is the path inside it. Raises URLBuildError naming what is wrong.
        """
        target = self._current()[2].get(name)
        if target is None:
            raise URLBuildError(f"url_for: no route is named {name!r}")
        if isinstance(target, list):
            raise URLBuildError(
                f"url_for: route name {name!r} is used by {', '.join(target)}; pass name= to tell them apart"
            )
        return target.url_path(**params)
