"""covet.routing: templates, converters, precedence, 404/405, includes, mounts and url_for.

Every test that looks a path up runs on both forms of the kernel (compiled and interpreted).
"""

from __future__ import annotations

import uuid
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import pytest

import covet._speedups as speedups
from covet.routing import (
    CONVERTERS,
    InvalidRoute,
    RouteConflict,
    Router,
    URLBuildError,
    register_converter,
)
from tests import kernels


@pytest.fixture(params=["compiled", "interpreted"])
def kernel(request: pytest.FixtureRequest) -> ModuleType:
    return kernels.form("router", request.param)


async def endpoint(request: Any) -> None:
    return None


def outcome(result: Any) -> tuple[Any, ...]:
    """A lookup result as plain data, comparable across the two kernels."""
    kind = type(result).__name__
    if kind == "Match":
        return ("match", result.route.name, result.params)
    if kind == "MethodNotAllowed":
        return ("405", sorted(result.allowed))
    if kind == "MountMatch":
        return ("mount", result.mount.name, result.params, result.path)
    assert kind == "NotFound", result
    return ("404", result.redirect)


def routes(*specs: tuple[str, str] | tuple[str, str, tuple[str, ...]], **options: Any) -> Router:
    """A router from (path, name[, methods]) triples."""
    router = Router(**options)
    for spec in specs:
        path, name, *rest = spec
        router.add_route(path, endpoint, methods=rest[0] if rest else ("GET",), name=name)
    return router


class Lookup:
    def __init__(self, router: Router, kernel: ModuleType) -> None:
        self.router = router
        self.table = router.compile(kernel=kernel)

    def __call__(self, path: str, method: str = "GET") -> tuple[Any, ...]:
        return outcome(self.table.lookup(method, path))


# -- converters ---------------------------------------------------------------------------------

UUID = "5f0c1b2a-3d4e-4f60-8a9b-0c1d2e3f4a5b"


@pytest.mark.parametrize(
    ("converter", "segment", "value"),
    [
        ("str", "hello", "hello"),
        ("str", "with space & ü", "with space & ü"),
        ("int", "42", 42),
        ("int", "007", 7),
        ("float", "3", 3.0),
        ("float", "3.25", 3.25),
        ("uuid", UUID, uuid.UUID(UUID)),
        ("uuid", UUID.upper(), uuid.UUID(UUID)),
        ("slug", "my-post_2", "my-post_2"),
        ("path", "a/b/c.txt", "a/b/c.txt"),
    ],
)
def test_each_converter_matches_and_converts(kernel, converter, segment, value):
    lookup = Lookup(routes((f"/v/{{x:{converter}}}", "v")), kernel)
    result = lookup(f"/v/{segment}")
    assert result == ("match", "v", {"x": value})
    assert type(result[2]["x"]) is type(value)


@pytest.mark.parametrize(
    ("converter", "segment"),
    [
        ("int", "abc"),
        ("int", "-1"),
        ("int", "1.5"),
        ("int", "+1"),
        ("int", "١٢"),  # Arabic-Indic digits: str.isdigit() says yes, the converter no
        ("int", "²"),
        ("int", "9" * 5000),  # longer than int() reads
        ("float", "1e5"),
        ("float", "-1.0"),
        ("float", ".5"),
        ("float", "1."),
        ("float", "nan"),
        ("float", "inf"),
        ("float", "1" * 400),  # overflows to inf
        ("uuid", UUID[:-1]),
        ("uuid", UUID.replace("-", "")),
        ("uuid", "{" + UUID[1:-1] + "}"),
        ("uuid", UUID[:-1] + "g"),
        ("uuid", UUID[:8] + "0" + UUID[9:]),  # 36 characters, a hyphen short
        ("slug", "a.b"),
        ("slug", "ü"),
        ("slug", "a b"),
    ],
)
def test_a_segment_its_converter_refuses_is_no_match(kernel, converter, segment):
    lookup = Lookup(routes((f"/v/{{x:{converter}}}", "v")), kernel)
    assert lookup(f"/v/{segment}") == ("404", None)


