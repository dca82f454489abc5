"""CSRF protection: a signed double-submit token, bound to the session, checked on unsafe requests.

::

    app.add_middleware(CSRFMiddleware)            # inside SessionMiddleware: add it first
    app.add_middleware(SessionMiddleware)

    @app.get("/profile")
    async def form(request):
        return HTMLResponse(f'<form method="post">{csrf_input(request)}...</form>')

    @app.post("/api/items")
    @csrf_exempt                                  # authenticated by a bearer token, not a cookie
    async def create_item(request): ...

A request with a method other than GET, HEAD, OPTIONS or TRACE that carries the session cookie
(or the CSRF cookie itself, which the login form sets) must

* come from the app's own origin: its ``Origin`` header (or, over HTTPS when there is none, its
  ``Referer``) must be this origin or one of ``trusted_origins``;
* echo the token of the ``csrftoken`` cookie in the ``X-CSRF-Token`` header (what scripts do:
  the cookie is readable by them on purpose) or the ``csrf_token`` form field (what
  ``csrf_input`` renders); the two are compared in constant time;
* present a token the server signed (HMAC-SHA256 with a key derived from the app's secret) for
  this session: a token planted from a sibling subdomain, or kept from before the login, fails.

Anything else is refused with 403 (``CSRFFailure``) saying which check failed. Requests without
those cookies carry no ambient credentials and pass: an API authenticated by tokens in a header
is not exposed to CSRF; mark such routes ``@csrf_exempt`` (or list ``exempt_paths``) when its
clients may carry the session cookie too. Tokens in pages are masked afresh for each page
(BREACH); the token changes when the session id does (``session.rotate()`` at login).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import secrets
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union
from urllib.parse import urlsplit

from covet.middleware.base import BaseHTTPMiddleware, CallNext
from covet.routing import Match
from covet.security.errors import CSRFFailure
from covet.security.secrets import Secret
from covet.security.session_cookies import derive_key

if TYPE_CHECKING:
    from covet.requests import Request
    from covet.responses import Response

__all__ = ["CSRFMiddleware", "csrf_exempt", "csrf_input", "csrf_token"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_EXEMPT = "__covet_csrf_exempt__"
_STATE = "_covet_csrf"
_NONCE_BYTES = 32
H = TypeVar("H", bound=Callable[..., Any])


def csrf_exempt(handler: H) -> H:
    """Exempt a route from the CSRF check (in any order with the route decorator)."""
    setattr(handler, _EXEMPT, True)
    return handler


def _same(a: Optional[str], b: str) -> bool:
    """Constant-time equality of two session bindings (session ids are secrets too)."""
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _RequestTokens:
    """One request's tokens: the cookie's (checked when first needed) and any handed out.

    A handler may change the session before it renders a form (the first write creates the
    session, a login rotates it): tokens handed out are signed for the session as it is then.
    """

    __slots__ = ("middleware", "request", "binding", "cookie", "_valid", "issued", "issued_for")

    def __init__(self, middleware: CSRFMiddleware, request: Request) -> None:
        self.middleware = middleware
        self.request = request
        self.binding = session_binding(request)
        self.cookie = request.cookies.get(middleware.cookie_name)
        self._valid: dict[str, bool] = {}
        self.issued: Optional[str] = None
        self.issued_for: Optional[str] = None

    def cookie_valid_for(self, binding: str) -> bool:
        """Whether the cookie holds a token signed for the session ``binding`` names."""
        valid = self._valid.get(binding)
        if valid is None:
            valid = self._valid[binding] = bool(self.cookie) and self.middleware.signed_for(
                self.cookie or "", binding
            )
        return valid

    @property
    def cookie_is_valid(self) -> bool:
        """Whether the cookie holds a token signed for the session the request came with."""
        return self.cookie_valid_for(self.binding)

    def token(self) -> str:
        """The token for the session as it is now: the cookie's, or a new one (set as the cookie)."""
        binding = session_binding(self.request)
        if self.cookie is not None and self.cookie_valid_for(binding):
            return self.cookie
        if self.issued is None or not _same(self.issued_for, binding):
            self.issued, self.issued_for = self.middleware.new_token(binding), binding
        return self.issued


