"""CORS: answer preflights, and give cross-origin responses the headers browsers look for.

::

    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://app.example.com"],
        allow_origin_regex=r"https://.*\\.example\\.com",
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["authorization", "content-type"],
        allow_credentials=True,
        expose_headers=["x-request-id"],
        max_age=600,
    )

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered
here, before routing: 200 with the allowed origin, methods, headers and ``Max-Age`` when the
origin, the method and every requested header are allowed, else 400 naming what is not. Any
other request with an allowed ``Origin`` goes on to the app, and its response gets
``Access-Control-Allow-Origin`` (and ``-Allow-Credentials``, ``-Expose-Headers``).

``*`` is never sent with credentials, which browsers refuse: with ``allow_credentials`` an
allowed origin is echoed instead, as are the requested headers when all are allowed. Whenever
the answer depends on the origin, responses say ``Vary: Origin`` so caches keep them apart.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Optional

from covet.middleware.base import BaseHTTPMiddleware, CallNext, RawHeaders, append_vary, header_value
from covet.responses import PlainTextResponse

if TYPE_CHECKING:
    from covet.requests import Request
    from covet.responses import Response

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
# Request headers a browser sends cross-origin without asking (the Fetch standard's safelist).
SAFELISTED_HEADERS = ("accept", "accept-language", "content-language", "content-type")
_PREFLIGHT_VARY = b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class CORSMiddleware(BaseHTTPMiddleware):
    """Cross-origin resource sharing; see the module docstring."""

    def __init__(
        self,
        app: CallNext,
        *,
        allow_origins: Collection[str] = (),
        allow_origin_regex: Optional[str] = None,
        allow_methods: Collection[str] = ("GET", "HEAD", "POST"),
        allow_headers: Collection[str] = (),
        allow_credentials: bool = False,
        expose_headers: Collection[str] = (),
        max_age: int = 600,
    ) -> None:
        super().__init__(app)
        for origin in allow_origins:
            if origin != "*" and (origin.endswith("/") or "://" not in origin or origin.count("/") > 2):
                raise ValueError(
                    f"CORS origin {origin!r} must look like 'https://example.com' (a scheme and a host, "
                    "with the port if not the default; no path and no trailing slash)"
                )
        if max_age < 0:
            raise ValueError(f"max_age is seconds, at least 0; got {max_age}")
        self.allow_all_origins = "*" in allow_origins
        self.origins = frozenset(origin.lower() for origin in allow_origins if origin != "*")
        self.origin_regex = re.compile(allow_origin_regex) if allow_origin_regex else None
        self.credentials = allow_credentials
        methods = ALL_METHODS if "*" in allow_methods else tuple(m.upper() for m in allow_methods)
        self.methods = frozenset(methods)
        self.allow_all_headers = "*" in allow_headers
        self.headers = frozenset(h.lower() for h in (*SAFELISTED_HEADERS, *allow_headers) if h != "*")
        # Whether responses differ by Origin: everything but "*" without credentials does.
        self.varies = not self.allow_all_origins or allow_credentials

        simple: RawHeaders = []
        if self.allow_all_origins and not allow_credentials:
            simple.append((b"access-control-allow-origin", b"*"))
        if allow_credentials:
            simple.append((b"access-control-allow-credentials", b"true"))
        if expose_headers:
            simple.append((b"access-control-expose-headers", ", ".join(expose_headers).encode("latin-1")))
        self.simple_headers = simple
        preflight: RawHeaders = [
            (b"access-control-allow-methods", ", ".join(sorted(self.methods)).encode("latin-1")),
            (b"access-control-max-age", str(max_age).encode("latin-1")),
        ]
        if allow_credentials:
            preflight.append((b"access-control-allow-credentials", b"true"))
        self.preflight_headers = preflight
        self.listed_headers = ", ".join(sorted(self.headers)).encode("latin-1")

    def is_allowed_origin(self, origin: str) -> bool:
        if self.allow_all_origins or origin.lower() in self.origins:
            return True
        return self.origin_regex is not None and self.origin_regex.fullmatch(origin) is not None

    async def __call__(self, request: Request) -> Response:
        raw = request.raw_headers
        origin = header_value(raw, b"origin")
        if origin is not None and request.method == "OPTIONS":
            requested = header_value(raw, b"access-control-request-method")
            if requested is not None:
                return self.preflight(origin.decode("latin-1"), requested, raw)
        response = await self.app(request)
        headers = response.headers
        if origin is not None and self.is_allowed_origin(origin.decode("latin-1")):
            headers.extend(self.simple_headers)
            if self.varies:
                headers.append((b"access-control-allow-origin", origin))
        if self.varies:
            append_vary(headers, b"Origin")
        return response

    def preflight(self, origin: str, method: bytes, raw: RawHeaders) -> Response:
        """The answer to a preflight: 200 when everything asked for is allowed, else 400."""
        headers = [*self.preflight_headers, (b"vary", _PREFLIGHT_VARY)]
        failures = []
        if self.is_allowed_origin(origin):
            allowed_origin = origin.encode("latin-1") if self.varies else b"*"
            headers.append((b"access-control-allow-origin", allowed_origin))
        else:
            failures.append("origin")
        if method.decode("latin-1").upper() not in self.methods:
            failures.append("method")
        requested = header_value(raw, b"access-control-request-headers")
        if requested is not None and requested.strip():
            names = [name.strip().lower() for name in requested.decode("latin-1").split(",") if name.strip()]
            if self.allow_all_headers:
                headers.append((b"access-control-allow-headers", ", ".join(names).encode("latin-1")))
            elif all(name in self.headers for name in names):
                headers.append((b"access-control-allow-headers", self.listed_headers))
            else:
                failures.append("headers")
        if failures:
            text = f"Disallowed CORS {', '.join(failures)}"
            return PlainTextResponse(text, status_code=400, headers=headers)
        return PlainTextResponse("OK", status_code=200, headers=headers)