def test_a_refused_segment_falls_through_to_a_catch_all(kernel):
    lookup = Lookup(routes(("/users/{id:int}", "user"), ("/users/{rest:path}", "rest")), kernel)
    assert lookup("/users/7") == ("match", "user", {"id": 7})
    assert lookup("/users/abc") == ("match", "rest", {"rest": "abc"})


def test_empty_segments_never_match_a_parameter(kernel):
    lookup = Lookup(routes(("/users/{name}", "user"), ("/users/{name}/posts", "posts")), kernel)
    assert lookup("/users/") == ("404", None)
    assert lookup("/users//posts") == ("404", None)


hex_converter = register_converter(
    "hex",
    match=lambda s: all(c in "0123456789abcdef" for c in s),
    to_python=lambda s: int(s, 16),
    to_url=lambda v: format(v, "x"),
)


def even_number(segment: str) -> int:
    number = int(segment)  # ValueError for "x", and a ValueError means no match
    if number % 2:
        raise ValueError(f"{number} is odd")
    return number


register_converter("even", match=str.isascii, to_python=even_number)


def test_a_custom_converter_matches_converts_and_builds(kernel):
    router = routes(("/colour/{rgb:hex}", "colour"), ("/n/{n:even}", "even"))
    lookup = Lookup(router, kernel)
    assert lookup("/colour/ff8800") == ("match", "colour", {"rgb": 0xFF8800})
    assert lookup("/colour/xyz") == ("404", None)
    assert lookup("/n/4") == ("match", "even", {"n": 4})
    assert lookup("/n/5") == ("404", None)
    assert lookup("/n/x") == ("404", None)
    assert router.url_for("colour", rgb=0xFF8800) == "/colour/ff8800"


def test_registering_a_converter_name_twice_is_an_error_unless_identical():
    assert (
        register_converter("hex", hex_converter.match, hex_converter.to_python, hex_converter.to_url)
        is not None
    )
    with pytest.raises(ValueError, match="'hex' is already registered"):
        register_converter("hex", str.isalnum)
    with pytest.raises(ValueError, match="'int' is a built-in converter"):
        register_converter("int", str.isdigit)
    with pytest.raises(ValueError, match="identifier"):
        register_converter("not a name", str.isdigit)
    assert {"str", "int", "float", "uuid", "slug", "path"} <= set(CONVERTERS)


# -- precedence ---------------------------------------------------------------------------------


def test_static_beats_parameter_beats_catch_all(kernel):
    lookup = Lookup(
        routes(("/files/new", "static"), ("/files/{name}", "param"), ("/files/{rest:path}", "rest")),
        kernel,
    )
    assert lookup("/files/new") == ("match", "static", {})
    assert lookup("/files/report") == ("match", "param", {"name": "report"})
    assert lookup("/files/a/b") == ("match", "rest", {"rest": "a/b"})


def test_a_static_branch_that_leads_nowhere_falls_back_to_the_parameter(kernel):
    lookup = Lookup(routes(("/users/me", "me"), ("/users/{id}/posts", "posts")), kernel)
    assert lookup("/users/me") == ("match", "me", {})
    assert lookup("/users/me/posts") == ("match", "posts", {"id": "me"})


def test_a_route_without_the_method_lets_a_less_specific_route_answer(kernel):
    lookup = Lookup(routes(("/users/me", "me"), ("/users/{id}", "delete", ("DELETE",))), kernel)
    assert lookup("/users/me", "DELETE") == ("match", "delete", {"id": "me"})
    assert lookup("/users/me", "GET") == ("match", "me", {})


def test_registration_order_does_not_change_precedence(kernel):
    first = Lookup(routes(("/a/{x}", "param"), ("/a/b", "static")), kernel)
    second = Lookup(routes(("/a/b", "static"), ("/a/{x}", "param")), kernel)
    for lookup in (first, second):
        assert lookup("/a/b") == ("match", "static", {})
        assert lookup("/a/c") == ("match", "param", {"x": "c"})


