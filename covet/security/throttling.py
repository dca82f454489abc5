"""Rate limits on requests: a middleware for the whole app, a dependency for one route.

::

    redis_limits = RedisRateLimitBackend(redis)                        # shared by every worker
    app.add_middleware(RateLimitMiddleware, rate="300/minute", backend=redis_limits)

    login_limit = RateLimit("5/15m", backend=redis_limits)             # per route and address
    @app.post("/login", dependencies=[login_limit])
    async def login(request): ...
        await login_limit.reset(request)                               # after a good password

A refused request gets 429 with ``Retry-After`` and the ``RateLimit-Limit/Remaining/Reset``
fields (the middleware adds the latter to every answer). Buckets are keyed by what ``key``
returns for the request: ``by_ip`` (the default), ``by_user`` (``request.state.user``, set by
``covet.security.authentication``; the address when anonymous) or any function of the request.
The dependency also keys by the route's template, so ``/items/{id}`` is one bucket per client.

The client's address is the connection's peer, or — only when the peer is one of
``Settings.trusted_proxies`` — the nearest untrusted address in ``X-Forwarded-For``: a client
cannot pick its own bucket by sending that header. Use the Redis backend with several workers
or hosts: its buckets are exact across processes; memory buckets are per process.
"""

from __future__ import annotations

import inspect
import ipaddress
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING, Optional, Union
from urllib.parse import quote

from covet.dependencies import Depends
from covet.middleware.base import BaseHTTPMiddleware, CallNext
from covet.requests import Request
from covet.responses import PlainTextResponse
from covet.routing import Match
from covet.security.errors import RateLimitExceeded
from covet.security.ratelimit import (
    MemoryRateLimitBackend,
    Rate,
    RateLimitBackend,
    RateLimiter,
    RateLimitResult,
    compose_key,
    ip_key,
    route_key,
    user_key,
)
from covet.security.settings import Network

if TYPE_CHECKING:
    from covet.responses import Response

__all__ = ["RateLimit", "RateLimitMiddleware", "by_ip", "by_route", "by_user", "client_ip"]

KeyFunction = Callable[[Request], Union[str, Awaitable[str]]]


def client_ip(request: Request, trusted_proxies: Collection[Network] = ()) -> str:
    """The client's address: the peer's, or the nearest untrusted hop of X-Forwarded-For when the
    peer is a trusted proxy. "" when the server does not know it (a Unix socket)."""
    peer = request.client.host if request.client else ""
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted_proxies):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, networks: Collection[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def by_ip(request: Request) -> str:
    """``ip=...`` for the client's address (IPv6 by /64); non-IP peers by their name."""
    address = client_ip(request, request.app.settings.trusted_proxy_networks)
    try:
        return ip_key(address)
    except ValueError:
        return f"ip={quote(address, safe='')}"  # a test client's name, a Unix socket's ""


def by_route(request: Request) -> str:
    """``route=GET /items/{id}``: the template of the route the request goes to."""
    result = request.app.route_table.lookup(request.method, request.path)
    template = result.route.path if type(result) is Match else "(no route)"
    return route_key(request.method, template)


def by_user(request: Request) -> str:
    """``user=<id>`` of the authenticated user (its ``id``, a mapping's ``sub``), else ``by_ip``."""
    user = getattr(request.state, "user", None)
    if user is None:
        return by_ip(request)
    user_id = user.get("sub") if isinstance(user, dict) else getattr(user, "id", None)
    return user_key(user_id if user_id is not None else user)


async def _key_of(key: KeyFunction, request: Request) -> str:
    value = key(request)
    return await value if inspect.isawaitable(value) else value


def _limiter(rate: Union[Rate, str], backend: Optional[RateLimitBackend]) -> RateLimiter:
    return RateLimiter(backend if backend is not None else MemoryRateLimitBackend(), rate)


def _refusal_message(result: RateLimitResult, rate: Rate) -> str:
    retry = result.headers()["Retry-After"]
    return f"too many requests: the limit is {rate.limit} per {rate.period:g} s; retry in {retry} s"


class RateLimitMiddleware(BaseHTTPMiddleware):
    """One limit on every request (but ``exempt_paths``), keyed by ``key`` (the client's address)."""

    def __init__(
        self,
        app: CallNext,
        *,
        rate: Union[Rate, str] = "300/minute",
        backend: Optional[RateLimitBackend] = None,
        key: KeyFunction = by_ip,
        exempt_paths: Collection[str] = (),
    ) -> None:
        super().__init__(app)
        self.limiter = _limiter(rate, backend)
        self.key = key
        self.exempt_paths = tuple(exempt_paths)

    async def __call__(self, request: Request) -> Response:
        if self.exempt_paths and request.path.startswith(self.exempt_paths):
            return await self.app(request)
        result = await self.limiter.hit(await _key_of(self.key, request))
        if not result.allowed:
            message = _refusal_message(result, self.limiter.rate)
            return PlainTextResponse(message, status_code=429, headers=result.headers())
        response = await self.app(request)
        for name, value in result.headers().items():
            response.headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        return response


class RateLimit(Depends):
    """A per-route limit as a dependency: ``dependencies=[RateLimit("5/minute")]``.

    Buckets are per route and ``key`` (the address); ``per_route=False`` shares one bucket
    between every route the same RateLimit guards. The dependency's value is the
    RateLimitResult; refused, it raises RateLimitExceeded (429).
    """

    __slots__ = ("limiter", "key", "per_route")

    def __init__(
        self,
        rate: Union[Rate, str],
        *,
        backend: Optional[RateLimitBackend] = None,
        key: KeyFunction = by_ip,
        per_route: bool = True,
    ) -> None:
        super().__init__(self.check)
        self.limiter = _limiter(rate, backend)
        self.key = key
        self.per_route = per_route

    def __repr__(self) -> str:
        return f"RateLimit({self.limiter!r})"

    async def bucket(self, request: Request) -> str:
        """The key this request counts against."""
        key = await _key_of(self.key, request)
        return compose_key(by_route(request), key) if self.per_route else key

    async def check(self, request: Request) -> RateLimitResult:
        result = await self.limiter.hit(await self.bucket(request))
        if not result.allowed:
            raise RateLimitExceeded(_refusal_message(result, self.limiter.rate), headers=result.headers())
        return result

    async def reset(self, request: Request) -> None:
        """Refill this request's bucket (after a successful login, say)."""
        await self.limiter.reset(await self.bucket(request))
