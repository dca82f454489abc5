"""covet._speedups.router, compiled and interpreted: the route table itself, and both forms agreeing."""

from __future__ import annotations

import random
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from covet.routing import parse_template
from tests import kernels


@pytest.fixture(params=["compiled", "interpreted"])
def router(request: pytest.FixtureRequest) -> ModuleType:
    return kernels.form("router", request.param)


def outcome(result: Any) -> tuple[Any, ...]:
    kind = type(result).__name__
    if kind == "Match":
        return ("match", result.route, result.params)
    if kind == "MethodNotAllowed":
        return ("405", sorted(result.allowed))
    if kind == "MountMatch":
        return ("mount", result.mount, result.params, result.path)
    return ("404", result.redirect)


def add(table: Any, template: str, methods: tuple[str, ...] = ("GET",), route: Any = None) -> None:
    segments = parse_template(template)
    names = tuple(s[0] for s in segments if not isinstance(s, str))
    table.add_route(template, segments, names, methods, route if route is not None else template)


SEGMENTS = [
    "",
    "a",
    "0",
    "42",
    "007",
    "-1",
    "1.5",
    "1.",
    ".5",
    "1e3",
    "x-y_z",
    "a.b",
    "ü",
    "١",
    "²",
    "5f0c1b2a-3d4e-4f60-8a9b-0c1d2e3f4a5b",
    "5F0C1B2A-3D4E-4F60-8A9B-0C1D2E3F4A5B",
    "5f0c1b2a3d4e4f608a9b0c1d2e3f4a5b",
    "5f0c1b2a-3d4e-4f60-8a9b-0c1d2e3f4a5",
    "g" * 36,
    "\ud800",
    "9" * 30,
]


@pytest.mark.parametrize(
    "check", ["is_int_segment", "is_float_segment", "is_uuid_segment", "is_slug_segment"]
)
def test_segment_checks_agree_in_both_forms(check):
    compiled = getattr(kernels.compiled("router"), check)
    interpreted = getattr(kernels.interpreted("router"), check)
    for segment in SEGMENTS:
        assert compiled(segment) == interpreted(segment), segment


def test_segment_checks(router):
    assert [s for s in SEGMENTS if router.is_int_segment(s)] == ["0", "42", "007", "9" * 30]
    assert [s for s in SEGMENTS if router.is_float_segment(s)] == ["0", "42", "007", "1.5", "9" * 30]
    assert [s for s in SEGMENTS if router.is_uuid_segment(s)] == [SEGMENTS[15], SEGMENTS[16]]
    not_slugs = ["", "1.5", "1.", ".5", "a.b", "ü", "١", "²", "\ud800"]
    assert [s for s in SEGMENTS if not router.is_slug_segment(s)] == not_slugs


def test_a_table_takes_any_converter_with_name_match_and_to_python(router):
    table = router.RouteTable()
    odd = SimpleNamespace(name="odd", match=lambda s: s.isdigit() and int(s) % 2 == 1, to_python=int)
    table.add_route("/n/{n:odd}", ["n", ("n", odd)], ("n",), ["GET"], "odd-route")
    assert outcome(table.lookup("GET", "/n/3")) == ("match", "odd-route", {"n": 3})
    assert outcome(table.lookup("GET", "/n/4")) == ("404", None)


def test_backtracking_leaves_no_stale_parameters(router):
    table = router.RouteTable()
    add(table, "/a/{x:int}/b")
    add(table, "/a/{rest:path}")
    add(table, "/c/{x}/{y}/end")
    add(table, "/c/{x}/static/other")
    assert outcome(table.lookup("GET", "/a/1/c")) == ("match", "/a/{rest:path}", {"rest": "1/c"})
    assert outcome(table.lookup("GET", "/c/1/static/end")) == (
        "match",
        "/c/{x}/{y}/end",
        {"x": "1", "y": "static"},
    )
    assert outcome(table.lookup("GET", "/c/1/static/other")) == ("match", "/c/{x}/static/other", {"x": "1"})