# -- 404, 405, HEAD, OPTIONS ---------------------------------------------------------------------


def test_unknown_path_is_not_found(kernel):
    lookup = Lookup(routes(("/a", "a")), kernel)
    assert lookup("/b") == ("404", None)
    assert lookup("*", "OPTIONS") == ("404", None)
    assert lookup("") == ("404", None)


def test_wrong_method_is_405_with_the_allowed_methods(kernel):
    lookup = Lookup(routes(("/items/{id:int}", "item", ("GET", "PUT"))), kernel)
    assert lookup("/items/3", "DELETE") == ("405", ["GET", "HEAD", "PUT"])
    assert lookup("/items/x", "DELETE") == ("404", None)


def test_405_allows_the_methods_of_every_route_the_path_matches(kernel):
    lookup = Lookup(
        routes(("/users/me", "me"), ("/users/{id}", "user", ("DELETE",)), ("/users/{p:path}", "p", ("PUT",))),
        kernel,
    )
    assert lookup("/users/me", "POST") == ("405", ["DELETE", "GET", "HEAD", "PUT"])


def test_head_is_answered_by_get_unless_routed_itself(kernel):
    router = routes(
        ("/a", "get_a"), ("/b", "get_b"), ("/b", "head_b", ("HEAD",)), ("/c", "post_c", ("POST",))
    )
    lookup = Lookup(router, kernel)
    assert lookup("/a", "HEAD") == ("match", "get_a", {})
    assert lookup("/b", "HEAD") == ("match", "head_b", {})
    assert lookup("/c", "HEAD") == ("405", ["POST"])


def test_options_without_a_route_reports_the_allowed_methods_for_the_app_to_answer(kernel):
    lookup = Lookup(routes(("/a", "a", ("GET", "POST"))), kernel)
    assert lookup("/a", "OPTIONS") == ("405", ["GET", "HEAD", "POST"])
    lookup = Lookup(routes(("/a", "a"), ("/a", "opts", ("OPTIONS",))), kernel)
    assert lookup("/a", "OPTIONS") == ("match", "opts", {})


# -- trailing slashes ----------------------------------------------------------------------------


def test_the_other_form_of_a_trailing_slash_is_reported_as_a_redirect(kernel):
    lookup = Lookup(routes(("/a/b", "ab"), ("/c/{x}/", "c"), ("/", "root")), kernel)
    assert lookup("/a/b/") == ("404", "/a/b")
    assert lookup("/c/1") == ("404", "/c/1/")
    assert lookup("/c/1/") == ("match", "c", {"x": "1"})
    assert lookup("/a/b/", "POST") == ("404", None)  # /a/b would not answer POST either
    assert lookup("/x/") == ("404", None)


def test_no_redirect_when_turned_off(kernel):
    lookup = Lookup(routes(("/a/b", "ab"), redirect_slashes=False), kernel)
    assert lookup("/a/b/") == ("404", None)


def test_a_redirect_never_points_at_another_host(kernel):
    # "/\\evil.example/" is "//evil.example/" to browsers: another site, not this one.
    lookup = Lookup(routes(("/{a}/", "a"), ("/", "root")), kernel)
    assert lookup("/good") == ("404", "/good/")
    assert lookup("/\\evil.example") == ("404", None)
    assert lookup("/\\evil.example/") == ("match", "a", {"a": "\\evil.example"})
    assert lookup("//") == ("404", "/")


# -- includes -----------------------------------------------------------------------------------


def test_include_serves_a_router_under_a_prefix_with_namespaced_names(kernel):
    users = routes(("/", "list"), ("/{id:int}", "detail"))
    api = Router()
    api.include(users, prefix="/users", name="users")
    api.add_route("/health", endpoint, name="health")
    root = Router()
    root.include(api, prefix="/api/{version:int}", name="api")
    lookup = Lookup(root, kernel)
    assert lookup("/api/2/users/7") == ("match", "api:users:detail", {"version": 2, "id": 7})
    assert lookup("/api/1/users/") == ("match", "api:users:list", {"version": 1})
    assert lookup("/api/1/health") == ("match", "api:health", {"version": 1})
    assert root.url_for("api:users:detail", version=3, id=9) == "/api/3/users/9"
    assert [r.path for r in root.routes] == [
        "/api/{version:int}/users/",
        "/api/{version:int}/users/{id:int}",
        "/api/{version:int}/health",
    ]