def session_binding(request: Request) -> str:
    """What tokens are bound to: the id of the session that is (or is about to be) stored, else ""."""
    session = getattr(request, "_session", None)
    if session is None:
        return ""
    return session.id if session.persisted or len(session._data) else ""


def _tokens(request: Request) -> _RequestTokens:
    try:
        tokens: _RequestTokens = getattr(request.state, _STATE)
    except AttributeError:
        raise RuntimeError("csrf_token() needs CSRFMiddleware: app.add_middleware(CSRFMiddleware)") from None
    return tokens


def csrf_token(request: Request) -> str:
    """The CSRF token for a page or script to send back, masked afresh on every call."""
    token = _tokens(request).token().encode("ascii")
    mask = secrets.token_bytes(len(token))
    return _b64(mask + bytes(a ^ b for a, b in zip(mask, token, strict=True)))


def csrf_input(request: Request) -> str:
    """A hidden ``<input>`` carrying the token, for an HTML form."""
    name = html.escape(_tokens(request).middleware.field_name, quote=True)
    return f'<input type="hidden" name="{name}" value="{csrf_token(request)}">'


def _unmask(submitted: str) -> Optional[str]:
    """The token a submitted value carries: as sent when it is one (a script read the cookie),
    else unmasked from what ``csrf_token`` produced; None when it is neither."""
    if "." in submitted:
        return submitted
    try:
        blob = _unb64(submitted)
    except (binascii.Error, ValueError):
        return None
    half = len(blob) // 2
    if not half or len(blob) % 2:
        return None
    try:
        return bytes(a ^ b for a, b in zip(blob[:half], blob[half:], strict=True)).decode("ascii")
    except UnicodeDecodeError:
        return None


