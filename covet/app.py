"""The application object: routes, request dispatch, and an ASGI 3 interface."""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from covet._speedups.messages import BaseResponse
from covet.exceptions import ClientDisconnect, HTTPException
from covet.requests import Request
from covet.responses import JSONResponse, PlainTextResponse, Response

logger = logging.getLogger("covet.error")

Handler = Callable[[Request], Awaitable[Any]]
H = TypeVar("H", bound=Handler)
Hook = Callable[[], Any]

_NOT_FOUND = PlainTextResponse("Not Found", status_code=404)


class Covet:
    """A CovetPy application: ``@app.get("/path")`` registers ``async def handler(request)``.

    Handlers return a Response, a ``str`` (text), ``bytes``, or a dict, list or dataclass (JSON).
    The object is an ASGI 3 callable, and CovetPy's own server calls ``handle`` directly.
    """

    def __init__(
        self,
        *,
        debug: bool = False,
        on_startup: Iterable[Hook] = (),
        on_shutdown: Iterable[Hook] = (),
    ) -> None:
        self.debug = debug
        self.on_startup: list[Hook] = list(on_startup)
        self.on_shutdown: list[Hook] = list(on_shutdown)
        self._routes: dict[str, dict[str, Handler]] = {}

    # -- registration -----------------------------------------------------------------------

    def route(self, path: str, methods: Iterable[str] = ("GET",)) -> Callable[[H], H]:
        if not path.startswith("/"):
            raise ValueError(f"route path must start with '/', got {path!r}")

        def register(registered: H) -> H:
            handler: Handler = registered
            if not inspect.iscoroutinefunction(handler):
                raise TypeError(f"handler {handler.__qualname__} must be an 'async def' function")
            table = self._routes.setdefault(path, {})
            for method in methods:
                method = method.upper()
                if method in table:
                    raise ValueError(f"{method} {path} is already routed to {table[method].__qualname__}")
                table[method] = handler
            if "GET" in table and "HEAD" not in table:
                table["HEAD"] = table["GET"]
            return registered

        return register

    def get(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("GET",))

    def post(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("POST",))

    def put(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("PUT",))

    def patch(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("PATCH",))

    def delete(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("DELETE",))

    def options(self, path: str) -> Callable[[H], H]:
        return self.route(path, ("OPTIONS",))

    # -- dispatch ---------------------------------------------------------------------------

    def __covet_handler__(self) -> Covet:
        """What CovetPy's server calls instead of ASGI: ``dispatch``, ``convert``, ``handle_error``."""
        return self

    def dispatch(self, request: Request) -> Any:
        """Route ``request``: a response when routing alone answers it, else the handler's coroutine.

        The server runs the coroutine itself (its first step without a Task), so no wrapper
        coroutine stands between it and the handler.
        """
        table = self._routes.get(request.path)
        if table is None:
            return _NOT_FOUND
        handler = table.get(request.method)
        if handler is None:
            allow = ", ".join(sorted(table))
            return PlainTextResponse("Method Not Allowed", status_code=405, headers={"allow": allow})
        return handler(request)

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
        handler = self._routes.get(request.path, {}).get(request.method)
        return handler.__qualname__ if handler is not None else "?"

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