def test_routes_added_to_an_included_router_later_are_served(kernel):
    inner = Router()
    outer = Router()
    outer.include(inner, prefix="/in")
    inner.add_route("/late", endpoint, name="late")
    assert outcome(outer.lookup("GET", "/in/late")) == ("match", "late", {})
    inner.add_route("/later", endpoint, name="later")
    assert outcome(outer.lookup("GET", "/in/later")) == ("match", "later", {})
    assert Lookup(outer, kernel)("/in/later") == ("match", "later", {})


def test_include_refuses_bad_prefixes_and_cycles():
    a, b = Router(), Router()
    for prefix in ("api", "/api/", "/a//b"):
        with pytest.raises(InvalidRoute):
            a.include(b, prefix=prefix)
    a.include(b, prefix="/b")
    with pytest.raises(InvalidRoute, match="include itself"):
        b.include(a)
    with pytest.raises(InvalidRoute, match="include itself"):
        a.include(a)


# -- url_for ------------------------------------------------------------------------------------

ROUND_TRIP_ROUTER = routes(
    ("/users/{id:int}", "user"),
    ("/users/{id:int}/posts/{slug:slug}/comments/{cid:uuid}", "comment"),
    ("/items/{name}", "item"),
    ("/price/{x:float}", "price"),
    ("/files/{path:path}", "file"),
    ("/café/{name}/", "cafe"),
)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("user", {"id": 0}),
        ("user", {"id": 12345678901234567890}),
        ("comment", {"id": 1, "slug": "hello-world_2", "cid": uuid.UUID(UUID)}),
        ("item", {"name": "plain"}),
        ("item", {"name": "spaces and ünïcödé ✓"}),
        ("item", {"name": "100% ?query #frag &amp; +plus"}),
        ("item", {"name": "%2F is not a slash"}),
        ("price", {"x": 0.1}),
        ("price", {"x": 1e20}),
        ("price", {"x": 1e-7}),
        ("price", {"x": 3.0}),
        ("file", {"path": "docs/a b/ü.txt"}),
        ("file", {"path": "a//b/"}),
        ("cafe", {"name": "naïve"}),
    ],
)
def test_url_for_then_lookup_gives_back_the_same_params(kernel, name, params):
    url = ROUND_TRIP_ROUTER.url_for(name, **params)
    assert url.isascii() and " " not in url and "?" not in url and "#" not in url
    decoded = unquote(url)  # what the server hands the router
    assert Lookup(ROUND_TRIP_ROUTER, kernel)(decoded) == ("match", name, params)


def test_url_for_encodes_unicode_and_reserved_characters():
    assert ROUND_TRIP_ROUTER.url_for("item", name="ü ?#%") == "/items/%C3%BC%20%3F%23%25"
    assert ROUND_TRIP_ROUTER.url_for("item", name="a:b@c!$&'()*+,;=") == "/items/a:b@c!$&'()*+,;="
    assert ROUND_TRIP_ROUTER.url_for("cafe", name="x") == "/caf%C3%A9/x/"
    assert ROUND_TRIP_ROUTER.url_for("file", path="a b/c") == "/files/a%20b/c"


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("user", {}, r"url_for\('user' /users/\{id:int\}\): missing id \(it takes id\)"),
        ("user", {"id": 1, "extra": 2, "more": 3}, "unknown extra, more"),
        ("comment", {"id": 1}, "missing slug, cid"),
        ("user", {"id": "abc"}, r"id='abc' does not fit \{id:int\}"),
        ("user", {"id": -1}, "does not fit"),
        ("user", {"id": True}, "does not fit"),
        ("price", {"x": float("nan")}, "does not fit"),
        ("price", {"x": -2.5}, "does not fit"),
        ("item", {"name": "a/b"}, r"does not fit \{name:str\}"),
        ("item", {"name": ""}, "does not fit"),
        ("item", {"name": ".."}, "does not fit"),
        ("comment", {"id": 1, "slug": "no spaces", "cid": UUID}, r"\{slug:slug\}"),
        ("comment", {"id": 1, "slug": "s", "cid": "not-a-uuid"}, r"\{cid:uuid\}"),
        ("file", {"path": ""}, r"\{path:path\}"),
        ("nope", {}, "no route is named 'nope'"),
    ],
)
def test_url_for_says_what_is_wrong(name, params, message):
    with pytest.raises(URLBuildError, match=message):
        ROUND_TRIP_ROUTER.url_for(name, **params)


