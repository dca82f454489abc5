"""Native middleware: a Request in, a Response out, one coroutine per layer and no ASGI messages.

Subclass ``BaseHTTPMiddleware`` and override ``dispatch``::

    class ServerName(BaseHTTPMiddleware):
        def __init__(self, app, name="covet"):
            super().__init__(app)
            self.name = name.encode()

        async def dispatch(self, request, call_next):
            response = await call_next(request)
            response.headers.append((b"x-served-by", self.name))
            return response

``call_next(request)`` runs the rest of the stack and always gives a Response (handled
exceptions are responses already; unhandled ones propagate, see ``covet.middleware.errors``).
``response.headers`` is the raw list of (lower-case name, value) byte pairs; a streaming
response has ``body`` None and a ``body_iterator``. The layer is built once as
``cls(app, **options)``, with ``app`` the next layer; per request the server awaits the
outermost layer's coroutine like a handler's, so the stack adds no Task.

The built-in middleware override ``__call__(request)`` itself (the protocol ``dispatch`` is
sugar for), which saves a call per layer. ``check_websocket`` lets a middleware refuse a
WebSocket handshake (TrustedHost, HTTPS redirect) before the route runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from covet.requests import Request
    from covet.responses import Response
    from covet.websockets import WebSocket

RawHeaders = list[tuple[bytes, bytes]]
CallNext = Callable[["Request"], Awaitable["Response"]]
DispatchFunction = Callable[["Request", CallNext], Awaitable["Response"]]


class BaseHTTPMiddleware:
    """A native middleware layer; see the module docstring."""

    def __init__(self, app: CallNext, dispatch: Optional[DispatchFunction] = None) -> None:
        cls = type(self)
        if dispatch is None and cls.dispatch is BaseHTTPMiddleware.dispatch and (
            cls.__call__ is BaseHTTPMiddleware.__call__
        ):
            raise TypeError(
                f"{cls.__qualname__} must override dispatch(request, call_next), or be built with "
                "dispatch=function"
            )
        self.app = app
        self.dispatch_function: DispatchFunction = dispatch if dispatch is not None else self.dispatch

    def __call__(self, request: Request) -> Awaitable[Response]:
        return self.dispatch_function(request, self.app)

    def dispatch(self, request: Request, call_next: CallNext) -> Awaitable[Response]:
        """Turn ``request`` into a response, usually by way of ``await call_next(request)``."""
        return call_next(request)

    async def check_websocket(self, websocket: WebSocket) -> Optional[Response]:
        """A response refusing the WebSocket handshake, or None to let it through."""
        return None


class Middleware:
    """One layer of the stack: ``Middleware(cls, *args, **options)`` builds ``cls(app, *args, **options)``."""

    __slots__ = ("cls", "args", "options")

    def __init__(self, cls: Any, /, *args: Any, **options: Any) -> None:
        if not callable(cls):
            raise TypeError(f"Middleware takes a middleware class, got {cls!r}")
        self.cls = cls
        self.args = args
        self.options = options

    @property
    def native(self) -> bool:
        """Whether the layer takes a Request and returns a Response (else it speaks ASGI)."""
        return isinstance(self.cls, type) and issubclass(self.cls, BaseHTTPMiddleware)

    def build(self, app: Any) -> Any:
        return self.cls(app, *self.args, **self.options)

    def __iter__(self) -> Any:
        return iter((self.cls, self.args, self.options))

    def __repr__(self) -> str:
        parts = [getattr(self.cls, "__qualname__", repr(self.cls))]
        parts += [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.options.items()]
        return f"Middleware({', '.join(parts)})"


def overrides_check_websocket(layer: object) -> bool:
    return getattr(type(layer), "check_websocket", None) is not BaseHTTPMiddleware.check_websocket


def header_value(headers: RawHeaders, name: bytes) -> Optional[bytes]:
    """The first value of the lower-case header ``name`` in a raw header list."""
    for key, value in headers:
        if key == name:
            return value
    return None


def append_vary(headers: RawHeaders, token: bytes) -> None:
    """Add ``token`` to the response's ``Vary`` header unless it is listed (or ``*``) already."""
    for i, (key, value) in enumerate(headers):
        if key == b"vary":
            listed = [part.strip().lower() for part in value.split(b",")]
            if token.lower() not in listed and b"*" not in listed:
                headers[i] = (key, value + b", " + token)
            return
    headers.append((b"vary", token))


def split_host(host: bytes) -> tuple[str, str]:
    """A ``Host`` value as (host name in lower case, port or ""); ``[::1]:80`` gives ("[::1]", "80")."""
    text = host.decode("latin-1").strip().lower()
    if text.startswith("["):
        name, _, rest = text.partition("]")
        return name + "]", rest[1:] if rest.startswith(":") else ""
    name, _, port = text.partition(":")
    return name, port


def request_target(request: Request) -> bytes:
    """The request's path and query exactly as the client sent them (for a Location header)."""
    query = request.query_string
    return request._head.raw_path + (b"?" + query if query else b"")
