"""A provider's published keys (its ``jwks_uri``), fetched over HTTP and cached.

The cached set is used until ``ttl`` runs out. A token whose kid the cache does not know
triggers one refetch — the provider may have rotated — but at most once per
``min_refresh_interval``, so a stream of tokens with made-up kids cannot turn the service into
a request amplifier against the provider. If a refetch fails while keys are cached, the cached
keys keep serving (the provider may be briefly down); with nothing cached it is an OAuth2Error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Optional

import httpx
from jwt.api_jws import get_unverified_header
from jwt.exceptions import PyJWTError

from covet.security.errors import OAuth2Error
from covet.security.keys import KeySet

__all__ = ["RemoteJWKS"]


class RemoteJWKS:
    """The verify-only KeySet published at ``url``, refreshed on expiry or on an unknown kid."""

    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient,
        *,
        ttl: float = 3600.0,
        min_refresh_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.http = http
        self.ttl = ttl
        self.min_refresh_interval = min_refresh_interval
        self._clock = clock
        self._keys: Optional[KeySet] = None
        self._fetched_at = float("-inf")  # last success: the TTL runs from here
        self._attempted_at = float("-inf")  # last try: refetches are spaced from here
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"RemoteJWKS({self.url!r})"

    def _usable(self, kid: Optional[str]) -> Optional[KeySet]:
        keys = self._keys
        if keys is None or self._clock() - self._fetched_at >= self.ttl:
            return None
        return keys if kid is None or kid in keys else None

    async def keys(self, kid: Optional[str] = None) -> KeySet:
        """The current key set, refetched first if stale or if it lacks ``kid`` (rate-limited)."""
        keys = self._usable(kid)
        if keys is not None:
            return keys
        async with self._lock:
            keys = self._usable(kid)  # another task may have refreshed while this one waited
            if keys is not None:
                return keys
            cached = self._keys
            now = self._clock()
            if cached is not None and now - self._attempted_at < self.min_refresh_interval:
                return cached
            self._attempted_at = now
            try:
                fetched = await self._fetch()
            except OAuth2Error:
                if cached is None:
                    raise
                return cached  # the provider may be briefly down: keep serving what it published
            self._keys, self._fetched_at = fetched, now
            return fetched

    async def keys_for(self, token: str) -> KeySet:
        """``keys()`` for the kid in ``token``'s header, read unverified only to pick the key."""
        try:
            kid = get_unverified_header(token).get("kid")
        except PyJWTError:
            kid = None  # JWTCodec reports the malformed token
        return await self.keys(kid if isinstance(kid, str) else None)

    async def _fetch(self) -> KeySet:
        try:
            response = await self.http.get(self.url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OAuth2Error(f"cannot fetch the JWKS at {self.url}: {exc}") from exc
        if response.status_code != 200:
            raise OAuth2Error(f"the JWKS at {self.url} answered HTTP {response.status_code}")
        try:
            return KeySet.from_jwks(response.json())
        except ValueError as exc:
            raise OAuth2Error(f"the JWKS at {self.url} is not a JWKS document: {exc}") from None
