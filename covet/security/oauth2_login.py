"""'Log in with provider X': the two routes of the authorization-code flow, state kept in the session.

::

    provider = OAuth2Login(await OAuth2Client.discover(issuer, client_id=..., client_secret=...,
                                                       redirect_uri="https://app.example.com/callback"))

    @app.get("/login/provider")
    async def start(request):
        return provider.start(request, next_url=request.query_params.get("next"))

    @app.get("/callback")
    async def callback(request):
        result = await provider.complete(request)       # 400 for a forged, replayed or stale callback
        user = await find_or_create_user(result.subject, result.userinfo)
        sessions.login(request, user.id)                 # a new session id, then the user
        return RedirectResponse(result.next_url, status_code=303)

``start`` keeps the attempt's state, nonce and PKCE verifier in ``request.session`` (so
SessionMiddleware must run) and sends the browser to the provider. ``complete`` takes the
attempt the callback's ``state`` names — once: a replayed callback finds nothing — and lets
``OAuth2Client`` exchange the code, validate the ID token (signature, issuer, audience, expiry,
nonce) and fetch the UserInfo claims. Attempts expire after ``attempt_ttl`` (10 minutes); a
few may be pending at once (several tabs). ``next_url`` is kept only when it is a path on this
site, so the login cannot be used as an open redirect.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

import httpx

from covet.exceptions import HTTPException
from covet.requests import Request
from covet.responses import RedirectResponse
from covet.security.errors import OAuth2Error
from covet.security.oauth2 import AuthorizationRequest, OAuth2Client, TokenResponse

__all__ = ["OAuth2Login", "OAuth2Result", "safe_next_url"]


def safe_next_url(url: Optional[str], default: str = "/") -> str:
    """``url`` if it is a path on this site (``/account``), else ``default``: never another host."""
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 0x20 or ch == "\\" for ch in url):
        return default
    return url


@dataclass(frozen=True)
class OAuth2Result:
    """A completed login: the provider's tokens, the ID token's claims, the UserInfo claims."""

    tokens: TokenResponse
    claims: dict[str, Any]
    userinfo: Optional[dict[str, Any]]
    next_url: str

    @property
    def subject(self) -> str:
        """The user's id at the provider (the ID token's ``sub``): what to link an account to."""
        subject = self.claims.get("sub") or (self.userinfo or {}).get("sub")
        if not isinstance(subject, str):
            raise OAuth2Error("the provider named no subject (sub) for this login")
        return subject


class OAuth2Login:
    """The login and callback steps for one provider; see the module docstring."""

    def __init__(
        self,
        client: OAuth2Client,
        *,
        session_key: str = "oauth2",
        attempt_ttl: float = 600.0,
        max_pending: int = 5,
        fetch_userinfo: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.session_key = session_key
        self.attempt_ttl = attempt_ttl
        self.max_pending = max_pending
        self.fetch_userinfo = fetch_userinfo
        self.clock = clock

    def __repr__(self) -> str:
        return f"OAuth2Login({self.client!r})"

    def start(self, request: Request, *, next_url: Optional[str] = None, **options: Any) -> RedirectResponse:
        """Remember a new attempt in the session; the redirect (303) to the provider.

        ``options`` go to ``OAuth2Client.authorization_request`` (``scopes``, ``extra_params``).
        """
        attempt = self.client.authorization_request(**options)
        now = self.clock()
        pending = [a for a in self._pending(request) if now - a["started"] < self.attempt_ttl]
        pending.append({**attempt.as_dict(), "started": now, "next": safe_next_url(next_url)})
        request.session[self.session_key] = pending[-self.max_pending :]
        return RedirectResponse(attempt.url, status_code=303)

    def _pending(self, request: Request) -> list[dict[str, Any]]:
        stored = request.session.get(self.session_key)
        return [a for a in stored if isinstance(a, dict)] if isinstance(stored, list) else []

    def _take(self, request: Request, state: Optional[str]) -> Optional[dict[str, Any]]:
        """The pending attempt ``state`` names (compared in constant time), removed from the session."""
        pending = self._pending(request)
        found = None
        for attempt in pending:
            stored_state = attempt.get("state")
            if state and isinstance(stored_state, str) and hmac.compare_digest(stored_state, state):
                found = attempt
        if found is None:
            return None
        rest = [a for a in pending if a is not found]
        if rest:
            request.session[self.session_key] = rest
        else:
            del request.session[self.session_key]
        if self.clock() - found.get("started", 0) >= self.attempt_ttl:
            raise HTTPException(400, "this login attempt expired; start the login again")
        return found

    async def complete(self, request: Request) -> OAuth2Result:
        """Finish the attempt the callback names: the tokens and claims, or a 400 saying why not."""
        params = dict(request.query_params)
        attempt = self._take(request, params.get("state"))
        if attempt is None:
            raise HTTPException(
                400,
                "no login attempt of this browser matches the callback's state (it was used already, "
                "expired, or was started elsewhere); start the login again",
            )
        try:
            tokens = await self.client.complete(AuthorizationRequest.from_dict(attempt), params)
            claims = dict(tokens.id_token_claims or {})
            userinfo = None
            if self.fetch_userinfo and self.client.provider.userinfo_endpoint:
                userinfo = await self.client.userinfo(tokens.access_token, subject=claims.get("sub"))
        except OAuth2Error as exc:
            if isinstance(exc.__cause__, httpx.HTTPError):
                raise HTTPException(502, f"the login provider cannot be reached: {exc}") from exc
            raise HTTPException(400, f"the login with the provider failed: {exc}") from exc
        return OAuth2Result(tokens, claims, userinfo, safe_next_url(attempt.get("next")))
