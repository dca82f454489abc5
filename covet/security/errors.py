"""The exceptions ``covet.security`` raises, grouped by the HTTP answer they stand for.

The web layer maps them by base class, so a new failure only has to pick its parent::

    SecurityError
    ├── AuthenticationError        401: who you are is unknown or unproven
    │   ├── MissingCredentials     no credentials at all (the challenge carries no error code)
    │   ├── InvalidRequest         a malformed Authorization header (400 per RFC 6750)
    │   ├── InvalidToken           bad signature, wrong alg/kid, malformed, wrong aud/iss/type
    │   │   ├── ExpiredToken       past ``exp`` (leeway included)
    │   │   ├── TokenNotYetValid   before ``nbf`` or ``iat`` (leeway included)
    │   │   └── RevokedToken       its ``jti`` (or its refresh family) was revoked
    │   └── InsufficientScope      a valid bearer token without a required scope (403 per RFC 6750)
    ├── PermissionDenied           403: authenticated, not allowed
    │   └── CSRFFailure            403: an unsafe request without a valid CSRF token or origin
    ├── RateLimitExceeded          429: too many requests; ``headers`` carry Retry-After
    ├── OAuth2Error                the provider refused, or answered what a client must not trust
    ├── InvalidPasswordHash        a stored hash no configured scheme can read (a data problem)
    ├── RoleDefinitionError        RBAC roles that cannot be resolved (cycle, unknown parent)
    └── SecretError                a secret missing, unreadable or too weak to use
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "AuthenticationError",
    "CSRFFailure",
    "ExpiredToken",
    "InsufficientScope",
    "InvalidPasswordHash",
    "InvalidRequest",
    "InvalidToken",
    "MissingCredentials",
    "OAuth2Error",
    "PermissionDenied",
    "RateLimitExceeded",
    "RevokedToken",
    "RoleDefinitionError",
    "SecretError",
    "SecurityError",
    "TokenNotYetValid",
]


class SecurityError(Exception):
    """Base class of every error ``covet.security`` raises."""


class AuthenticationError(SecurityError):
    """The request's credentials are missing, malformed or wrong: answer 401.

    ``error`` is the RFC 6750 error code the ``WWW-Authenticate`` header carries
    (``invalid_token``, ``invalid_request``, ``insufficient_scope``). ``challenges`` are the
    ``WWW-Authenticate`` values the answer carries: the authentication backends set them; None
    (an error raised elsewhere) answers with a Bearer challenge built from the error.
    """

    status_code = 401
    error: Optional[str] = "invalid_token"
    challenges: Optional[tuple[str, ...]] = None


class MissingCredentials(AuthenticationError):
    """The request carries no credentials; RFC 6750 3.1 answers 401 with no error code."""

    error = None


class InvalidRequest(AuthenticationError):
    """The credentials are malformed (``Authorization: Bearer`` with no token, two tokens...)."""

    status_code = 400
    error = "invalid_request"


class InvalidToken(AuthenticationError):
    """A token that must not be trusted; the message says why (never echoing the token)."""


class ExpiredToken(InvalidToken):
    """The token's ``exp`` has passed, leeway included."""


class TokenNotYetValid(InvalidToken):
    """The token's ``nbf`` (or ``iat``) lies in the future, leeway included."""


class RevokedToken(InvalidToken):
    """The token's ``jti`` was revoked (logout, refresh rotation, reuse detection)."""


class InsufficientScope(AuthenticationError):
    """A valid token that lacks a scope the resource requires; RFC 6750 answers 403."""

    status_code = 403
    error = "insufficient_scope"

    def __init__(self, message: str, *, required: frozenset[str] = frozenset()) -> None:
        super().__init__(message)
        self.required = required


class PermissionDenied(SecurityError):
    """The subject is known but may not perform ``permission`` (on ``resource``): answer 403."""

    status_code = 403

    def __init__(self, message: str, *, permission: Optional[str] = None) -> None:
        super().__init__(message)
        self.permission = permission


class CSRFFailure(PermissionDenied):
    """An unsafe request from a cookie-carrying client without a valid CSRF token or origin."""

    def __init__(self, message: str) -> None:
        super().__init__(f"CSRF check failed: {message}")


class RateLimitExceeded(SecurityError):
    """Too many requests for one key: answer 429 with ``headers`` (Retry-After, RateLimit-*)."""

    status_code = 429

    def __init__(self, message: str, *, headers: Optional[dict[str, str]] = None) -> None:
        super().__init__(message)
        self.headers = dict(headers or {})


class OAuth2Error(SecurityError):
    """An OAuth2/OpenID Connect step failed; ``error`` is the RFC 6749 code when the provider sent one."""

    def __init__(
        self, message: str, *, error: Optional[str] = None, description: Optional[str] = None
    ) -> None:
        super().__init__(message)
        self.error = error
        self.description = description


class InvalidPasswordHash(SecurityError, ValueError):
    """A stored password hash that no configured scheme recognises, or that is corrupt."""


class RoleDefinitionError(SecurityError, ValueError):
    """Roles whose inheritance cannot be resolved: a cycle or an undefined parent role."""


class SecretError(SecurityError):
    """A secret is missing, unreadable, or too weak; the message names the variable and the fix."""
