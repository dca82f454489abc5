"""The application object: routes, request dispatch, and an ASGI 3 interface."""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from covet._speedups.messages import BaseResponse
from covet._speedups.router import Dispatcher
from covet.exceptions import ClientDisconnect, HTTPException
from covet.requests import Request
from covet.responses import JSONResponse, PlainTextResponse, Response
from covet.routing import LookupResult, Match, MethodNotAllowed, Router

logger = logging.getLogger("covet.error")

Handler = Callable[[Request], Awaitable[Any]]
H = TypeVar("H", bound=Handler)
Hook = Callable[[], Any]

_NOT_FOUND = PlainTextResponse("Not Found", status_code=404)


class Covet:
    """A CovetPy application: ``@app.get("/users/{id:int}")`` registers ``async def handler(request)``.

    Handlers return a Response, a ``str`` (text), ``bytes``, or a dict, list or dataclass (JSON).
    Path parameters arrive converted in ``request.path_params``. The object is an ASGI 3 callable,
    and CovetPy's own server calls ``dispatch`` directly.
    """

    def __init__(
        self,
        *,
        debug: bool = False,
        redirect_slashes: bool = True,
        on_startup: Iterable[Hook] = (),
        on_shutdown: Iterable[Hook] = (),
        max_body_size: int = 16 * 1024 * 1024,
    ) -> None:
        if max_body_size < 1:
            raise ValueError(f"max_body_size must be at least 1 byte, got {max_body_size!r}")
        self.debug = debug
        #: The largest request body ``request.body()``/``stream()``/``form()`` accept (413 past it).
        self.max_body_size = max_body_size
        self.on_startup: list[Hook] = list(on_startup)
        self.on_shutdown: list[Hook] = list(on_shutdown)
        self.router = Router(redirect_slashes=redirect_slashes)
        self._dispatcher: Dispatcher | None = None

    # -- registration -----------------------------------------------------------------------

    def route(
        self, path: str, methods: Iterable[str] = ("GET",), name: str | None = None
    ) -> Callable[[H], H]:
        """Register an ``async def`` handler for ``path`` (a template, see ``covet.routing``)."""

        def register(registered: H) -> H:
            handler: Handler = registered
            if not inspect.iscoroutinefunction(handler):
                raise TypeError(f"handler {handler.__qualname__} must be an 'async def' function")
            self.router.add_route(path, handler, methods, name)
            self._dispatcher = None
            return registered

        return register

    def get(self, path: str, name: str | None = None) -> Callable[[H], H]:
        return self.route(path, ("GET",), name)

    def post(self, path: str, name: str | None = None) -> Callable[[H], H]:
        return self.route(path, ("POST",), name)

    def put(self, path: str, name: str | None = None) -> Callable[[H], H]:
        return self.route(path, ("PUT",), name)

    def patch(self, path: str, name: str | None = None) -> Callable[[H], H]:
        return self.route(path, ("PATCH",), name)

    def delete(self, path: str, name: str | None = None) -> Callable[[H], H]:
        return self.route(path, ("DELETE",), name)

    def options(self, path: str, name: str | None = None) -> Callable[[H], H]:
        return self.route(path, ("OPTIONS",), name)

    def include_router(self, router: Router, prefix: str = "", name: str | None = None) -> None:
        """Serve ``router``'s routes under ``prefix`` (names become ``name:route``)."""
        self.router.include(router, prefix, name)
        self._dispatcher = None

    def url_for(self, name: str, /, **params: Any) -> str:
        """The percent-encoded path of the route called ``name`` (see ``Router.url_for``)."""
        return self.router.url_for(name, **params)

    # -- dispatch ---------------------------------------------------------------------------

    def __covet_handler__(self) -> Dispatcher:
        """What CovetPy's server calls instead of ASGI: ``dispatch``, ``convert``, ``handle_error``."""
        return self._compile()

    def _compile(self) -> Dispatcher:
        dispatcher = self._dispatcher = Dispatcher(self.router.compile(), self)
        return dispatcher

    def dispatch(self, request: Request) -> Any:
        """Route ``request``: a response when routing alone answers it, else the handler's coroutine.

        The server runs the coroutine itself (its first step without a Task), so no wrapper
        coroutine stands between it and the handler.
        """
        return (self._dispatcher or self._compile()).dispatch(request)

    def unmatched(self, request: Request, result: LookupResult) -> Response:
        """The answer when no route takes ``request``: 405 (204 for OPTIONS), a redirect, or 404."""
        if type(result) is MethodNotAllowed:
            allow = ", ".join(sorted(result.allowed | {"OPTIONS"}))
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"allow": allow})
            return PlainTextResponse("Method Not Allowed", status_code=405, headers={"allow": allow})
        redirect = getattr(result, "redirect", None)
        if redirect is not None:
            return self._redirect_slash(request)
        return _NOT_FOUND

    def _redirect_slash(self, request: Request) -> Response:
        """308 (the method is kept) to the same path with its trailing slash toggled."""
        raw = request._head.raw_path
        target = raw[:-1] if raw.endswith(b"/") else raw + b"/"
        if request.query_string:
            target += b"?" + request.query_string
        return Response(status_code=308, headers=[(b"location", target)])

    def convert(self, request: Request, result: Any) -> Response:
        """The response for a handler's return value that is not a Response already."""
        return to_response(result, self._handler_name(request))

    def handle_error(self, request: Request, exc: BaseException) -> Response:
        """The response for an exception a handler raised (ClientDisconnect is passed on)."""
        if isinstance(exc, HTTPException):
            return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
        if isinstance(exc, ClientDisconnect) or not isinstance(exc, Exception):
            raise exc  # the server closes the connection; nothing to answer, nothing to log
        logger.error("Exception in handler %s", self._handler_name(request), exc_info=exc)
        return PlainTextResponse("Internal Server Error", status_code=500)

    def _handler_name(self, request: Request) -> str:
        result = self.router.lookup(request.method, request.path)
        if type(result) is Match:
            return str(result.route.endpoint.__qualname__)
        return "?"

    async def handle(self, request: Request) -> Response:
        """Route and run ``request`` to its response (the path taken under ASGI servers)."""
        outcome = self.dispatch(request)
        if isinstance(outcome, BaseResponse):
            return outcome  # type: ignore[return-value]
        try:
            result = await outcome
        except Exception as exc:
            return self.handle_error(request, exc)
        if isinstance(result, BaseResponse):
            return result  # type: ignore[return-value]
        return self.convert(request, result)

    async def startup(self) -> None:
        for hook in self.on_startup:
            result = hook()
            if inspect.isawaitable(result):
                await result

    async def shutdown(self) -> None:
        for hook in self.on_shutdown:
            result = hook()
            if inspect.isawaitable(result):
                await result

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from covet.asgi import serve_asgi

        await serve_asgi(self, scope, receive, send)


def to_response(result: Any, handler_name: str = "?") -> Response:
    """Turn what a handler returned into a Response, or a logged 500 when it returned nothing usable."""
    if isinstance(result, str):
        return PlainTextResponse(result)
    if isinstance(result, (bytes, bytearray, memoryview)):
        return Response(bytes(result), media_type="application/octet-stream")
    if isinstance(result, (dict, list, tuple)) or (
        dataclasses.is_dataclass(result) and not isinstance(result, type)
    ):
        return JSONResponse(result)
    logger.error(
        "Handler %s returned %r; return a Response, str, bytes, dict, list or dataclass",
        handler_name,
        type(result).__name__,
    )
    return PlainTextResponse("Internal Server Error", status_code=500)