def test_results_have_readable_reprs(router):
    table = router.RouteTable()
    add(table, "/u/{id:int}", ("GET", "POST"))
    table.add_mount("/m", ["m"], (), "mounted")
    assert repr(table.lookup("GET", "/u/1")) == "Match('/u/{id:int}', {'id': 1})"
    assert repr(table.lookup("PUT", "/u/1")) == "MethodNotAllowed(['GET', 'HEAD', 'POST'])"
    assert repr(table.lookup("GET", "/m/x")) == "MountMatch('mounted', {}, '/x')"
    assert repr(table.lookup("GET", "/u/1/")) == "NotFound(redirect='/u/1')"
    assert repr(router.Match("r", {})) == "Match('r', {})"
    assert table.redirect_slashes is True
    assert router.RouteTable(False).redirect_slashes is False


def test_a_method_not_allowed_for_one_route_is_shared_not_built_per_request(router):
    table = router.RouteTable()
    add(table, "/u/{id:int}")
    assert table.lookup("POST", "/u/1") is table.lookup("POST", "/u/2")
    assert table.lookup("GET", "/nope") is table.lookup("GET", "/other")


def _random_table(module: ModuleType, rng: random.Random) -> tuple[Any, list[str]]:
    table = module.RouteTable()
    refused = []
    statics = ["a", "b", "users", "items", "ü"]
    params = ["{p}", "{p:int}", "{p:slug}", "{p:uuid}", "{p:float}"]
    converters: dict[tuple[str, ...], str] = {}
    for i in range(300):
        parts = []
        for depth in range(rng.randint(0, 4)):
            if rng.random() < 0.5:
                parts.append(rng.choice(statics))
            else:
                # one converter per position, or most routes would conflict
                converter = converters.setdefault(tuple(parts), rng.choice(params))
                parts.append(converter.replace("p", f"p{depth}", 1))
        if parts and rng.random() < 0.15:
            parts.append("{rest:path}")
        template = (
            "/" + "/".join(parts) + ("/" if parts and rng.random() < 0.1 and "path" not in parts[-1] else "")
        )
        try:
            if (
                rng.random() < 0.05
                and "path" not in template
                and not template.endswith("/")
                and template != "/"
            ):
                segments = parse_template(template, prefix=True)
                names = tuple(s[0] for s in segments if not isinstance(s, str))
                table.add_mount(template, segments, names, f"mount{i}")
            else:
                methods = tuple(rng.sample(["GET", "POST", "PUT", "DELETE"], rng.randint(1, 2)))
                add(table, template, methods, f"r{i}")
        except ValueError as exc:
            refused.append(str(exc))
    return table, refused


def test_both_forms_build_and_answer_alike_on_random_routes():
    compiled_table, compiled_refused = _random_table(kernels.compiled("router"), random.Random(7))
    interpreted_table, interpreted_refused = _random_table(kernels.interpreted("router"), random.Random(7))
    assert compiled_refused == interpreted_refused
    rng = random.Random(11)
    pool = ["a", "b", "users", "items", "ü", "1", "42", "x-y", "", "1.5", SEGMENTS[15], "zz"]
    kinds = set()
    for _ in range(3000):
        path = "/" + "/".join(rng.choice(pool) for _ in range(rng.randint(0, 5)))
        method = rng.choice(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
        expected = outcome(interpreted_table.lookup(method, path))
        assert outcome(compiled_table.lookup(method, path)) == expected, (method, path)
        kinds.add(expected[0] if expected[0] != "404" else ("404", expected[1] is not None))
    assert kinds == {"match", "405", "mount", ("404", True), ("404", False)}


def test_each_method_of_a_static_path_finds_its_own_route_whatever_order_they_came_in(router):
    table = router.RouteTable()
    add(table, "/items", ("POST",), route="create")
    assert outcome(table.lookup("GET", "/items")) == ("405", ["POST"])
    add(table, "/items", ("GET",), route="list")
    add(table, "/items", ("DELETE",), route="clear")
    found = {m: outcome(table.lookup(m, "/items")) for m in ("GET", "HEAD", "POST", "DELETE", "PUT")}
    assert found == {
        "GET": ("match", "list", {}),
        "HEAD": ("match", "list", {}),
        "POST": ("match", "create", {}),
        "DELETE": ("match", "clear", {}),
        "PUT": ("405", ["DELETE", "GET", "HEAD", "POST"]),
    }
    # A method name built at run time (not the interned one) finds the same route.
    assert outcome(table.lookup("".join(["G", "ET"]), "/items")) == ("match", "list", {})
