"""Authentication: backends that recognise a request's credentials, and ``current_user``.

::

    auth = Authentication([
        SessionAuth(load_user),                           # the session's "user_id"
        BearerAuth(token_service, realm="api"),           # Authorization: Bearer <JWT>
        APIKeyAuth(find_key_owner),                       # X-API-Key: <key>
    ])

    @app.get("/me")
    async def me(user: Annotated[User, Depends(auth.current_user)]) -> UserOut: ...

    @app.get("/")
    async def home(user: Annotated[Optional[User], Depends(auth.optional_user)]): ...

Backends are tried in order; the first that finds its kind of credentials decides. A backend
answers None when the request carries none of its credentials, and raises AuthenticationError
when they are there but wrong (a tampered or expired token: no other backend is asked then).
``current_user`` refuses a request nobody recognised with 401 and a ``WWW-Authenticate``
challenge per backend that has one (Bearer carries the RFC 6750 ``error`` when a token was
refused); with ``login_url`` a browser's GET is sent to the login page instead (303). The
result is kept for the rest of the request, and the user is ``request.state.user``.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol, Union
from urllib.parse import quote

from covet.exceptions import HTTPException
from covet.requests import Request
from covet.security.authorization import (
    Requirement,
    permission_requirement,
    role_requirement,
    scope_requirement,
)
from covet.security.bearer import BearerTokenValidator, bearer_challenge, parse_bearer, token_scopes
from covet.security.errors import AuthenticationError, InvalidToken, MissingCredentials
from covet.security.policies import Authorizer
from covet.security.tokens import TokenService

__all__ = [
    "APIKeyAuth",
    "AuthBackend",
    "Authentication",
    "BearerAuth",
    "Identity",
    "SessionAuth",
    "hash_api_key",
]

UserLoader = Callable[[Any], Any]  # (id or claims) -> user, None when there is none; may be async
_NOBODY: Any = object()


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@dataclass(frozen=True)
class Identity:
    """Who a request proved to be: the user, how (``scheme``), and what a token allows."""

    user: Any
    scheme: str
    scopes: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict)


class AuthBackend(Protocol):
    #: How identities from this backend say they were proved (``Identity.scheme``).
    scheme: str

    async def authenticate(self, request: Request) -> Optional[Identity]:
        """The identity the request's credentials prove; None when it carries none of this kind.

        Raise AuthenticationError when they are present but not valid.
        """
        ...

    def challenge(self, error: Optional[AuthenticationError]) -> Optional[str]:
        """The ``WWW-Authenticate`` value this scheme answers a refusal with (None: it has none)."""
        ...


class SessionAuth:
    """The user whose id the session holds under ``key`` (set by ``login``, removed by ``logout``)."""

    scheme = "session"

    def __init__(self, load_user: UserLoader, *, key: str = "user_id") -> None:
        self.load_user = load_user
        self.key = key

    async def authenticate(self, request: Request) -> Optional[Identity]:
        user_id = request.session.get(self.key)
        if user_id is None:
            return None
        user = await _maybe_await(self.load_user(user_id))
        return None if user is None else Identity(user, self.scheme)

    def challenge(self, error: Optional[AuthenticationError]) -> Optional[str]:
        return None  # browsers have no challenge for cookies; Authentication(login_url=) redirects

    def login(self, request: Request, user_id: Any) -> None:
        """Log ``user_id`` in: a new session id first (no fixation), then the id in the session."""
        request.session.rotate()
        request.session[self.key] = user_id

    def logout(self, request: Request) -> None:
        request.session.clear()


TokenVerifier = Union[TokenService, BearerTokenValidator, Callable[[str], Awaitable[Mapping[str, Any]]]]


class BearerAuth:
    """``Authorization: Bearer <token>``, checked by a TokenService (tokens this app issued), a
    BearerTokenValidator (an authorization server's) or any ``async (token) -> claims``."""

    scheme = "bearer"

    def __init__(
        self, tokens: TokenVerifier, *, realm: Optional[str] = None, load_user: Optional[UserLoader] = None
    ) -> None:
        if isinstance(tokens, TokenService):
            self.verify: Callable[[str], Awaitable[Mapping[str, Any]]] = tokens.authenticate
        elif isinstance(tokens, BearerTokenValidator):
            self.verify = tokens.validate
        else:
            self.verify = tokens
        self.realm = realm
        self.load_user = load_user

    async def authenticate(self, request: Request) -> Optional[Identity]:
        try:
            token = parse_bearer(request.headers.get("authorization"))
        except MissingCredentials:
            return None
        claims = dict(await self.verify(token))
        user: Any = claims
        if self.load_user is not None:
            user = await _maybe_await(self.load_user(claims))
            if user is None:
                raise InvalidToken("the token's subject is not a known user")
        return Identity(user, self.scheme, token_scopes(claims), claims)

    def challenge(self, error: Optional[AuthenticationError]) -> Optional[str]:
        return bearer_challenge(error, realm=self.realm)


def hash_api_key(key: str) -> str:
    """What to store for an API key and look it up by: its SHA-256 (hex).

    The key is random and long, so a fast hash is enough; looking up the hash instead of the key
    keeps the key out of the database and the comparison out of application code.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class APIKeyAuth:
    """An API key in a header; ``lookup(hash_api_key(key))`` gives its owner, or None if unknown."""

    scheme = "api-key"

    def __init__(self, lookup: UserLoader, *, header: str = "x-api-key") -> None:
        self.lookup = lookup
        self.header = header.lower()

    async def authenticate(self, request: Request) -> Optional[Identity]:
        key = request.headers.get(self.header)
        if key is None:
            return None
        user = await _maybe_await(self.lookup(hash_api_key(key.strip())))
        if user is None:
            raise InvalidToken(f"the {self.header} header holds no known API key")
        return Identity(user, self.scheme)

    def challenge(self, error: Optional[AuthenticationError]) -> Optional[str]:
        return f'ApiKey header="{self.header}"'


class Authentication:
    """Backends tried in order, and the dependencies that give the user; see the module docstring.

    ``authorizer`` (``covet.security.policies.Authorizer``) is what ``requires`` and
    ``require_role`` (``covet.security.authorization``) check against.
    """

    def __init__(
        self,
        backends: Sequence[AuthBackend],
        *,
        authorizer: Optional[Authorizer] = None,
        login_url: Optional[str] = None,
    ) -> None:
        if not backends:
            raise ValueError("Authentication needs at least one backend")
        self.backends = tuple(backends)
        self.authorizer = authorizer
        self.login_url = login_url
        self._state_key = f"_covet_identity_{id(self)}"

    def __repr__(self) -> str:
        return f"Authentication({[type(b).__name__ for b in self.backends]})"

    async def identify(self, request: Request) -> Optional[Identity]:
        """The request's identity, None for an anonymous one; AuthenticationError for bad credentials."""
        state = request.state
        cached = getattr(state, self._state_key, _NOBODY)
        if cached is not _NOBODY:
            return cached  # type: ignore[no-any-return]
        identity = None
        for backend in self.backends:
            try:
                identity = await backend.authenticate(request)
            except AuthenticationError as exc:
                exc.challenges = self.challenges(exc, backend.scheme)
                raise
            if identity is not None:
                state.user = identity.user
                break
        setattr(state, self._state_key, identity)
        return identity

    def challenges(
        self, error: Optional[AuthenticationError] = None, scheme: Optional[str] = None
    ) -> tuple[str, ...]:
        """The ``WWW-Authenticate`` values of a refusal; the backend of ``scheme`` describes ``error``."""
        found = []
        for backend in self.backends:
            challenge = backend.challenge(error if backend.scheme == scheme else None)
            if challenge is not None:
                found.append(challenge)
        return tuple(found)

    async def require_identity(self, request: Request) -> Identity:
        """The identity, or the refusal: 401 with the challenges, or the redirect to ``login_url``."""
        identity = await self.identify(request)
        if identity is not None:
            return identity
        if self.login_url is not None and request.method == "GET" and self._wants_html(request):
            url = request.url
            target = quote(url.path + (f"?{url.query}" if url.query else ""), safe="/")
            raise HTTPException(303, headers={"location": f"{self.login_url}?next={target}"})
        error = MissingCredentials("authentication required: this resource needs a logged-in user")
        error.challenges = self.challenges()
        raise error

    @staticmethod
    def _wants_html(request: Request) -> bool:
        return "text/html" in (request.headers.get("accept") or "")

    async def current_user(self, request: Request) -> Any:
        """Dependency: the user; 401 (or the login redirect) when the request proves nobody."""
        return (await self.require_identity(request)).user

    async def optional_user(self, request: Request) -> Any:
        """Dependency: the user, or None for an anonymous request (bad credentials are still a 401)."""
        identity = await self.identify(request)
        return None if identity is None else identity.user

    # -- authorization (covet.security.authorization) --------------------------------------------

    def requires(self, *permissions: str, resource: Optional[Callable[..., Any]] = None) -> Requirement:
        """Dependency and decorator: the user, once the authorizer allows every permission (403
        otherwise); ``resource`` is a dependency giving the object the permissions are about."""
        return permission_requirement(self, permissions, resource)

    def require_role(self, *roles: str) -> Requirement:
        """Dependency and decorator: the user, if they hold one of ``roles`` (inherited ones count)."""
        return role_requirement(self, roles)

    def requires_scopes(self, *scopes: str) -> Requirement:
        """Dependency and decorator: the user, if their token grants every scope."""
        return scope_requirement(self, scopes)

    async def authorize(
        self, user: Any, action: str, resource: Any = None, context: Optional[Mapping[str, Any]] = None
    ) -> None:
        """PermissionDenied (403) unless the authorizer lets ``user`` do ``action`` (to ``resource``)."""
        if self.authorizer is None:
            raise TypeError("authorize() needs Authentication(..., authorizer=Authorizer(roles))")
        await self.authorizer.authorize(user, action, resource, context)
