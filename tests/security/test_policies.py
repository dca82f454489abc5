"""Authorizer decisions: roles, object rules per class, attribute policies, deny overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

import pytest

from covet.security.errors import PermissionDenied
from covet.security.policies import Authorizer
from covet.security.rbac import RoleRegistry


@dataclass
class User:
    id: int
    roles: list[str] = field(default_factory=list)
    suspended: bool = False


@dataclass
class Article:
    author_id: int


class PinnedArticle(Article):
    pass


@pytest.fixture
def authz() -> Authorizer:
    roles = RoleRegistry()
    roles.define("editor", {"articles:edit"})
    authorizer = Authorizer(roles)

    @authorizer.object_rule("articles:edit", Article)
    def authors_edit_their_own(user: User, article: Article) -> bool:
        return user is not None and article.author_id == user.id

    return authorizer


async def test_roles_grant_everywhere(authz: Authorizer) -> None:
    assert await authz.is_allowed(User(1, ["editor"]), "articles:edit", Article(author_id=99))
    assert await authz.is_allowed(User(1, ["editor"]), "articles:edit")


async def test_object_rules_grant_for_the_one_object(authz: Authorizer) -> None:
    author = User(7)
    assert await authz.is_allowed(author, "articles:edit", Article(author_id=7))
    assert not await authz.is_allowed(author, "articles:edit", Article(author_id=8))
    assert not await authz.is_allowed(author, "articles:edit")  # no object, no object rule
    assert not await authz.is_allowed(author, "articles:delete", Article(author_id=7))


async def test_object_rules_cover_subclasses_and_not_other_types(authz: Authorizer) -> None:
    assert await authz.is_allowed(User(7), "articles:edit", PinnedArticle(author_id=7))

    @dataclass
    class Comment:
        author_id: int

    assert not await authz.is_allowed(User(7), "articles:edit", Comment(author_id=7))


async def test_anonymous_subjects_get_nothing_by_default(authz: Authorizer) -> None:
    assert not await authz.is_allowed(None, "articles:edit", Article(author_id=7))


async def test_a_policy_deny_overrides_roles_and_object_rules(authz: Authorizer) -> None:
    @authz.policy
    def suspended_users_do_nothing(
        user: Any, action: str, resource: Any, context: Mapping[str, Any]
    ) -> Optional[bool]:
        return False if getattr(user, "suspended", False) else None

    suspended = User(7, ["editor"], suspended=True)
    assert not await authz.is_allowed(suspended, "articles:edit", Article(author_id=7))
    assert await authz.is_allowed(User(7), "articles:edit", Article(author_id=7))


async def test_an_async_policy_can_grant_from_the_request_context(authz: Authorizer) -> None:
    seen: list[tuple[Any, str, Any, Mapping[str, Any]]] = []

    @authz.policy
    async def office_network_reads_reports(
        user: Any, action: str, resource: Any, context: Mapping[str, Any]
    ) -> Optional[bool]:
        seen.append((user, action, resource, context))
        if action == "reports:read" and str(context.get("ip", "")).startswith("10."):
            return True
        return None

    assert await authz.is_allowed(User(1), "reports:read", context={"ip": "10.1.2.3"})
    assert not await authz.is_allowed(User(1), "reports:read", context={"ip": "203.0.113.9"})
    assert not await authz.is_allowed(User(1), "reports:read")
    assert seen[0] == (User(1), "reports:read", None, {"ip": "10.1.2.3"})


async def test_async_object_rules_are_awaited() -> None:
    authorizer = Authorizer()

    @authorizer.object_rule("articles:read", Article)
    async def anyone_reads_public(user: Any, article: Article) -> bool:
        return article.author_id == 0

    assert await authorizer.is_allowed(None, "articles:read", Article(author_id=0))
    assert not await authorizer.is_allowed(None, "articles:read", Article(author_id=1))


async def test_a_policy_answering_something_else_is_a_programming_error(authz: Authorizer) -> None:
    @authz.policy
    def sloppy(user: Any, action: str, resource: Any, context: Mapping[str, Any]) -> Any:
        return "yes"

    with pytest.raises(TypeError, match="sloppy returned 'yes'; use True, False or None"):
        await authz.is_allowed(User(1), "articles:edit")


async def test_authorize_raises_permission_denied_with_a_403(authz: Authorizer) -> None:
    await authz.authorize(User(7), "articles:edit", Article(author_id=7))
    with pytest.raises(PermissionDenied, match="not allowed: articles:edit") as caught:
        await authz.authorize(User(7), "articles:edit", Article(author_id=8))
    assert caught.value.status_code == 403 and caught.value.permission == "articles:edit"
