"""Resource-server side of OAuth2: validate ``Authorization: Bearer <JWT>`` and its scopes (RFC 6750).

The tokens are JWT access tokens (RFC 9068 style) signed by an authorization server, checked
against its keys (a KeySet, or a RemoteJWKS fetched from its ``jwks_uri``) with ``iss``, ``aud``
and the time claims enforced. Failures are AuthenticationError subclasses whose ``status_code``
and ``error`` feed ``bearer_challenge`` — the ``WWW-Authenticate`` value for the 401/403::

    validator = BearerTokenValidator(RemoteJWKS(jwks_uri, http), issuer=..., audience="api")
    try:
        claims = await validator.authenticate(request.headers.get("authorization"), scopes={"read"})
    except AuthenticationError as exc:
        ...  # answer exc.status_code with {"WWW-Authenticate": bearer_challenge(exc, realm="api")}
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Optional, Union

from covet.security.errors import AuthenticationError, InsufficientScope, InvalidRequest, MissingCredentials
from covet.security.jwks import RemoteJWKS
from covet.security.jwt import JWTCodec, Seconds
from covet.security.keys import KeySet

__all__ = ["BearerTokenValidator", "bearer_challenge", "parse_bearer", "token_scopes"]

# RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*) *")


def parse_bearer(authorization: Optional[str]) -> str:
    """The token of an ``Authorization: Bearer`` header value.

    MissingCredentials when there is no header or it is another scheme (so the challenge can
    offer Bearer), InvalidRequest when it says Bearer but the token is malformed.
    """
    if not authorization or not authorization.strip():
        raise MissingCredentials("no Authorization header")
    scheme = authorization.strip().split(" ", 1)[0]
    if scheme.lower() != "bearer":
        raise MissingCredentials(f"the Authorization scheme is {scheme!r}, not Bearer")
    match = _BEARER.fullmatch(authorization.strip())
    if match is None:
        raise InvalidRequest("malformed Bearer credentials")
    return match[1]


def token_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """The scopes a token grants: ``scope`` as a space-separated string (RFC 9068) or a list ``scp``."""
    scope = claims.get("scope", claims.get("scp"))
    if isinstance(scope, str):
        return frozenset(scope.split())
    if isinstance(scope, list) and all(isinstance(s, str) for s in scope):
        return frozenset(scope)
    return frozenset()


def _quoted(value: str) -> str:
    # RFC 6750 3: error_description and scope exclude '"' and '\\'; keep printable ASCII only.
    return '"' + "".join(ch for ch in value if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\') + '"'


def bearer_challenge(
    error: Optional[AuthenticationError] = None, *, realm: Optional[str] = None, scopes: Iterable[str] = ()
) -> str:
    """The ``WWW-Authenticate`` header value for a refused bearer request (RFC 6750 section 3)."""
    params = []
    if realm:
        params.append(f"realm={_quoted(realm)}")
    if error is not None and error.error:
        params.append(f"error={_quoted(error.error)}")
        params.append(f"error_description={_quoted(str(error))}")
    required = sorted(error.required) if isinstance(error, InsufficientScope) else sorted(scopes)
    if required:
        params.append(f"scope={_quoted(' '.join(required))}")
    return "Bearer" + (" " + ", ".join(params) if params else "")


class BearerTokenValidator:
    """Validates JWT access tokens from one authorization server for this resource server."""

    def __init__(
        self,
        keys: Union[KeySet, RemoteJWKS],
        *,
        issuer: Optional[str],
        audience: Union[str, Collection[str], None],
        leeway: Seconds = 30,
        require: Collection[str] = ("exp", "sub"),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.require = tuple(require)
        self.clock = clock

    def __repr__(self) -> str:
        return f"BearerTokenValidator(issuer={self.issuer!r}, audience={self.audience!r})"

    async def validate(self, token: str, *, scopes: Iterable[str] = ()) -> dict[str, Any]:
        """The token's claims if it is valid and grants every scope in ``scopes``."""
        codec = JWTCodec(
            self.keys if isinstance(self.keys, KeySet) else await self.keys.keys_for(token),
            issuer=self.issuer,
            audience=self.audience,
            leeway=self.leeway,
            require=self.require,
            clock=self.clock,
        )
        claims = codec.decode(token)
        required = frozenset(scopes)
        missing = required - token_scopes(claims)
        if missing:
            raise InsufficientScope(f"the token lacks scope {' '.join(sorted(missing))}", required=required)
        return claims

    async def authenticate(
        self, authorization: Optional[str], *, scopes: Iterable[str] = ()
    ) -> dict[str, Any]:
        """``validate`` for an ``Authorization`` header value (None when the header is absent)."""
        return await self.validate(parse_bearer(authorization), scopes=scopes)
