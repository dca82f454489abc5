"""requires / require_role / requires_scopes as dependencies and decorators: RBAC with
inheritance, object rules and attribute policies, 401 before 403."""

import contextlib
import dataclasses
from typing import Annotated, Any

import pytest

from covet import Covet, Depends, HTTPException
from covet.middleware import Middleware
from covet.security.authentication import Authentication, BearerAuth, SessionAuth
from covet.security.jwt import JWTCodec
from covet.security.policies import Authorizer
from covet.security.rbac import RoleRegistry
from covet.security.sessions import SessionMiddleware
from covet.security.settings import Settings
from covet.security.stores import MemoryKeySet
from covet.security.tokens import TokenService
from tests.security.keyring import key
from tests.security.test_sessions import KEY


@dataclasses.dataclass
class User:
    id: int
    roles: list[str]
    suspended: bool = False


@dataclasses.dataclass
class Article:
    id: int
    author_id: int


USERS = {
    1: User(1, ["reader"]),
    2: User(2, ["editor"]),
    3: User(3, ["admin"]),
    4: User(4, ["admin"], suspended=True),
    5: User(5, ["author"]),
}
ARTICLES = {1: Article(1, author_id=5), 2: Article(2, author_id=2)}


def make_roles():
    roles = RoleRegistry()
    roles.define("reader", {"articles:read"})
    roles.define("author", {"articles:read"})
    roles.define("editor", {"articles:edit"}, inherits=["reader"])
    roles.define("admin", {"*"}, inherits=["editor"])
    return roles


def make_authorizer():
    authz = Authorizer(make_roles())

    @authz.object_rule("articles:edit", Article)
    def authors_edit_their_own(user, article):
        return article.author_id == user.id

    @authz.policy
    def suspended_users_do_nothing(user, action, resource, context):
        return False if getattr(user, "suspended", False) else None

    @authz.policy
    async def no_writes_from_the_kiosk(user, action, resource, context):
        request = context.get("request")
        kiosk = request is not None and request.headers.get("x-terminal") == "kiosk"
        return False if kiosk and action != "articles:read" else None

    return authz


def load_article(id: int) -> Article:
    try:
        return ARTICLES[id]
    except KeyError:
        raise HTTPException(404, f"no article {id}") from None


codec = JWTCodec(key("ES256"), issuer="https://auth.example.com", audience="api")
tokens = TokenService(codec, MemoryKeySet())
sessions = SessionAuth(USERS.get)
auth = Authentication(
    [sessions, BearerAuth(tokens, realm="api", load_user=lambda claims: USERS[int(claims["sub"])])],
    authorizer=make_authorizer(),
)


def authz_app():
    app = Covet(settings=Settings(secret_key=KEY), middleware=[Middleware(SessionMiddleware)])

    @app.post("/login/{user_id:int}")
    async def login(request):
        sessions.login(request, request.path_params["user_id"])
        return "ok"

    @app.get("/articles", dependencies=[auth.requires("articles:read")])
    async def list_articles():
        return {"articles": sorted(ARTICLES)}

    @app.get("/editors", dependencies=[auth.require_role("editor")])
    async def editors():
        return "editors' corner"

    @app.post("/articles/{id:int}")
    async def edit(id: int, user: Annotated[Any, auth.requires("articles:edit", resource=load_article)]):
        return {"edited": id, "by": user.id}

    @app.get("/admin")
    @auth.require_role("admin")
    async def admin_page(request):
        return "admin only"

    @app.get("/admin/report/{year:int}")
    @auth.require_role("admin")
    @auth.requires("articles:read")
    async def report(year: int, format: str = "csv"):
        return {"year": year, "format": format}

    @app.delete("/articles/{id:int}")
    async def delete(id: int, user: Annotated[Any, Depends(auth.current_user)]):
        await auth.authorize(user, "articles:delete", load_article(id))
        return "deleted"

    @app.get("/scoped/read", dependencies=[auth.requires_scopes("read")])
    async def read_scope():
        return "read"

    @app.get("/scoped/write")
    async def write_scope(user: Annotated[Any, auth.requires_scopes("write", "read")]):
        return {"user": user.id}

    return app


@pytest.fixture
def as_user(serve):
    def log_in(user_id):
        client = stack.enter_context(serve(authz_app()))
        assert client.post(f"/login/{user_id}").status_code == 200
        return client

    with contextlib.ExitStack() as stack:
        yield log_in


def test_a_permission_granted_by_an_inherited_role_is_held(as_user):
    assert as_user(2).get("/articles").status_code == 200  # editor inherits reader's read