class CSRFMiddleware(BaseHTTPMiddleware):
    """Checks unsafe cookie-carrying requests; see the module docstring."""

    def __init__(
        self,
        app: CallNext,
        *,
        secret_key: Union[str, Secret, None] = None,
        session_cookie: Union[str, Collection[str]] = "session",
        cookie_name: str = "csrftoken",
        header_name: str = "x-csrf-token",
        field_name: str = "csrf_token",
        trusted_origins: Collection[str] = (),
        exempt_paths: Collection[str] = (),
        cookie_path: str = "/",
        cookie_domain: Optional[str] = None,
        cookie_secure: Optional[bool] = None,
        cookie_samesite: Optional[str] = "lax",
    ) -> None:
        super().__init__(app)
        self._key = None if secret_key is None else derive_key(secret_key, "covet.csrf")
        sessions = (session_cookie,) if isinstance(session_cookie, str) else tuple(session_cookie)
        self.trigger_cookies = frozenset((*sessions, cookie_name))
        self.cookie_name = cookie_name
        self.header_name = header_name.lower()
        self.field_name = field_name
        for origin in trusted_origins:
            if origin.endswith("/") or "://" not in origin:
                raise ValueError(f"trusted origin {origin!r} must look like 'https://example.com' (no path)")
        self.trusted_origins = frozenset(origin.lower() for origin in trusted_origins)
        self.exempt_paths = tuple(exempt_paths)
        self.cookie_path = cookie_path
        self.cookie_domain = cookie_domain
        self.cookie_secure = cookie_secure
        self.cookie_samesite = cookie_samesite

    # -- tokens --------------------------------------------------------------------------------

    def key_for(self, request: Request) -> bytes:
        key = self._key
        if key is None:
            key = self._key = derive_key(request.app.settings.signing_secret(), "covet.csrf")
        return key

    def _signature(self, nonce: str, binding: str) -> str:
        assert self._key is not None
        message = f"{binding}|{nonce}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def new_token(self, binding: str) -> str:
        nonce = _b64(secrets.token_bytes(_NONCE_BYTES))
        return f"{nonce}.{self._signature(nonce, binding)}"

    def signed_for(self, token: str, binding: str) -> bool:
        """Whether ``token`` is one this middleware signed for ``binding`` (constant-time check)."""
        nonce, _, signature = token.partition(".")
        if not nonce or not signature.isascii():
            return False
        expected = self._signature(nonce, binding)
        return hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii"))

    # -- the check -----------------------------------------------------------------------------

    async def __call__(self, request: Request) -> Response:
        self.key_for(request)
        tokens = _RequestTokens(self, request)
        setattr(request.state, _STATE, tokens)
        unsafe = request.method not in SAFE_METHODS
        if unsafe and self.carries_credentials(request) and not self.exempt(request):
            self.check_origin(request)
            await self.check_token(request, tokens)
        response = await self.app(request)
        self.refresh_cookie(request, tokens, response)
        return response

    def carries_credentials(self, request: Request) -> bool:
        cookies = request.cookies
        return any(name in cookies for name in self.trigger_cookies)

    def exempt(self, request: Request) -> bool:
        if self.exempt_paths and request.path.startswith(tuple(self.exempt_paths)):
            return True
        result = request.app.route_table.lookup(request.method, request.path)
        return type(result) is Match and getattr(result.route.handler, _EXEMPT, False)

    def check_origin(self, request: Request) -> None:
        """Refuse a request whose Origin (or, over HTTPS, Referer) is not this site or a trusted one."""
        own = f"{request.scheme}://{request.url.netloc}".lower()
        origin = request.headers.get("origin")
        if origin is not None:
            if origin.lower() != own and origin.lower() not in self.trusted_origins:
                raise CSRFFailure(f"the request comes from origin {origin!r}, not {own!r} or a trusted one")
            return
        if request.scheme != "https":
            return  # plain HTTP: Referer is often stripped, and the token still has to match
        referer = request.headers.get("referer")
        if not referer:
            raise CSRFFailure("an HTTPS request without an Origin or a Referer header")
        parts = urlsplit(referer)
        source = f"{parts.scheme}://{parts.netloc}".lower()
        if source != own and source not in self.trusted_origins:
            raise CSRFFailure(f"the Referer is {source!r}, not {own!r} or a trusted origin")

    async def check_token(self, request: Request, tokens: _RequestTokens) -> None:
        cookie = request.cookies.get(self.cookie_name)
        if not cookie:
            raise CSRFFailure(f"no {self.cookie_name} cookie: load a page that renders csrf_token() first")
        submitted = request.headers.get(self.header_name) or await self._form_token(request)
        if not submitted:
            raise CSRFFailure(
                f"no CSRF token: send it in the {self.header_name} header or the {self.field_name} form field"
            )
        token = _unmask(submitted)
        if token is None or not hmac.compare_digest(token.encode(), cookie.encode()):
            raise CSRFFailure(f"the CSRF token does not match the {self.cookie_name} cookie")
        if not tokens.cookie_is_valid:
            raise CSRFFailure("the CSRF token was not issued for this session (or was altered); reload")

    async def _form_token(self, request: Request) -> Optional[str]:
        content_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        if content_type not in _FORM_TYPES:
            return None
        if content_type == _FORM_TYPES[0]:
            await request.body()  # kept: the handler can still read the body itself
        value = (await request.form()).get(self.field_name)
        return value if isinstance(value, str) else None

    def refresh_cookie(self, request: Request, tokens: _RequestTokens, response: Response) -> None:
        """Set the cookie when a token was handed out, or when the session the token was bound to
        changed (a login): the next form then carries a token for the new session."""
        binding = session_binding(request)
        token = tokens.issued
        if token is None and tokens.cookie and not tokens.cookie_valid_for(binding):
            token = self.new_token(binding)  # the session changed (a login): a token for the new one
        elif token is not None and not _same(tokens.issued_for, binding):
            token = self.new_token(binding)  # handed out before the session changed again
        if token is None:
            return
        secure = self.cookie_secure
        if secure is None and request.app.settings.production:
            secure = True
        response.set_cookie(
            self.cookie_name,
            token,
            max_age=31_536_000,
            path=self.cookie_path,
            domain=self.cookie_domain,
            secure=secure,
            httponly=False,  # scripts read it to send the X-CSRF-Token header
            samesite=self.cookie_samesite,
        )
