"""HTTPS redirect: send plain-HTTP requests to the same URL over HTTPS (308), ``ws`` to ``wss``.

308 keeps the method and body, so a form POST is repeated over HTTPS rather than turned into a
GET. The default ports go away (``http://example.com:80/a`` becomes ``https://example.com/a``);
another port is kept. Behind a proxy that ends TLS, the app sees HTTPS only if the server is
told so (the request's scheme), else every request would redirect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from covet.middleware.base import BaseHTTPMiddleware, header_value, request_target, split_host
from covet.responses import PlainTextResponse, Response

if TYPE_CHECKING:
    from covet.requests import Request
    from covet.websockets import WebSocket

_SECURE = {"http": "https", "ws": "wss"}


def secure_redirect(request: Request) -> Optional[Response]:
    """The 308 to the HTTPS (or WSS) form of the request's URL; None if it is secure already."""
    scheme = _SECURE.get(request.scheme)
    if scheme is None:
        return None
    if not header_value(request.raw_headers, b"host"):
        return PlainTextResponse("A Host header is needed to redirect to HTTPS", status_code=400)
    # The URL's host is the Host header only when that is a well-formed host[:port].
    name, port = split_host(request.url.netloc.encode("latin-1"))
    netloc = name if port in ("", "80", "443") else f"{name}:{port}"
    location = f"{scheme}://{netloc}".encode("latin-1") + request_target(request)
    return Response(status_code=308, headers=[(b"location", location)])


class HTTPSRedirectMiddleware(BaseHTTPMiddleware):
    """Redirects HTTP to HTTPS; see the module docstring."""

    async def __call__(self, request: Request) -> Response:
        redirect = secure_redirect(request)
        return redirect if redirect is not None else await self.app(request)

    async def check_websocket(self, websocket: WebSocket) -> Optional[Response]:
        return secure_redirect(websocket.request)