def test_url_for_takes_float_text_and_reports_a_failing_to_url():
    assert ROUND_TRIP_ROUTER.url_for("price", x="2.50") == "/price/2.50"
    router = routes(("/colour/{rgb:hex}", "colour"))
    with pytest.raises(URLBuildError, match=r"rgb='red' does not fit \{rgb:hex\}"):
        router.url_for("colour", rgb="red")  # format("red", "x") raises ValueError


def test_url_for_refuses_a_name_two_paths_share():
    router = routes(
        ("/a", "dup"), ("/b", "dup"), ("/b2", "dup"), ("/c", "shared", ("GET",)), ("/c", "shared", ("POST",))
    )
    with pytest.raises(URLBuildError, match="'dup' is used by /a, /b, /b2"):
        router.url_for("dup")
    assert router.url_for("shared") == "/c"


def test_a_route_is_named_after_its_endpoint_by_default():
    router = Router()

    @router.get("/users/{id:int}")
    async def show_user(request: Any) -> None:
        return None

    assert router.url_for("show_user", id=5) == "/users/5"


# -- mounts -------------------------------------------------------------------------------------


def test_the_longest_mount_prefix_takes_what_no_route_matches(kernel):
    router = routes(("/static/special", "special"))
    router.mount("/static", "files", name="static")
    router.mount("/static/img", "images", name="img")
    router.mount("", "fallback", name="root")
    lookup = Lookup(router, kernel)
    assert lookup("/static/special") == ("match", "special", {})
    assert lookup("/static/css/site.css") == ("mount", "static", {}, "/css/site.css")
    assert lookup("/static/img/a.png") == ("mount", "img", {}, "/a.png")
    assert lookup("/static/img") == ("mount", "img", {}, "")
    assert lookup("/static/") == ("mount", "static", {}, "/")
    assert lookup("/staticky") == ("mount", "root", {}, "/staticky")
    assert lookup("/") == ("mount", "root", {}, "/")


def test_a_mount_prefix_can_take_parameters(kernel):
    router = Router()
    router.mount("/users/{uid:int}/files", "files", name="files")
    lookup = Lookup(router, kernel)
    assert lookup("/users/3/files/a/b") == ("mount", "files", {"uid": 3}, "/a/b")
    assert lookup("/users/x/files/a") == ("404", None)
    assert router.url_for("files", uid=3, path="/a b") == "/users/3/files/a%20b"
    with pytest.raises(URLBuildError, match="must be empty or start with '/'"):
        router.url_for("files", uid=3, path="a")


def test_a_405_is_not_handed_to_a_mount(kernel):
    router = routes(("/api/health", "health"))
    router.mount("/api", "sub", name="sub")
    assert Lookup(router, kernel)("/api/health", "POST") == ("405", ["GET", "HEAD"])


def test_mounts_in_an_included_router_get_the_prefix(kernel):
    inner = Router()
    inner.mount("/static", "files", name="static")
    outer = Router()
    outer.include(inner, prefix="/v1", name="v1")
    assert Lookup(outer, kernel)("/v1/static/x") == ("mount", "v1:static", {}, "/x")
    assert outer.url_for("v1:static", path="/x") == "/v1/static/x"


