"""Access/refresh token pairs: short-lived access tokens, rotating refresh tokens, revocation.

Every token carries a ``jti`` (its id), a ``token_type`` (``access`` or ``refresh``, so one can
never stand in for the other) and a ``fam`` (the login it descends from). ``refresh`` revokes
the refresh token it was given and issues a new pair; presenting an already-used refresh token
again means it was stolen (RFC 9700 section 4.14.2), so the whole family is revoked and the
thief and the user both have to log in again. Two concurrent refreshes with one token look the
same, so a client should serialise its refreshes (one in flight, shared by its tabs).

Revocations live in an ExpiringKeySet until the token would have expired anyway: a RedisKeySet
shares them between workers, and its atomic add makes two concurrent refreshes of one token
produce one winner.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional

from covet.security.errors import InvalidToken, RevokedToken
from covet.security.jwt import JWTCodec, Seconds, to_seconds
from covet.security.stores import ExpiringKeySet

__all__ = ["TokenPair", "TokenService"]

ACCESS = "access"
REFRESH = "refresh"
# Claims the service writes itself; callers' extra claims may not override them.
_RESERVED = frozenset({"sub", "jti", "fam", "token_type", "exp", "iat", "nbf", "iss", "aud"})


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the RFC 6750 scheme name, not a secret

    def as_response(self) -> dict[str, Any]:
        """The RFC 6749 section 5.1 token response body."""
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


class TokenService:
    """Issues, checks, refreshes and revokes token pairs signed by ``codec``.

    ``revoked`` holds revoked token ids and families; use a RedisKeySet with several workers.
    """

    def __init__(
        self,
        codec: JWTCodec,
        revoked: ExpiringKeySet,
        *,
        access_ttl: Seconds = timedelta(minutes=15),
        refresh_ttl: Seconds = timedelta(days=14),
    ) -> None:
        self.codec = codec
        self.revoked = revoked
        self.access_ttl = int(to_seconds(access_ttl))
        self.refresh_ttl = int(to_seconds(refresh_ttl))
        if not 0 < self.access_ttl < self.refresh_ttl:
            raise ValueError("access_ttl must be positive and shorter than refresh_ttl")

    def issue(
        self, subject: str, claims: Optional[Mapping[str, Any]] = None, *, family: Optional[str] = None
    ) -> TokenPair:
        """A new pair for ``subject`` (a login); ``claims`` (roles, scope...) go into both tokens."""
        extra = dict(claims or {})
        clash = _RESERVED.intersection(extra)
        if clash:
            raise ValueError(f"claims {sorted(clash)} are set by the token service itself")
        family = family or secrets.token_urlsafe(16)
        common = {**extra, "sub": subject, "fam": family}
        access = self.codec.encode(
            {**common, "jti": secrets.token_urlsafe(16), "token_type": ACCESS}, expires_in=self.access_ttl
        )
        refresh = self.codec.encode(
            {**common, "jti": secrets.token_urlsafe(16), "token_type": REFRESH}, expires_in=self.refresh_ttl
        )
        return TokenPair(access, refresh, self.access_ttl, self.refresh_ttl)

    async def _decode(self, token: str, token_type: str) -> dict[str, Any]:
        claims = self.codec.decode(token, require=("exp", "jti", "fam", "sub", "token_type"))
        if claims["token_type"] != token_type:
            raise InvalidToken(f"a {claims['token_type']} token was given where {token_type} is needed")
        if await self.revoked.contains(f"fam:{claims['fam']}"):
            raise RevokedToken("the login this token belongs to was revoked")
        return claims

    async def authenticate(self, access_token: str) -> dict[str, Any]:
        """The claims of a valid, unrevoked access token; InvalidToken (or a subclass) otherwise."""
        claims = await self._decode(access_token, ACCESS)
        if await self.revoked.contains(f"jti:{claims['jti']}"):
            raise RevokedToken("this access token was revoked")
        return claims

    async def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair in the same family; the refresh token given is used up.

        A refresh token that was already used revokes its whole family (stolen-token reuse).
        """
        claims = await self._decode(refresh_token, REFRESH)
        if not await self.revoked.add(f"jti:{claims['jti']}", self._ttl(claims)):
            await self.revoked.add(f"fam:{claims['fam']}", self.refresh_ttl + self.codec.leeway)
            raise RevokedToken("refresh token reused: every token of this login is now revoked")
        extra = {k: v for k, v in claims.items() if k not in _RESERVED}
        return self.issue(claims["sub"], extra, family=claims["fam"])

    async def revoke(self, token: str) -> None:
        """Revoke one token; a refresh token takes its whole family (the login) with it: logout."""
        claims = self.codec.decode(token, require=("exp", "jti", "fam", "token_type"))
        await self.revoked.add(f"jti:{claims['jti']}", self._ttl(claims))
        if claims["token_type"] == REFRESH:
            await self.revoked.add(f"fam:{claims['fam']}", self.refresh_ttl + self.codec.leeway)

    def _ttl(self, claims: Mapping[str, Any]) -> float:
        # Remember a revocation until the token would be refused as expired anyway.
        expires = float(claims["exp"])
        return max(1.0, expires - self.codec.clock() + self.codec.leeway)
