"""TrustedHost: refuse requests whose ``Host`` is not one of the app's (400), WebSockets too.

::

    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.com", "*.example.com"])

``*.example.com`` allows every subdomain of example.com (not example.com itself: list both);
``*`` allows any host. A ``Host`` that is missing, malformed or not allowed gets 400 — which
stops DNS-rebinding attacks and poisoned absolute URLs built from ``Host``. With
``www_redirect`` (the default), a request for ``example.com`` when only ``www.example.com`` is
listed is redirected there (307) instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

from covet.middleware.base import BaseHTTPMiddleware, CallNext, header_value, request_target, split_host
from covet.responses import PlainTextResponse, Response

if TYPE_CHECKING:
    from covet.requests import Request
    from covet.websockets import WebSocket


class TrustedHostMiddleware(BaseHTTPMiddleware):
    """Allows only the listed hosts; see the module docstring."""

    def __init__(
        self, app: CallNext, *, allowed_hosts: Sequence[str] = ("*",), www_redirect: bool = True
    ) -> None:
        super().__init__(app)
        if isinstance(allowed_hosts, str):
            raise TypeError(f"allowed_hosts is a list of host names, not the string {allowed_hosts!r}")
        for pattern in allowed_hosts:
            misplaced = pattern.startswith("*") and pattern != "*" and not pattern.startswith("*.")
            if "*" in pattern[1:] or misplaced:
                raise ValueError(f"host pattern {pattern!r}: '*' stands alone or leads, as in '*.a.com'")
            if ":" in pattern.strip("[]") and not pattern.startswith("["):
                raise ValueError(f"host pattern {pattern!r}: list host names without a port")
        self.allow_any = "*" in allowed_hosts
        self.exact = frozenset(p.lower() for p in allowed_hosts if not p.startswith("*"))
        self.suffixes = tuple(p[1:].lower() for p in allowed_hosts if p.startswith("*."))
        self.www_redirect = www_redirect

    def is_allowed(self, host: str) -> bool:
        return host in self.exact or (bool(self.suffixes) and host.endswith(self.suffixes))

    def refusal(self, request: Request) -> Optional[Response]:
        """None when the request's host is allowed, else the 400 (or www redirect) to send."""
        raw = header_value(request.raw_headers, b"host")
        name, port = split_host(raw) if raw else ("", "")
        if name and self.is_allowed(name):
            return None
        if name and self.www_redirect and "www." + name in self.exact:
            netloc = f"www.{name}:{port}" if port else f"www.{name}"
            location = f"{request.scheme}://{netloc}".encode("latin-1") + request_target(request)
            return Response(status_code=307, headers=[(b"location", location)])
        return PlainTextResponse("Invalid host header", status_code=400)

    async def __call__(self, request: Request) -> Response:
        if self.allow_any:
            return await self.app(request)
        refusal = self.refusal(request)
        return refusal if refusal is not None else await self.app(request)

    async def check_websocket(self, websocket: WebSocket) -> Optional[Response]:
        return None if self.allow_any else self.refusal(websocket.request)

