"""OAuth2 / OpenID Connect client: "log in with provider X" by authorization code with PKCE.

The flow, in two requests of the application::

    client = await OAuth2Client.discover("https://accounts.example.com", client_id=...,
                                         client_secret=..., redirect_uri="https://app/callback")
    # 1. /login: remember the request (in the session), send the browser to the provider
    request = client.authorization_request()
    session["oauth"] = request.as_dict();  redirect(request.url)
    # 2. /callback: check state, exchange the code, validate the ID token (nonce, iss, aud, exp)
    tokens = await client.complete(AuthorizationRequest.from_dict(session.pop("oauth")), query_params)
    profile = await client.userinfo(tokens.access_token, subject=tokens.id_token_claims["sub"])

PKCE uses S256 (RFC 7636); ``state`` and ``nonce`` are 256-bit random values compared in
constant time. The ID token's signature is checked against the provider's JWKS (fetched and
cached by RemoteJWKS) through ``covet.security.jwt``; the asymmetric algorithms are accepted,
never a shared-secret one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Optional
from urllib.parse import quote, urlencode

import httpx

from covet.security.errors import InvalidToken, OAuth2Error
from covet.security.jwks import RemoteJWKS
from covet.security.jwt import JWTCodec

__all__ = ["AuthorizationRequest", "OAuth2Client", "ProviderMetadata", "TokenResponse", "pkce_challenge"]

ClientAuth = Literal["client_secret_basic", "client_secret_post", "none"]


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE code verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _same(a: Optional[str], b: Optional[str]) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass(frozen=True)
class ProviderMetadata:
    """Where a provider's endpoints are (RFC 8414 / OpenID Connect Discovery)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: Optional[str] = None
    jwks_uri: Optional[str] = None

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ProviderMetadata:
        missing = [k for k in ("issuer", "authorization_endpoint", "token_endpoint") if not document.get(k)]
        if missing:
            raise OAuth2Error(f"the provider metadata lacks {', '.join(missing)}")
        return cls(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            userinfo_endpoint=document.get("userinfo_endpoint"),
            jwks_uri=document.get("jwks_uri"),
        )


@dataclass(frozen=True)
class AuthorizationRequest:
    """One login attempt: ``url`` for the browser; the rest to keep server-side until the callback."""

    url: str
    state: str
    code_verifier: str
    redirect_uri: str
    nonce: Optional[str] = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, to keep in the session between the two requests."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuthorizationRequest:
        missing = [k for k in ("url", "state", "code_verifier", "redirect_uri") if not data.get(k)]
        if missing:
            raise OAuth2Error(f"the stored authorization request lacks {', '.join(missing)}; log in again")
        return cls(data["url"], data["state"], data["code_verifier"], data["redirect_uri"], data.get("nonce"))