def test_mount_prefixes_are_checked():
    router = Router()
    with pytest.raises(InvalidRoute):
        router.mount("static", "app")
    with pytest.raises(InvalidRoute, match="cannot be in a mount prefix"):
        router.mount("/files/{rest:path}", "app")
    with pytest.raises(InvalidRoute, match="'path' is url_for's argument"):
        router.mount("/x/{path}", "app")


# -- conflicts and bad templates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("/users/{id:int}", "/users/{id:int}", r"GET /users/\{id:int\} conflicts with GET /users/\{id:int\}"),
        (
            "/users/{id:int}",
            "/users/{uid:int}",
            r"GET /users/\{uid:int\} conflicts with GET /users/\{id:int\}",
        ),
        ("/a", "/a", "GET /a conflicts with GET /a"),
        (
            "/users/{id:int}",
            "/users/{name}/posts",
            r"\{name:str\} in /users/\{name\}/posts conflicts with "
            r"\{id:int\} in /users/\{id:int\}",
        ),
        ("/v/{x:uuid}", "/v/{x:slug}", "one position takes one converter"),
    ],
)
def test_conflicting_routes_are_refused_when_compiled(kernel, first, second, message):
    router = routes((first, "first"), (second, "second"))
    with pytest.raises(RouteConflict, match=message):
        router.compile(kernel=kernel)


def test_routes_that_differ_only_in_parameter_names_and_methods_coexist(kernel):
    router = routes(
        ("/users/{id:int}", "get"),
        ("/users/{uid:int}", "delete", ("DELETE",)),
        ("/users/{user_id:int}/posts", "posts"),
        ("/f/{a:path}", "fa"),
        ("/f/{b:path}", "fb", ("PUT",)),
    )
    lookup = Lookup(router, kernel)
    assert lookup("/users/1") == ("match", "get", {"id": 1})
    assert lookup("/users/1", "DELETE") == ("match", "delete", {"uid": 1})
    assert lookup("/users/1/posts") == ("match", "posts", {"user_id": 1})
    assert lookup("/f/x/y", "PUT") == ("match", "fb", {"b": "x/y"})


def test_two_mounts_at_one_prefix_conflict(kernel):
    router = Router()
    router.mount("/static", "a")
    router.mount("/static/", "b")
    with pytest.raises(RouteConflict, match="two mounts at one prefix"):
        router.compile(kernel=kernel)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("users", "must start with '/'"),
        ("/a//b", r"empty segment \('//'\)"),
        ("//", "empty segment"),
        ("/users/{id", "one whole parameter"),
        ("/users/id}", "one whole parameter"),
        ("/users/x{id}", "one whole parameter"),
        ("/users/{id}{x}", "one whole parameter"),
        ("/users/{id:integer}", "unknown converter 'integer' .known: .*int, path"),
        ("/users/{1id}", "not an identifier"),
        ("/users/{}", "not an identifier"),
        ("/{id}/{id:int}", "names parameter 'id' twice"),
        ("/{rest:path}/edit", "cannot be in the last segment"),
        ("/{rest:path}/", "cannot be in the last segment"),
    ],
)
def test_bad_templates_are_refused_when_registered(path, message):
    with pytest.raises(InvalidRoute, match=message):
        Router().add_route(path, endpoint)


def test_methods_must_be_a_non_empty_list():
    with pytest.raises(InvalidRoute, match="not the string 'GET'"):
        Router().add_route("/", endpoint, methods="GET")
    with pytest.raises(InvalidRoute, match="no methods"):
        Router().add_route("/", endpoint, methods=())


# -- decoded paths, unicode, empty segments, long paths ------------------------------------------


