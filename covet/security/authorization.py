"""Authorization as dependencies and decorators: permissions, roles, scopes and object rules.

``Authentication.requires`` / ``require_role`` / ``requires_scopes`` build a ``Requirement``:
a dependency whose value is the current user once the check passed, and a decorator too::

    auth = Authentication([...], authorizer=Authorizer(roles))

    @app.get("/admin/users", dependencies=[auth.require_role("admin")])
    async def list_users() -> list[UserOut]: ...

    @app.delete("/articles/{id:int}")
    async def delete(id: int, user: Annotated[User, auth.requires("articles:delete", resource=load_article)]):
        ...  # load_article(id) ran first; the Authorizer's roles, object rules and policies allowed it

    @app.get("/reports")
    @auth.require_role("analyst")       # as a decorator: BELOW the route decorator, so the route
    async def reports(request): ...     # registers the guarded handler

An anonymous request gets 401 (with its challenges); a known user who may not gets 403
(PermissionDenied), a token without the scopes 403 with ``error="insufficient_scope"``.
Inside a handler, ``await auth.authorize(user, "articles:edit", article)`` checks one object.
"""

# No ``from __future__ import annotations``: the checks' annotations name closure variables
# (``Depends(auth.current_user)``) and must be evaluated where they are written.
import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

from covet.dependencies import Depends
from covet.requests import Request
from covet.security.errors import InsufficientScope, PermissionDenied
from covet.security.policies import Authorizer
from covet.security.rbac import default_roles_of

if TYPE_CHECKING:
    from covet.security.authentication import Authentication

__all__ = ["Requirement", "permission_requirement", "role_requirement", "scope_requirement"]

H = TypeVar("H", bound=Callable[..., Awaitable[Any]])
_PARAMETER = "_covet_requirement_"


class Requirement(Depends):
    """A check as a dependency (its value: the current user) that also decorates a handler."""

    __slots__ = ("description",)

    def __init__(self, check: Callable[..., Awaitable[Any]], description: str) -> None:
        super().__init__(check)
        self.description = description

    def __repr__(self) -> str:
        return f"Requirement({self.description})"

    def __call__(self, handler: H) -> H:
        """Guard ``handler`` with this requirement (place the decorator below the route's)."""
        owner = getattr(handler, "__qualname__", repr(handler))
        if not inspect.iscoroutinefunction(handler):
            raise TypeError(f"{self!r} guards 'async def' handlers; {owner} is not one")
        try:
            signature = inspect.signature(handler, eval_str=True)
        except NameError as exc:
            raise TypeError(f"{owner}: cannot resolve an annotation ({exc}); define it first") from None
        taken = sum(1 for name in signature.parameters if name.startswith(_PARAMETER))
        name = f"{_PARAMETER}{taken}"
        extra = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=self, annotation=Any)

        @functools.wraps(handler)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            del kwargs[name]
            return await handler(*args, **kwargs)

        guarded.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), extra]
        )
        return guarded  # type: ignore[return-value]


def _authorizer(auth: "Authentication", what: str) -> Authorizer:
    if auth.authorizer is None:
        raise TypeError(f"{what} needs Authentication(..., authorizer=Authorizer(roles)) to decide")
    return auth.authorizer


def permission_requirement(
    auth: "Authentication", permissions: tuple[str, ...], resource: Optional[Callable[..., Any]] = None
) -> Requirement:
    """Every permission in ``permissions``, on the object ``resource`` (a dependency) returns if given."""
    if not permissions:
        raise ValueError("requires() needs at least one permission")
    description = f"requires({', '.join(map(repr, permissions))})"
    authorizer = _authorizer(auth, description)

    async def decide(request: Request, user: Any, target: Any) -> Any:
        context = {"request": request, "identity": await auth.identify(request)}
        for permission in permissions:
            await authorizer.authorize(user, permission, target, context)
        return user

    User = Annotated[Any, Depends(auth.current_user)]
    if resource is None:

        async def check(request: Request, user: User) -> Any:
            return await decide(request, user, None)

    else:
        Target = Annotated[Any, Depends(resource)]

        async def check(request: Request, user: User, target: Target) -> Any:  # type: ignore[misc]
            return await decide(request, user, target)

    return Requirement(check, description)


def role_requirement(auth: "Authentication", roles: tuple[str, ...]) -> Requirement:
    """Any one of ``roles``, held directly or through a role that inherits it."""
    if not roles:
        raise ValueError("require_role() needs at least one role")
    description = f"require_role({', '.join(map(repr, roles))})"
    registry = getattr(auth.authorizer, "roles", None)
    wanted = frozenset(roles)

    def held(user: Any) -> frozenset[str]:
        direct = default_roles_of(user) if registry is None else registry.roles_of(user)
        return frozenset(direct) if registry is None else registry.expand(direct)

    async def check(user: Annotated[Any, Depends(auth.current_user)]) -> Any:
        if wanted.isdisjoint(held(user)):
            raise PermissionDenied(f"this needs the role {' or '.join(sorted(wanted))}")
        return user

    return Requirement(check, description)


def scope_requirement(auth: "Authentication", scopes: Iterable[str]) -> Requirement:
    """A token granting every scope in ``scopes`` (403 ``insufficient_scope`` otherwise)."""
    required = frozenset(scopes)
    if not required:
        raise ValueError("requires_scopes() needs at least one scope")
    description = f"requires_scopes({', '.join(map(repr, sorted(required)))})"

    async def check(request: Request) -> Any:
        identity = await auth.require_identity(request)
        missing = required - identity.scopes
        if missing:
            error = InsufficientScope(f"the token lacks scope {' '.join(sorted(missing))}", required=required)
            error.challenges = auth.challenges(error, identity.scheme)
            raise error
        return identity.user

    return Requirement(check, description)
