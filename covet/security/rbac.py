"""Role-based access control: roles grant permissions and inherit other roles' permissions.

Permissions are strings, by convention ``resource:action`` (``articles:edit``). A granted
``articles:*`` covers every ``articles:`` permission and ``*`` covers all of them.

::

    roles = RoleRegistry()
    roles.define("reader", {"articles:read"})
    roles.define("editor", {"articles:edit"}, inherits=["reader"])
    roles.define("admin", {"*"}, inherits=["editor"])
    roles.has_permission(user, "articles:read")      # user.roles == ["editor"] -> True

Roles may be defined in any order; inheritance is resolved on first use (or by ``validate()``
at start-up), and a cycle or an undefined parent is a RoleDefinitionError naming the path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from covet.security.errors import RoleDefinitionError

__all__ = ["Role", "RoleRegistry", "default_roles_of"]


@dataclass(frozen=True)
class Role:
    name: str
    permissions: frozenset[str]
    inherits: tuple[str, ...]


def default_roles_of(subject: Any) -> Iterable[str]:
    """A subject's role names: its ``roles`` attribute, or the ``roles`` item of a mapping (JWT claims)."""
    if subject is None:
        return ()
    roles = subject.get("roles", ()) if isinstance(subject, Mapping) else getattr(subject, "roles", ())
    if isinstance(roles, str):
        return roles.split()  # "editor reader", as in an OAuth2 scope string
    return roles or ()


# Distinct role combinations seen; a handful in practice, bounded all the same.
_GRANTS_CACHE_SIZE = 1024


class _Grants:
    """One effective permission set, with its wildcards split out for quick checks."""

    __slots__ = ("exact", "prefixes", "everything")

    def __init__(self, permissions: Iterable[str]) -> None:
        granted = frozenset(permissions)
        self.everything = "*" in granted
        self.prefixes = tuple(p[:-1] for p in granted if p.endswith(":*"))
        self.exact = granted

    def covers(self, permission: str) -> bool:
        return self.everything or permission in self.exact or permission.startswith(self.prefixes)


class RoleRegistry:
    """The roles an application defines; answers which permissions a set of roles holds."""

    def __init__(self, *, roles_of: Callable[[Any], Iterable[str]] = default_roles_of) -> None:
        self._roles: dict[str, Role] = {}
        self._effective: Optional[dict[str, frozenset[str]]] = None
        self._grants: dict[frozenset[str], _Grants] = {}
        self._lock = threading.Lock()
        self.roles_of = roles_of

    def __contains__(self, name: object) -> bool:
        return name in self._roles

    def __getitem__(self, name: str) -> Role:
        return self._roles[name]

    def define(self, name: str, permissions: Iterable[str] = (), *, inherits: Iterable[str] = ()) -> Role:
        """Add a role; ``inherits`` names roles whose permissions it also holds (defined now or later)."""
        if not name or not isinstance(name, str):
            raise RoleDefinitionError("a role name must be a non-empty string")
        if name in self._roles:
            raise RoleDefinitionError(f"role {name!r} is already defined")
        if isinstance(permissions, str) or isinstance(inherits, str):
            raise TypeError("permissions and inherits are collections of names, not one string")
        role = Role(name, frozenset(permissions), tuple(inherits))
        with self._lock:
            self._roles[name] = role
            self._effective = None
            self._grants = {}
        return role

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Mapping[str, Iterable[str]]], **options: Any) -> RoleRegistry:
        """Roles from configuration: ``{"editor": {"permissions": [...], "inherits": ["reader"]}}``."""
        registry = cls(**options)
        for name, entry in spec.items():
            unknown = set(entry) - {"permissions", "inherits"}
            if unknown:
                raise RoleDefinitionError(f"role {name!r} has unknown keys {sorted(unknown)}")
            registry.define(name, entry.get("permissions", ()), inherits=entry.get("inherits", ()))
        registry.validate()
        return registry

    def validate(self) -> None:
        """Resolve inheritance now; raises RoleDefinitionError for a cycle or an undefined parent."""
        self._resolved()

    def _resolved(self) -> dict[str, frozenset[str]]:
        effective = self._effective
        if effective is not None:
            return effective
        with self._lock:
            if self._effective is None:
                self._effective = self._resolve()
            return self._effective

    def _resolve(self) -> dict[str, frozenset[str]]:
        done: dict[str, frozenset[str]] = {}

        def visit(name: str, path: tuple[str, ...]) -> frozenset[str]:
            if name in done:
                return done[name]
            if name in path:
                cycle = " -> ".join((*path[path.index(name) :], name))
                raise RoleDefinitionError(f"role inheritance has a cycle: {cycle}")
            role = self._roles.get(name)
            if role is None:
                raise RoleDefinitionError(f"role {path[-1]!r} inherits undefined role {name!r}")
            permissions = set(role.permissions)
            for parent in role.inherits:
                permissions |= visit(parent, (*path, name))
            done[name] = frozenset(permissions)
            return done[name]

        for name in self._roles:
            visit(name, ())
        return done

    def permissions_of(self, roles: Iterable[str]) -> frozenset[str]:
        """Every permission the named roles hold, inherited ones included; undefined roles hold none."""
        effective = self._resolved()
        granted: set[str] = set()
        for name in roles:
            granted |= effective.get(name, frozenset())
        return frozenset(granted)

    def grants(self, roles: Iterable[str], permission: str) -> bool:
        """Whether the named roles hold ``permission`` (wildcards included)."""
        names = frozenset(roles)
        grants = self._grants.get(names)
        if grants is None:
            grants = _Grants(self.permissions_of(names))
            if len(self._grants) >= _GRANTS_CACHE_SIZE:
                self._grants = {}
            self._grants[names] = grants
        return grants.covers(permission)

    def has_permission(self, subject: Any, permission: str) -> bool:
        """Whether ``subject`` (a user object, JWT claims, or None for anonymous) holds ``permission``."""
        return self.grants(self.roles_of(subject), permission)

    def expand(self, roles: Iterable[str]) -> frozenset[str]:
        """The named roles and every role they inherit: an ``admin`` that inherits ``editor`` is one."""
        self._resolved()  # a cycle or an undefined parent is reported, not walked
        found: set[str] = set()
        pending = list(roles)
        while pending:
            name = pending.pop()
            if name not in found:
                found.add(name)
                role = self._roles.get(name)
                if role is not None:
                    pending.extend(role.inherits)
        return frozenset(found)

    def has_role(self, subject: Any, role: str) -> bool:
        """Whether ``subject`` holds ``role``, itself or through a role that inherits it."""
        return role in self.expand(self.roles_of(subject))