def test_paths_are_matched_decoded(kernel):
    lookup = Lookup(
        routes(("/café/{name}", "cafe"), ("/files/{p:path}", "files"), ("/a b/%41", "literal")), kernel
    )
    assert lookup(unquote("/caf%C3%A9/na%C3%AFve")) == ("match", "cafe", {"name": "naïve"})
    assert lookup("/café/日本語") == ("match", "cafe", {"name": "日本語"})
    # the server decodes %2F to "/", so it separates segments like any other slash
    assert lookup(unquote("/café/a%2Fb")) == ("404", None)
    assert lookup(unquote("/files/a%2Fb")) == ("match", "files", {"p": "a/b"})
    assert lookup(unquote("/a%20b/%2541")) == ("match", "literal", {})


def test_empty_segments_are_kept_not_collapsed(kernel):
    lookup = Lookup(routes(("/a/b", "ab"), ("/files/{p:path}", "files"), ("/", "root")), kernel)
    assert lookup("/a//b") == ("404", None)
    assert lookup("//a/b") == ("404", None)
    assert lookup("/files//x") == ("match", "files", {"p": "/x"})
    assert lookup("/files/x//") == ("match", "files", {"p": "x//"})


def test_very_long_paths_are_answered_without_trouble(kernel):
    lookup = Lookup(routes(("/a/{x}", "x"), ("/f/{p:path}", "files"), ("/n/{n:int}", "n")), kernel)
    long_segment = "z" * 100_000
    assert lookup("/a/" + long_segment) == ("match", "x", {"x": long_segment})
    assert lookup("/a/" + "/".join(["s"] * 20_000)) == ("404", None)
    deep = "/".join(["s"] * 20_000)
    assert lookup("/f/" + deep) == ("match", "files", {"p": deep})
    assert lookup("/n/" + "1" * 4000) == ("match", "n", {"n": int("1" * 4000)})
    assert lookup("/" * 50_000) == ("404", None)


# -- the Router object ---------------------------------------------------------------------------


def test_router_lookup_compiles_again_after_a_change():
    router = routes(("/a", "a"))
    assert outcome(router.lookup("GET", "/b")) == ("404", None)
    router.add_route("/b", endpoint, name="b")
    assert outcome(router.lookup("GET", "/b")) == ("match", "b", {})


def test_a_match_unpacks_to_route_and_params(kernel):
    router = routes(("/users/{id:int}", "user"))
    route, params = router.compile(kernel=kernel).lookup("GET", "/users/5")
    assert route.handler is endpoint and route.path == "/users/{id:int}" and params == {"id": 5}
    assert route.methods == frozenset({"GET"}) and route.param_names == ("id",)


def test_decorators_register_each_method():
    router = Router()
    for register in (router.get, router.post, router.put, router.patch, router.delete, router.options):
        register("/r")(endpoint)
    assert [sorted(r.methods) for r in router.routes] == [
        [m] for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    ]
    assert repr(router.routes[0]) == "Route('/r', ['GET'], name='endpoint')"
    assert repr(router.mount("/", "app", name="root")) == "Mount('/', 'app', name='root')"


def test_both_kernels_answer_alike():
    router = routes(
        ("/", "root"),
        ("/users/me", "me"),
        ("/users/{id:int}", "user", ("GET", "PUT")),
        ("/users/{id:int}/posts/{slug:slug}", "post"),
        ("/users/{rest:path}", "rest", ("POST",)),
        ("/v/{x:float}/{u:uuid}", "v"),
        ("/t/", "t"),
    )
    router.mount("/static", "files", name="static")
    paths = [
        "/",
        "/users/me",
        "/users/1",
        "/users/x",
        "/users/1/posts/p-1",
        "/users/1/posts/p.1",
        "/users/1/",
        "/v/1.5/" + UUID,
        "/v/x/" + UUID,
        "/static/a",
        "/static",
        "/nope",
        "//",
        "/users//1",
        "x",
        "/t",
    ]
    compiled = router.compile(kernel=kernels.compiled("router"))
    interpreted = router.compile(kernel=speedups.load_source("router"))
    for method in ("GET", "HEAD", "POST", "DELETE", "OPTIONS"):
        for path in paths:
            expected = outcome(interpreted.lookup(method, path))
            assert outcome(compiled.lookup(method, path)) == expected, (method, path)
