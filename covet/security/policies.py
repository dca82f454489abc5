"""Authorization decisions: roles, object-level rules and attribute-based policies combined.

An ``Authorizer`` answers "may ``subject`` do ``action`` (to ``resource``)?" from three sources:

* **roles** (a RoleRegistry): the subject's roles grant the permission everywhere;
* **object rules**, registered per permission and resource class: ``(subject, resource) -> bool``
  grants it for that one object — "authors may edit their own articles";
* **policies**, callables over ``(subject, action, resource, context)`` that answer True
  (allow), False (deny) or None (no opinion) — "nobody writes outside office hours", "only
  from the company network".

A policy's False wins over everything (deny overrides); otherwise any grant allows; with no
grant the answer is no. Hooks may be plain functions or coroutines::

    authz = Authorizer(roles)

    @authz.object_rule("articles:edit", Article)
    def author_edits_own(user, article):
        return article.author_id == user.id

    @authz.policy
    def suspended_users_do_nothing(user, action, resource, context):
        return False if getattr(user, "suspended", False) else None

    await authz.authorize(user, "articles:edit", article)   # PermissionDenied -> 403
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Optional, TypeVar, Union

from covet.security.errors import PermissionDenied
from covet.security.rbac import RoleRegistry

__all__ = ["Authorizer", "ObjectRule", "Policy"]

ObjectRule = Callable[[Any, Any], Union[bool, Awaitable[bool]]]
Policy = Callable[[Any, str, Any, Mapping[str, Any]], Union[Optional[bool], Awaitable[Optional[bool]]]]
RuleT = TypeVar("RuleT", bound=ObjectRule)
PolicyT = TypeVar("PolicyT", bound=Policy)

_NO_CONTEXT: Mapping[str, Any] = {}


async def _outcome(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class Authorizer:
    """Combines roles, object rules and policies into one allow/deny decision."""

    def __init__(self, roles: Optional[RoleRegistry] = None) -> None:
        self.roles = roles
        self._object_rules: defaultdict[tuple[str, type], list[ObjectRule]] = defaultdict(list)
        self._policies: list[Policy] = []

    def object_rule(self, permission: str, resource_type: type) -> Callable[[RuleT], RuleT]:
        """Register ``(subject, resource) -> bool`` granting ``permission`` on ``resource_type`` instances.

        Subclasses of ``resource_type`` are covered too.
        """

        def register(rule: RuleT) -> RuleT:
            self._object_rules[(permission, resource_type)].append(rule)
            return rule

        return register

    def policy(self, policy: PolicyT) -> PolicyT:
        """Register an attribute-based policy: True allows, False denies (always wins), None abstains."""
        self._policies.append(policy)
        return policy

    async def is_allowed(
        self,
        subject: Any,
        action: str,
        resource: Any = None,
        context: Optional[Mapping[str, Any]] = None,
    ) -> bool:
        """The decision for ``subject`` doing ``action`` (to ``resource``), given request ``context``."""
        context = _NO_CONTEXT if context is None else context
        granted = False
        for policy in self._policies:
            verdict = await _outcome(policy(subject, action, resource, context))
            if verdict is False:
                return False
            if verdict is not None and verdict is not True:
                raise TypeError(f"policy {policy.__qualname__} returned {verdict!r}; use True, False or None")
            granted = granted or verdict is True
        if granted:
            return True
        if self.roles is not None and self.roles.has_permission(subject, action):
            return True
        if resource is not None:
            for cls in type(resource).__mro__:
                for rule in self._object_rules.get((action, cls), ()):
                    if await _outcome(rule(subject, resource)) is True:
                        return True
        return False

    async def authorize(
        self,
        subject: Any,
        action: str,
        resource: Any = None,
        context: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Return if allowed; raise PermissionDenied (403) otherwise."""
        if not await self.is_allowed(subject, action, resource, context):
            raise PermissionDenied(f"not allowed: {action}", permission=action)
