"""The middleware stack: one ordered list in which native and pure ASGI middleware mix.

Order is Starlette's: in ``Covet(middleware=[Middleware(A), Middleware(B)])`` A is the
outermost layer — it sees the request first and the response last — and
``app.add_middleware(C)`` wraps C around everything added before it. A class that subclasses
``BaseHTTPMiddleware`` is native; any other class is a pure ASGI middleware, built as
``cls(asgi_app, **options)`` and called with ``(scope, receive, send)``.

What runs how:

* When the outermost layer is native (or there is none), CovetPy's server stays on its native
  path: a request goes through the native layers as a Request and comes back as a Response,
  with no ASGI messages and no Task. A run of ASGI layers further in is entered through an ASGI
  scope built from the Request (``covet.asgi_bridge``: one Task per request, as for any ASGI
  app), and the native layers inside it see a Request built from that scope.
* When the outermost layer is an ASGI middleware, ``Covet.__covet_handler__`` answers None and
  CovetPy's server runs the whole app through its ASGI interface, exactly as uvicorn does.
* WebSocket and lifespan scopes always travel in ASGI form: ASGI layers see them as usual;
  native layers take part in a WebSocket handshake only through ``check_websocket``.

The stack is built once, when the app first serves; adding middleware after that is an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from covet.asgi import ASGIApp, NativeASGIApp
from covet.asgi_bridge import call_asgi, http_scope_for
from covet.middleware.base import BaseHTTPMiddleware, CallNext, Middleware, overrides_check_websocket

if TYPE_CHECKING:
    from covet.app import Covet
    from covet.requests import Request
    from covet.responses import Response


@dataclass(frozen=True)
class Stack:
    """The built stack: ``http`` is the outermost native layer (None when that layer is ASGI);
    ``asgi`` is the whole stack as an ASGI 3 app."""

    http: Optional[CallNext]
    asgi: ASGIApp


class ASGIBelowNative:
    """The Request -> Response face of the ASGI layers under a native one."""

    __slots__ = ("app", "asgi")

    def __init__(self, app: Covet, asgi: ASGIApp) -> None:
        self.app = app
        self.asgi = asgi

    def __call__(self, request: Request) -> Awaitable[Response]:
        return call_asgi(self.asgi, request, http_scope_for(request, self.app.lifespan_state))


def build_stack(app: Covet, layers: Sequence[Middleware]) -> Stack:
    """Wrap ``app.call_endpoint`` in ``layers`` (outermost first)."""
    native: Optional[CallNext] = app.call_endpoint
    checks: list[BaseHTTPMiddleware] = []  # the current native run's, outermost first
    below: Optional[ASGIApp] = None  # the ASGI app under the current native run, if any
    asgi: Optional[ASGIApp] = None
    for layer in reversed(layers):
        if layer.native:
            if native is None:
                assert asgi is not None
                native, below, checks = ASGIBelowNative(app, asgi), asgi, []
            built = layer.build(native)
            if overrides_check_websocket(built):
                checks.insert(0, built)
            native = built
        else:
            if native is not None:
                asgi, native = NativeASGIApp(app, native, checks, below), None
            asgi = layer.build(asgi)
    if native is not None:
        return Stack(native, NativeASGIApp(app, native, checks, below))
    assert asgi is not None
    return Stack(None, asgi)
