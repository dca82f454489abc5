"""Roles: permissions, inheritance in any definition order, wildcards, cycles and subjects."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from covet.security.errors import RoleDefinitionError
from covet.security.rbac import RoleRegistry, default_roles_of


@dataclass
class User:
    roles: list[str] = field(default_factory=list)


@pytest.fixture
def roles() -> RoleRegistry:
    registry = RoleRegistry()
    registry.define("admin", {"users:*"}, inherits=["editor"])  # before its parent: resolved later
    registry.define("editor", {"articles:edit", "articles:publish"}, inherits=["reader"])
    registry.define("reader", {"articles:read"})
    registry.define("root", {"*"})
    return registry


def test_a_role_holds_its_own_and_its_ancestors_permissions(roles: RoleRegistry) -> None:
    assert roles.permissions_of(["editor"]) == {"articles:edit", "articles:publish", "articles:read"}
    assert roles.permissions_of(["reader"]) == {"articles:read"}
    assert roles.permissions_of(["reader", "editor"]) == roles.permissions_of(["editor"])


def test_has_permission_reads_the_subjects_roles(roles: RoleRegistry) -> None:
    editor = User(["editor"])
    assert roles.has_permission(editor, "articles:read")
    assert roles.has_permission(editor, "articles:edit")
    assert not roles.has_permission(editor, "users:delete")
    assert not roles.has_permission(User(), "articles:read")
    assert not roles.has_permission(None, "articles:read")


def test_wildcards_cover_a_resource_or_everything(roles: RoleRegistry) -> None:
    admin = User(["admin"])
    assert roles.has_permission(admin, "users:delete") and roles.has_permission(admin, "articles:read")
    assert not roles.has_permission(admin, "billing:refund")
    assert not roles.has_permission(admin, "usersettings:edit")  # "users:*" is not a bare prefix
    assert roles.has_permission(User(["root"]), "billing:refund")


def test_subjects_may_be_jwt_claims_with_a_list_or_a_space_separated_string(roles: RoleRegistry) -> None:
    assert roles.has_permission({"sub": "1", "roles": ["editor"]}, "articles:edit")
    assert roles.has_permission({"sub": "1", "roles": "reader editor"}, "articles:publish")
    assert not roles.has_permission({"sub": "1"}, "articles:read")
    assert list(default_roles_of(object())) == []


def test_undefined_roles_on_a_subject_grant_nothing(roles: RoleRegistry) -> None:
    assert not roles.has_permission(User(["ghost"]), "articles:read")


def test_a_custom_roles_of_reads_roles_from_anywhere() -> None:
    registry = RoleRegistry(roles_of=lambda subject: subject.groups)
    registry.define("staff", {"admin:enter"})

    @dataclass
    class Member:
        groups: tuple[str, ...]

    assert registry.has_permission(Member(("staff",)), "admin:enter")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"a": ["a"]}, "cycle: a -> a"),
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, "cycle: a -> b -> c -> a"),
        ({"a": ["b"], "b": ["missing"]}, "role 'b' inherits undefined role 'missing'"),
    ],
)
def test_cycles_and_undefined_parents_are_reported_with_their_path(
    spec: dict[str, list[str]], message: str
) -> None:
    registry = RoleRegistry()
    for name, parents in spec.items():
        registry.define(name, {f"{name}:x"}, inherits=parents)
    with pytest.raises(RoleDefinitionError, match=message):
        registry.validate()
    with pytest.raises(RoleDefinitionError):
        registry.has_permission(User(["a"]), "a:x")


def test_defining_a_role_later_updates_the_answers(roles: RoleRegistry) -> None:
    assert not roles.has_permission(User(["auditor"]), "articles:read")
    roles.define("auditor", inherits=["reader"])
    assert roles.has_permission(User(["auditor"]), "articles:read")


def test_role_definitions_are_checked(roles: RoleRegistry) -> None:
    with pytest.raises(RoleDefinitionError, match="already defined"):
        roles.define("reader")
    with pytest.raises(RoleDefinitionError, match="non-empty"):
        roles.define("")
    with pytest.raises(TypeError, match="not one string"):
        roles.define("x", "articles:read")


def test_roles_load_from_configuration_and_are_validated_at_once() -> None:
    registry = RoleRegistry.from_mapping(
        {
            "reader": {"permissions": ["articles:read"]},
            "editor": {"permissions": ["articles:edit"], "inherits": ["reader"]},
        }
    )
    assert registry["editor"].inherits == ("reader",)
    assert registry.has_permission(User(["editor"]), "articles:read")
    with pytest.raises(RoleDefinitionError, match="cycle"):
        RoleRegistry.from_mapping({"a": {"inherits": ["a"]}})
    with pytest.raises(RoleDefinitionError, match="unknown keys"):
        RoleRegistry.from_mapping({"a": {"perms": ["x"]}})


def test_a_role_implies_every_role_it_inherits(roles: RoleRegistry) -> None:
    assert roles.expand(["admin"]) == {"admin", "editor", "reader"}
    assert roles.expand(["reader", "ghost"]) == {"reader", "ghost"}  # undefined: itself only
    assert roles.has_role(User(["admin"]), "reader")
    assert not roles.has_role(User(["reader"]), "editor")


def test_expanding_roles_reports_a_cycle_rather_than_looping() -> None:
    registry = RoleRegistry()
    registry.define("a", inherits=["b"])
    registry.define("b", inherits=["a"])
    with pytest.raises(RoleDefinitionError, match="cycle"):
        registry.expand(["a"])
