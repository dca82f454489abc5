"""The answers a Covet app gives by default to ``covet.security`` errors: 401/400/403/429.

``Covet`` registers these for the error classes (as it does for RequestValidationError); an
app replaces any of them like another exception handler, ``app.exception_handler(
PermissionDenied)(my_page)``. Each answer is the error's message as text, the way an
HTTPException is answered, with the headers the status calls for:

* AuthenticationError -> its ``status_code`` (401; 400 for a malformed Authorization header,
  403 for a token without a needed scope) and ``WWW-Authenticate`` (RFC 9110 11.6.1, RFC 6750 3);
* PermissionDenied (CSRFFailure included) -> 403;
* RateLimitExceeded -> 429 with ``Retry-After`` and the ``RateLimit-*`` fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from covet.responses import PlainTextResponse, Response
from covet.security.errors import AuthenticationError, PermissionDenied, RateLimitExceeded

if TYPE_CHECKING:
    from covet.middleware.errors import ExceptionHandlers
    from covet.requests import Request

__all__ = ["install_security_handlers"]


def authentication_error_response(request: Request, exc: AuthenticationError) -> Response:
    response = PlainTextResponse(str(exc), status_code=exc.status_code)
    challenges = exc.challenges
    if challenges is None:
        from covet.security.bearer import bearer_challenge  # the error path only: keeps PyJWT out of imports

        challenges = (bearer_challenge(exc),)
    for challenge in challenges:
        response.append_header("www-authenticate", challenge)
    return response


def permission_denied_response(request: Request, exc: PermissionDenied) -> Response:
    return PlainTextResponse(str(exc), status_code=exc.status_code)


def rate_limited_response(request: Request, exc: RateLimitExceeded) -> Response:
    return PlainTextResponse(str(exc), status_code=exc.status_code, headers=exc.headers)


_DEFAULTS: dict[type[Exception], Any] = {
    AuthenticationError: authentication_error_response,
    PermissionDenied: permission_denied_response,
    RateLimitExceeded: rate_limited_response,
}


def install_security_handlers(handlers: ExceptionHandlers) -> None:
    """Register the default answers for the classes the app has no handler of its own for."""
    for cls, handler in _DEFAULTS.items():
        if cls not in handlers.by_class:
            handlers.add(cls, handler)