@dataclass(frozen=True)
class TokenResponse:
    """A token endpoint's answer; ``id_token_claims`` are set once the ID token was validated."""

    access_token: str
    token_type: str
    expires_in: Optional[int] = None
    refresh_token: Optional[str] = None
    scope: Optional[str] = None
    id_token: Optional[str] = None
    id_token_claims: Optional[dict[str, Any]] = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class OAuth2Client:
    """A confidential (``client_secret``) or public client of one provider."""

    def __init__(
        self,
        provider: ProviderMetadata,
        *,
        client_id: str,
        redirect_uri: str,
        client_secret: Optional[str] = None,
        scopes: Iterable[str] = ("openid", "email", "profile"),
        client_auth: Optional[ClientAuth] = None,
        http: Optional[httpx.AsyncClient] = None,
        leeway: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider = provider
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = tuple(scopes)
        self.client_auth: ClientAuth = client_auth or ("client_secret_basic" if client_secret else "none")
        if self.client_auth != "none" and not client_secret:
            raise ValueError(f"client_auth {self.client_auth!r} needs a client_secret")
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(timeout=10.0, follow_redirects=False)
        self.leeway = leeway
        self.clock = clock
        self.jwks = RemoteJWKS(provider.jwks_uri, self.http) if provider.jwks_uri else None

    def __repr__(self) -> str:
        return f"OAuth2Client(issuer={self.provider.issuer!r}, client_id={self.client_id!r})"

    @classmethod
    async def discover(
        cls, issuer: str, *, http: Optional[httpx.AsyncClient] = None, **options: Any
    ) -> OAuth2Client:
        """A client configured from ``{issuer}/.well-known/openid-configuration``."""
        client = http or httpx.AsyncClient(timeout=10.0, follow_redirects=False)
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            document = await _json(await _send(client, "GET", url), f"discovery document {url}")
            if document.get("issuer") != issuer:
                # OpenID Connect Discovery 4.3: a mismatch means the document is not the issuer's.
                raise OAuth2Error(f"the discovery document at {url} names issuer {document.get('issuer')!r}")
            instance = cls(ProviderMetadata.from_document(document), http=client, **options)
        except BaseException:
            if http is None:
                await client.aclose()
            raise
        instance._owns_http = http is None
        return instance

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> OAuth2Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def authorization_request(
        self, *, scopes: Optional[Iterable[str]] = None, extra_params: Optional[Mapping[str, str]] = None
    ) -> AuthorizationRequest:
        """A fresh login attempt: random state, nonce (for OpenID Connect) and PKCE verifier."""
        scope_list = tuple(scopes) if scopes is not None else self.scopes
        state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
        nonce = secrets.token_urlsafe(32) if "openid" in scope_list else None
        params = {
            **(extra_params or {}),
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(scope_list),
            "state": state,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if nonce is not None:
            params["nonce"] = nonce
        endpoint = self.provider.authorization_endpoint
        url = f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params, quote_via=quote)}"
        return AuthorizationRequest(url, state, verifier, self.redirect_uri, nonce)

    async def complete(self, request: AuthorizationRequest, params: Mapping[str, str]) -> TokenResponse:
        """Check the callback's parameters against ``request``, exchange the code, validate the ID token."""
        if "error" in params:
            raise OAuth2Error(
                f"the provider refused the authorization: {params['error']}",
                error=params["error"],
                description=params.get("error_description"),
            )
        if not _same(params.get("state"), request.state):
            raise OAuth2Error("the callback's state does not match this login attempt (possible CSRF)")
        if "iss" in params and params["iss"] != self.provider.issuer:
            raise OAuth2Error("the callback comes from another issuer (RFC 9207 mix-up protection)")
        code = params.get("code")
        if not code:
            raise OAuth2Error("the callback carries no authorization code")
        tokens = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": request.redirect_uri,
                "code_verifier": request.code_verifier,
            }
        )
        if tokens.id_token is None:
            if request.nonce is not None:
                raise OAuth2Error("the provider returned no ID token for an openid login")
            return tokens
        claims = await self.validate_id_token(tokens.id_token, nonce=request.nonce)
        return _with_claims(tokens, claims)

    async def refresh(self, refresh_token: str) -> TokenResponse:
        """New tokens from a refresh token (RFC 6749 section 6)."""
        tokens = await self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})
        if tokens.id_token is None:
            return tokens
        return _with_claims(tokens, await self.validate_id_token(tokens.id_token, nonce=None))

    async def validate_id_token(self, id_token: str, *, nonce: Optional[str]) -> dict[str, Any]:
        """The ID token's claims after OpenID Connect Core 3.1.3.7's checks, or OAuth2Error."""
        if self.jwks is None:
            raise OAuth2Error("the provider publishes no jwks_uri, so its ID tokens cannot be verified")
        codec = JWTCodec(
            await self.jwks.keys_for(id_token),
            issuer=self.provider.issuer,
            audience=self.client_id,
            leeway=self.leeway,
            require=("iss", "sub", "aud", "exp", "iat"),
            clock=self.clock,
        )
        try:
            claims = codec.decode(id_token)
        except InvalidToken as exc:
            raise OAuth2Error(f"invalid ID token: {exc}") from None
        audiences = [claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise OAuth2Error("invalid ID token: several audiences and azp is not this client")
        if nonce is not None and not _same(claims.get("nonce"), nonce):
            raise OAuth2Error("invalid ID token: its nonce is not this login attempt's (possible replay)")
        return claims

    async def userinfo(self, access_token: str, *, subject: Optional[str] = None) -> dict[str, Any]:
        """The UserInfo claims; ``subject`` (the ID token's ``sub``) must match, as Core 5.3.2 requires."""
        if not self.provider.userinfo_endpoint:
            raise OAuth2Error("the provider has no userinfo_endpoint")
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        response = await _send(self.http, "GET", self.provider.userinfo_endpoint, headers=headers)
        claims = await _json(response, "userinfo response")
        if subject is not None and claims.get("sub") != subject:
            raise OAuth2Error("the userinfo subject is not the ID token's subject")
        return claims

    async def _token_request(self, form: dict[str, str]) -> TokenResponse:
        headers = {"Accept": "application/json"}
        if self.client_auth == "client_secret_basic" and self.client_secret is not None:
            # RFC 6749 2.3.1: both parts are form-urlencoded before the Basic encoding.
            pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
        else:
            form["client_id"] = self.client_id
            if self.client_auth == "client_secret_post" and self.client_secret is not None:
                form["client_secret"] = self.client_secret
        response = await _send(self.http, "POST", self.provider.token_endpoint, headers=headers, data=form)
        body = await _json(response, "token response")
        access_token, token_type = body.get("access_token"), body.get("token_type")
        if not isinstance(access_token, str) or not access_token:
            raise OAuth2Error("the token response has no access_token")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise OAuth2Error(f"unsupported token_type {token_type!r}; only Bearer tokens are handled")
        expires_in = body.get("expires_in")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int):
            expires_in = None
        return TokenResponse(
            access_token=access_token,
            token_type=token_type,
            expires_in=expires_in,
            refresh_token=body.get("refresh_token"),
            scope=body.get("scope"),
            id_token=body.get("id_token"),
            raw=body,
        )


async def _send(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return await http.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise OAuth2Error(f"cannot reach the provider at {url}: {exc}") from exc


def _with_claims(tokens: TokenResponse, claims: dict[str, Any]) -> TokenResponse:
    return TokenResponse(**{**tokens.__dict__, "id_token_claims": claims})


async def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    """The response's JSON object, or an OAuth2Error with the RFC 6749 error code when it has one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            raise OAuth2Error(
                f"the {what} is an error: {body['error']}",
                error=body["error"],
                description=body.get("error_description"),
            )
        raise OAuth2Error(f"the {what} came back with HTTP {response.status_code}")
    if not isinstance(body, dict):
        raise OAuth2Error(f"the {what} is not a JSON object")
    return body