def test_a_missing_permission_is_a_403_naming_it(as_user):
    client = as_user(1)
    response = client.post("/articles/1")
    assert (response.status_code, response.text) == (403, "not allowed: articles:edit")


def test_an_anonymous_request_is_a_401_before_any_403(serve):
    with serve(authz_app()) as client:
        assert client.get("/articles").status_code == 401
        assert client.get("/admin").status_code == 401


def test_a_role_is_held_through_a_role_that_inherits_it(as_user):
    assert as_user(3).get("/editors").text == "editors' corner"  # admin inherits editor
    refused = as_user(1).get("/editors")
    assert (refused.status_code, refused.text) == (403, "this needs the role editor")


def test_the_decorator_form_guards_plain_and_typed_handlers(as_user):
    assert as_user(3).get("/admin").text == "admin only"
    assert as_user(2).get("/admin").status_code == 403
    assert as_user(3).get("/admin/report/2024?format=json").json() == {"year": 2024, "format": "json"}
    assert as_user(2).get("/admin/report/2024").status_code == 403


def test_an_object_rule_lets_an_author_edit_only_their_own_article(as_user):
    author = as_user(5)
    assert author.post("/articles/1").json() == {"edited": 1, "by": 5}
    assert author.post("/articles/2").status_code == 403
    assert as_user(2).post("/articles/2").status_code == 200  # editors edit any
    assert author.post("/articles/99").status_code == 404  # the resource dependency's answer


def test_a_denying_policy_overrides_every_role(as_user):
    assert as_user(3).post("/articles/2").status_code == 200
    assert as_user(4).post("/articles/2").status_code == 403  # an admin, suspended


def test_a_policy_sees_the_request_it_decides_for(as_user):
    admin = as_user(3)
    assert admin.get("/articles", headers={"x-terminal": "kiosk"}).status_code == 200
    assert admin.post("/articles/2", headers={"x-terminal": "kiosk"}).status_code == 403


def test_authorize_checks_one_object_inside_a_handler(as_user):
    assert as_user(3).delete("/articles/1").text == "deleted"
    assert as_user(2).delete("/articles/1").status_code == 403


def test_token_scopes_are_required_with_an_insufficient_scope_challenge(serve):
    read_only = tokens.issue("2", {"scope": "read"}).access_token
    with serve(authz_app()) as client:
        headers = {"authorization": f"Bearer {read_only}"}
        assert client.get("/scoped/read", headers=headers).text == "read"
        refused = client.get("/scoped/write", headers=headers)
    assert refused.status_code == 403
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", error_description="the token lacks scope write", '
        'scope="read write"'
    )


def test_a_session_user_has_no_token_scopes(as_user):
    assert as_user(3).get("/scoped/read").status_code == 403


def test_requirements_need_an_authorizer_and_something_to_require():
    bare = Authentication([sessions])
    with pytest.raises(TypeError, match=r"needs Authentication\(\.\.\., authorizer=Authorizer\(roles\)\)"):
        bare.requires("articles:read")
    with pytest.raises(ValueError, match="at least one permission"):
        auth.requires()
    with pytest.raises(ValueError, match="at least one role"):
        auth.require_role()
    assert repr(auth.require_role("admin", "ops")) == "Requirement(require_role('admin', 'ops'))"


def test_the_decorator_refuses_what_it_cannot_guard():
    def not_async(request):
        return "x"

    with pytest.raises(TypeError, match="guards 'async def' handlers"):
        auth.require_role("admin")(not_async)


def test_roles_without_a_registry_are_the_users_own(serve):
    plain = Authentication([sessions])
    app = Covet(settings=Settings(secret_key=KEY), middleware=[Middleware(SessionMiddleware)])

    @app.post("/login/{user_id:int}")
    async def login(request):
        sessions.login(request, request.path_params["user_id"])
        return "ok"

    @app.get("/editors", dependencies=[plain.require_role("reader")])
    async def readers():
        return "ok"

    with serve(app) as client:
        client.post("/login/2")
        assert client.get("/editors").status_code == 403  # editor, and no registry to say it inherits
        client.post("/login/1")
        assert client.get("/editors").status_code == 200


def test_tests_can_override_the_current_user_behind_a_requirement(serve):
    app = authz_app()
    app.dependency_overrides[auth.current_user] = lambda: USERS[3]
    with serve(app) as client:
        assert client.get("/admin").text == "admin only"
        assert client.get("/editors").status_code == 200


def test_guarded_handlers_are_documented_without_the_requirement_parameter():
    schema = authz_app().openapi()
    parameters = schema["paths"]["/admin/report/{year}"]["get"]["parameters"]
    assert sorted(p["name"] for p in parameters) == ["format", "year"]
