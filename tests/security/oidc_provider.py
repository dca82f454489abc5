"""A small OpenID Connect provider (Starlette) that the OAuth2 tests talk to over real HTTP.

It implements what a real provider checks — registered client and redirect URI, client
authentication, single-use codes, PKCE S256 — and has knobs (``overrides``) to misbehave the
ways an attacker or a broken provider would: wrong nonce, foreign issuer, unknown signing key.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import parse_qs, unquote, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from covet.security.jwt import JWTCodec
from covet.security.keys import Key, KeySet
from covet.security.oauth2 import pkce_challenge
from tests.security.keyring import key

CLIENT_ID = "covet-app"
CLIENT_SECRET = "s3cret:with/odd&chars"  # noqa: S105 - a test fixture
REDIRECT_URI = "http://app.test/callback"
API_AUDIENCE = "https://api.test"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    nonce: Optional[str]
    subject: str = "user-123"


@dataclass
class Provider:
    issuer: str = ""
    keys: KeySet = field(
        default_factory=lambda: KeySet(
            [key("RS256", "idp-rsa"), key("ES256", "idp-ec")], signing_kid="idp-rsa"
        )
    )
    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    # Knobs a test sets to make the provider misbehave; reset() clears them.
    overrides: dict[str, Any] = field(default_factory=dict)
    jwks_fetches: int = 0

    def reset(self) -> None:
        self.overrides.clear()
        self.jwks_fetches = 0

    def codec(self, signing_key: Optional[Key] = None) -> JWTCodec:
        return JWTCodec(KeySet([signing_key]) if signing_key else self.keys, issuer=self.issuer)

    def access_token(self, grant: Grant) -> str:
        return self.codec().encode(
            {"sub": grant.subject, "aud": API_AUDIENCE, "scope": grant.scope, "client_id": grant.client_id},
            expires_in=300,
        )

    def id_token(self, grant: Grant) -> str:
        claims: dict[str, Any] = {"sub": grant.subject, "aud": grant.client_id, "email": "ada@example.com"}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(self.overrides.get("id_token_claims", {}))
        return self.codec(self.overrides.get("id_token_key")).encode(claims, expires_in=300)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.overrides.get("discovery_issuer", self.issuer),
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        self.jwks_fetches += 1
        if self.overrides.get("jwks_down"):
            return Response("unavailable", status_code=503)
        return JSONResponse(self.keys.jwks())

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("redirect_uri") != REDIRECT_URI:
            return JSONResponse({"error": "invalid_request"}, status_code=400)  # never redirect there
        if (
            q.get("response_type") != "code"
            or q.get("code_challenge_method") != "S256"
            or not q.get("code_challenge")
        ):
            return JSONResponse({"error": "invalid_request", "error_description": "PKCE S256 required"}, 400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = Grant(
            CLIENT_ID, REDIRECT_URI, q["code_challenge"], q.get("scope", ""), q.get("nonce")
        )
        params = {"code": code, "state": q.get("state", ""), "iss": self.issuer}
        return RedirectResponse(f"{REDIRECT_URI}?{urlencode(params)}", status_code=302)

    def _client(self, request: Request, form: dict[str, str]) -> Optional[str]:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if client_id == CLIENT_ID and hmac.compare_digest(secret, CLIENT_SECRET):
            return client_id
        return None

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if self.overrides.get("token_error"):
            return JSONResponse({"error": self.overrides["token_error"], "error_description": "told to"}, 400)
        if self._client(request, form) is None:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)  # single use
            if grant is None or grant.redirect_uri != form.get("redirect_uri"):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            if pkce_challenge(form.get("code_verifier", "")) != grant.challenge:
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE verifier"}, 400)
        elif form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if grant is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
        else:
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        refresh_token = secrets.token_urlsafe(16)
        self.refresh_tokens[refresh_token] = grant
        body = {
            "access_token": self.access_token(grant),
            "token_type": self.overrides.get("token_type", "Bearer"),
            "expires_in": 300,
            "refresh_token": refresh_token,
            "scope": grant.scope,
        }
        if "openid" in grant.scope.split():
            body["id_token"] = self.id_token(grant)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def userinfo(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        try:
            claims = self.codec().decode(header.removeprefix("Bearer "), audience=API_AUDIENCE)
        except Exception:  # noqa: BLE001 - any failure is the same 401 here
            return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        sub = self.overrides.get("userinfo_sub", claims["sub"])
        return JSONResponse({"sub": sub, "email": "ada@example.com", "name": "Ada", "at": int(time.time())})
