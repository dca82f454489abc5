"""Security headers on every response, with defaults on and each one configurable or off.

::

    app.add_middleware(SecurityHeadersMiddleware)                      # the defaults below
    app.add_middleware(SecurityHeadersMiddleware, frame_options="SAMEORIGIN", hsts_preload=True)

* ``Strict-Transport-Security: max-age=31536000; includeSubDomains`` — on HTTPS responses only
  (browsers ignore it over HTTP, and sending it there would only mislead);
* ``Content-Security-Policy`` — ``default-src 'self'; base-uri 'self'; frame-ancestors 'none';
  object-src 'none'`` by default;
* ``X-Content-Type-Options: nosniff``;
* ``X-Frame-Options: DENY`` (``"SAMEORIGIN"``, or None to leave framing to the CSP);
* ``Referrer-Policy: strict-origin-when-cross-origin``;
* ``Permissions-Policy`` — camera, microphone, geolocation and the like switched off.

Pass None (or False for HSTS and nosniff) to leave a header out. A header the response set
itself is left alone, so a page that needs a looser policy (a docs page loading scripts from a
CDN, say) sets its own ``Content-Security-Policy``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, TypeVar

from covet._speedups.messages import BaseResponse
from covet.middleware.base import BaseHTTPMiddleware, CallNext

if TYPE_CHECKING:
    from covet.requests import Request
    from covet.responses import Response

DEFAULT_CSP = "default-src 'self'; base-uri 'self'; frame-ancestors 'none'; object-src 'none'"
DEFAULT_PERMISSIONS = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)
_FRAME_OPTIONS = ("DENY", "SAMEORIGIN")
R = TypeVar("R", bound=BaseResponse)


class SecurityHeadersMiddleware(BaseHTTPMiddleware):
    """Adds the security headers the response does not set itself; see the module docstring."""

    def __init__(
        self,
        app: CallNext,
        *,
        hsts: bool = True,
        hsts_max_age: int = 31_536_000,
        hsts_include_subdomains: bool = True,
        hsts_preload: bool = False,
        content_security_policy: Optional[str] = DEFAULT_CSP,
        content_type_options: bool = True,
        frame_options: Optional[str] = "DENY",
        referrer_policy: Optional[str] = "strict-origin-when-cross-origin",
        permissions_policy: Optional[str] = DEFAULT_PERMISSIONS,
    ) -> None:
        super().__init__(app)
        if frame_options is not None and frame_options.upper() not in _FRAME_OPTIONS:
            raise ValueError(f"frame_options is 'DENY', 'SAMEORIGIN' or None, not {frame_options!r}")
        if hsts_max_age < 0:
            raise ValueError(f"hsts_max_age is seconds, at least 0; got {hsts_max_age}")
        if hsts_preload and (not hsts_include_subdomains or hsts_max_age < 31_536_000):
            raise ValueError("hsts_preload needs hsts_include_subdomains and hsts_max_age of a year or more")
        always: list[tuple[bytes, bytes]] = []
        for name, value in (
            ("content-security-policy", content_security_policy),
            ("x-content-type-options", "nosniff" if content_type_options else None),
            ("x-frame-options", frame_options.upper() if frame_options else None),
            ("referrer-policy", referrer_policy),
            ("permissions-policy", permissions_policy),
        ):
            if value:
                always.append((name.encode("latin-1"), value.encode("latin-1")))
        self.http_headers = always
        self.https_headers = list(always)
        self.names = frozenset(name for name, _ in always) | {b"strict-transport-security"}
        if hsts:
            value = f"max-age={hsts_max_age}"
            value += "; includeSubDomains" if hsts_include_subdomains else ""
            value += "; preload" if hsts_preload else ""
            self.https_headers.append((b"strict-transport-security", value.encode("latin-1")))

    async def __call__(self, request: Request) -> Response:
        return self.apply(request, await self.app(request))

    def apply(self, request: Request, response: R) -> R:
        """Add the headers ``response`` lacks (HSTS too when ``request`` is HTTPS); return it."""
        # PERF: the connection's scheme directly, not the Request property: this runs per response.
        extra = self.https_headers if request._conn.scheme == "https" else self.http_headers
        headers = response.headers
        names = self.names
        for name, _ in headers:
            if name in names:  # the response set some itself: add only the others
                present = {name for name, _ in headers}
                headers.extend(header for header in extra if header[0] not in present)
                return response
        headers.extend(extra)
        return response
