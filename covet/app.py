"""The application object: routes, request dispatch, and an ASGI 3 interface."""

from __future__ import annotations

import dataclasses
import inspect
import logging
from typing import Any, Awaitable, Callable, Iterable, Optional, TypeVar

from covet.exceptions import ClientDisconnect, HTTPException
from covet.requests import Request
from covet._speedups.messages import BaseResponse
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

        def register(handler: H) -> H:
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
            return handler

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

    def __covet_handler__(self) -> Callable[[Request], Awaitable[Any]]:
        return self.handle

    async def handle(self, request: Request) -> Any:
        """Route ``request`` and return the response object to send."""
        table = self._routes.get(request.path)
        if table is None:
            return _NOT_FOUND
        handler = table.get(request.method)
        if handler is None:
            allow = ", ".join(sorted(table))
            return PlainTextResponse("Method Not Allowed", status_code=405, headers={"allow": allow})
        try:
            result = await handler(request)
        except HTTPException as exc:
            return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
        except ClientDisconnect:
            raise  # the server closes the connection; nothing to answer, nothing to log
        except Exception:
            logger.exception("Exception in handler %s", handler.__qualname__)
            return PlainTextResponse("Internal Server Error", status_code=500)
        if isinstance(result, BaseResponse):
            return result
        return to_response(result, handler)

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


def to_response(result: Any, handler: Optional[Callable[..., Any]] = None) -> Response:
    """Turn what a handler returned into a Response, or a logged 500 when it returned nothing usable."""
    if isinstance(result, str):
        return PlainTextResponse(result)
    if isinstance(result, (bytes, bytearray, memoryview)):
        return Response(bytes(result), media_type="application/octet-stream")
    if isinstance(result, (dict, list, tuple)) or (
        dataclasses.is_dataclass(result) and not isinstance(result, type)
    ):
        return JSONResponse(result)
    name = getattr(handler, "__qualname__", repr(handler))
    logger.error(
        "Handler %s returned %r; return a Response, str, bytes, dict, list or dataclass",
        name,
        type(result).__name__,
    )
    return PlainTextResponse("Internal Server Error", status_code=500)
