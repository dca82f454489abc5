"""Handler parameters filled by annotation: path, query, headers, cookies, body, the request."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from typing import Annotated, Any, Literal, Optional, TypedDict

import msgspec
import pytest

from covet import Covet, Request
from covet.datastructures import UploadFile
from covet.dependencies import Depends
from covet.params import Body, Cookie, File, Form, Header, Path, Query
from covet.responses import PlainTextResponse
from covet.routing import Router
from covet.validation import missing as missing_error

app = Covet()


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


class Settings(TypedDict):
    theme: str


@app.get("/items/{id:int}")
async def read_item(id: int, q: str = "x", verbose: bool = False) -> dict:
    return {"id": id, "q": q, "verbose": verbose}


@app.get("/codes/{code}")
async def read_code(code: int) -> dict:
    return {"code": code}


@app.get("/keys/{key:uuid}/{rank:int}")
async def read_key(key: uuid.UUID, rank: Annotated[int, Path(ge=1)]) -> dict:
    return {"key": str(key), "type": type(key).__name__, "rank": rank}


@app.get("/search")
async def search(
    q: Annotated[str, Query(min_length=2, max_length=10)],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    color: Optional[Color] = None,
    kind: Literal["a", "b"] = "a",
    page_size: Annotated[int, Query(alias="page-size")] = 20,
    when: Optional[uuid.UUID] = None,
) -> dict:
    return {"q": q, "limit": limit, "color": color, "kind": kind, "page_size": page_size}


@app.get("/tags")
async def tags(tag: list[str], n: list[int] = []) -> dict:  # noqa: B006 - copied per request
    n.append(0)
    return {"tag": tag, "n": n}


@app.get("/headers")
async def headers(
    user_agent: Annotated[str, Header()],
    x_token: Annotated[Optional[str], Header()] = None,
    raw_name: Annotated[Optional[str], Header(convert_underscores=False)] = None,
    accept: Annotated[list[str], Header()] = [],  # noqa: B006
) -> dict:
    return {"ua": user_agent, "token": x_token, "raw": raw_name, "accept": accept}


@app.get("/api-key")
async def api_key(x_api_key: Annotated[str, Header()]) -> dict:
    return {"key": x_api_key}


@app.get("/cookies")
async def cookies(session: Annotated[str, Cookie()], theme: Annotated[str, Cookie()] = "light") -> dict:
    return {"session": session, "theme": theme}


@app.post("/struct")
async def post_struct(item: Item) -> dict:
    return {"type": type(item).__name__, "name": item.name, "tags": item.tags}


@app.post("/dataclass")
async def post_dataclass(point: Point) -> dict:
    return {"type": type(point).__name__, "x": point.x, "y": point.y}


@app.post("/typeddict")
async def post_typeddict(settings: Settings) -> dict:
    return {"type": type(settings).__name__, "theme": settings["theme"]}


@app.post("/embedded")
async def post_embedded(item: Annotated[Item, Body(embed=True)]) -> dict:
    return {"name": item.name}


@app.post("/several")
async def post_several(item: Item, point: Point, importance: Annotated[int, Body(ge=1)] = 1) -> dict:
    return {"item": item.name, "x": point.x, "importance": importance}


@app.post("/optional-body")
async def optional_body(item: Optional[Item] = None) -> dict:
    return {"item": None if item is None else item.name}


@app.get("/request/{id:int}")
async def with_request(req: Request, id: int) -> dict:
    return {"path": req.path, "id": id}


@app.get("/nothing")
async def nothing() -> str:
    return "nothing"


@app.get("/plain")
async def plain(request):
    return PlainTextResponse("plain")


@app.get("/plain-typed")
async def plain_typed(request: Request) -> dict:
    return {"plain": True}


@app.post("/login")
async def login(
    username: Annotated[str, Form(min_length=1)], remember: Annotated[bool, Form()] = False,
    scopes: Annotated[list[str], Form()] = [],  # noqa: B006
) -> dict:
    return {"username": username, "remember": remember, "scopes": scopes}


@app.post("/upload")
async def upload(
    doc: UploadFile, thumbs: Annotated[list[bytes], File()] = [], title: Annotated[str, Form()] = ""  # noqa: B006
) -> dict:
    return {"name": doc.filename, "type": doc.content_type, "data": (await doc.read()).decode(),
            "thumbs": [t.decode() for t in thumbs], "title": title}


orgs = Router()


@orgs.get("/members/{member:int}")
async def member(org: str, member: int, active: bool = True) -> dict:
    return {"org": org, "member": member, "active": active}


app.include_router(orgs, prefix="/orgs/{org}")


# -- path -------------------------------------------------------------------------------------------


async def test_path_and_query_parameters_are_filled_and_converted(client):
    reply = await client.get("/items/42", params={"q": "hello", "verbose": "true"})
    assert reply.json() == {"id": 42, "q": "hello", "verbose": True}
    assert (await client.get("/items/7")).json() == {"id": 7, "q": "x", "verbose": False}


async def test_a_str_path_segment_is_converted_to_the_annotation(client):
    assert (await client.get("/codes/17")).json() == {"code": 17}
    reply = await client.get("/codes/abc")
    assert reply.status_code == 422
    assert reply.json()["detail"] == [
        {"loc": ["path", "code"], "msg": "Expected `int`, got `str`", "type": "type_error"}
    ]


async def test_the_routers_converted_value_is_passed_through(client):
    key = uuid.uuid4()
    assert (await client.get(f"/keys/{key}/2")).json() == {"key": str(key), "type": "UUID", "rank": 2}
    reply = await client.get(f"/keys/{key}/0")
    assert reply.json()["detail"] == [
        {"loc": ["path", "rank"], "msg": "Expected `int` >= 1", "type": "value_error"}
    ]


async def test_path_parameters_from_an_include_prefix_reach_the_handler(client):
    reply = await client.get("/orgs/acme/members/3", params={"active": "false"})
    assert reply.json() == {"org": "acme", "member": 3, "active": False}


# -- query ------------------------------------------------------------------------------------------


async def test_query_constraints_aliases_enums_and_literals(client):
    reply = await client.get("/search", params={"q": "covet", "limit": "5", "color": "red", "kind": "b",
                                                "page-size": "50"})
    assert reply.json() == {"q": "covet", "limit": 5, "color": "red", "kind": "b", "page_size": 50}


async def test_every_bad_query_parameter_is_listed(client):
    reply = await client.get("/search", params={"q": "c", "limit": "0", "color": "green", "kind": "z",
                                                "when": "not-a-uuid"})
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/json"
    assert [(e["loc"], e["type"]) for e in reply.json()["detail"]] == [
        (["query", "q"], "value_error"),
        (["query", "limit"], "value_error"),
        (["query", "color"], "value_error"),
        (["query", "kind"], "value_error"),
        (["query", "when"], "value_error"),
    ]
    messages = [e["msg"] for e in reply.json()["detail"]]
    assert messages[0] == "Expected `str` of length >= 2"
    assert messages[1] == "Expected `int` >= 1"


async def test_a_missing_required_query_parameter_is_422(client):
    reply = await client.get("/search")
    assert reply.status_code == 422
    assert reply.json() == {"detail": [{"loc": ["query", "q"], "msg": "Field required", "type": "missing"}]}


async def test_the_last_value_of_a_repeated_scalar_wins(client):
    assert (await client.get("/search?q=first&q=second")).json()["q"] == "second"


async def test_a_list_annotation_takes_every_value(client):
    reply = await client.get("/tags?tag=a&tag=b&n=1&n=2")
    assert reply.json() == {"tag": ["a", "b"], "n": [1, 2, 0]}
    # The default list is copied for each request, so a handler may change it.
    assert (await client.get("/tags?tag=a")).json() == {"tag": ["a"], "n": [0]}
    assert (await client.get("/tags?tag=a")).json() == {"tag": ["a"], "n": [0]}
    bad = await client.get("/tags?tag=a&n=1&n=x")
    assert bad.json()["detail"] == [{"loc": ["query", "n", 1], "msg": "Expected `int`, got `str`",
                                     "type": "type_error"}]


# -- headers and cookies ------------------------------------------------------------------------


async def test_headers_by_name_with_underscores_as_dashes(client):
    reply = await client.get("/headers", headers={"user-agent": "probe/1", "x-token": "t0k",
                                                  "raw_name": "r", "accept": "a/b"})
    assert reply.json() == {"ua": "probe/1", "token": "t0k", "raw": "r", "accept": ["a/b"]}


async def test_a_missing_required_header_is_422(client):
    reply = await client.get("/api-key")
    assert reply.status_code == 422
    assert reply.json()["detail"] == [missing_error(("header", "x-api-key"))]
    assert (await client.get("/api-key", headers={"X-API-Key": "k"})).json() == {"key": "k"}


async def test_cookies(client):
    reply = await client.get("/cookies", headers={"cookie": "session=abc; theme=dark"})
    assert reply.json() == {"session": "abc", "theme": "dark"}
    reply = await client.get("/cookies")
    assert reply.json()["detail"] == [missing_error(("cookie", "session"))]


# -- body -------------------------------------------------------------------------------------------


async def test_a_struct_dataclass_or_typeddict_parameter_is_the_json_body(client):
    reply = await client.post("/struct", json={"name": "pen", "price": 1.5})
    assert reply.json() == {"type": "Item", "name": "pen", "tags": []}
    assert (await client.post("/dataclass", json={"x": 3})).json() == {"type": "Point", "x": 3, "y": 0}
    reply = await client.post("/typeddict", json={"theme": "dark"})
    assert reply.json() == {"type": "dict", "theme": "dark"}


async def test_embed_puts_the_body_under_the_parameter_name(client):
    reply = await client.post("/embedded", json={"item": {"name": "pen", "price": 1}})
    assert reply.json() == {"name": "pen"}
    reply = await client.post("/embedded", json={"name": "pen", "price": 1})
    assert reply.json()["detail"] == [{"loc": ["body", "item"], "msg": "Field required", "type": "missing"}]


async def test_several_body_parameters_are_fields_of_one_object(client):
    reply = await client.post("/several", json={"item": {"name": "pen", "price": 1}, "point": {"x": 2},
                                                "importance": 3})
    assert reply.json() == {"item": "pen", "x": 2, "importance": 3}
    reply = await client.post("/several", json={"item": {"name": "pen"}, "importance": 0})
    assert [e["loc"] for e in reply.json()["detail"]] == [
        ["body", "item", "price"], ["body", "point"], ["body", "importance"]
    ]


async def test_an_optional_body_may_be_left_out(client):
    assert (await client.post("/optional-body")).json() == {"item": None}
    assert (await client.post("/optional-body", json={"name": "a", "price": 2})).json() == {"item": "a"}


async def test_a_required_body_that_is_missing_is_422(client):
    reply = await client.post("/struct")
    assert reply.status_code == 422
    assert reply.json()["detail"] == [{"loc": ["body"], "msg": "Field required", "type": "missing"}]


# -- forms ------------------------------------------------------------------------------------------


async def test_form_fields_are_converted_like_query_parameters(client):
    reply = await client.post("/login", data={"username": "ada", "remember": "true", "scopes": ["a", "b"]})
    assert reply.json() == {"username": "ada", "remember": True, "scopes": ["a", "b"]}
    reply = await client.post("/login", data={"username": "", "remember": "perhaps"})
    assert [(e["loc"], e["type"]) for e in reply.json()["detail"]] == [
        (["body", "username"], "value_error"), (["body", "remember"], "type_error")
    ]
    assert (await client.post("/login")).json()["detail"] == [missing_error(("body", "username"))]


async def test_uploaded_files_arrive_as_upload_files_or_bytes(client):
    files = [("doc", ("notes.txt", b"hello", "text/plain")), ("thumbs", ("a.png", b"A", "image/png")),
             ("thumbs", ("b.png", b"B", "image/png"))]
    reply = await client.post("/upload", files=files, data={"title": "T"})
    assert reply.json() == {"name": "notes.txt", "type": "text/plain", "data": "hello", "thumbs": ["A", "B"],
                            "title": "T"}
    reply = await client.post("/upload", data={"doc": "not a file"}, files=[("x", ("x", b"", "text/plain"))])
    assert reply.json()["detail"] == [{"loc": ["body", "doc"], "msg": "Expected a file, got text",
                                       "type": "type_error"}]


async def test_a_form_route_refuses_json_with_415(client):
    reply = await client.post("/login", json={"username": "ada"})
    assert reply.status_code == 415
    assert "must be a form" in reply.text


def test_a_route_reads_json_or_a_form_not_both():
    async def mixed(item: Item, name: Annotated[str, Form()]) -> dict:
        return {}

    with pytest.raises(TypeError, match="reads a JSON body or a form, not both"):
        Router().add_route("/x", mixed, ["POST"])


# -- the request and plain handlers ----------------------------------------------------------


async def test_a_request_parameter_receives_the_request(client):
    assert (await client.get("/request/5")).json() == {"path": "/request/5", "id": 5}
    assert (await client.get("/nothing")).text == "nothing"


def test_a_plain_handler_is_its_own_endpoint():
    routes = {r.path: r for r in app.router.routes}
    assert routes["/plain"].endpoint is plain
    assert routes["/plain-typed"].endpoint is plain_typed
    assert routes["/items/{id:int}"].endpoint is not read_item
    assert routes["/items/{id:int}"].endpoint.__qualname__ == read_item.__qualname__


# -- mistakes found at registration ----------------------------------------------------------


def test_a_sync_handler_is_refused():
    def sync(request):
        return "x"

    with pytest.raises(TypeError, match="must be an 'async def' function"):
        Router().add_route("/x", sync)


def test_path_marker_for_a_name_not_in_the_template_is_refused():
    async def handler(id: Annotated[int, Path()]) -> dict:
        return {}

    with pytest.raises(TypeError, match=r"declared Path\(\) but the route's path has no \{id\}"):
        Router().add_route("/items", handler)


def test_a_marker_as_default_is_refused_with_the_right_spelling():
    async def handler(q: Any = Query(max_length=3)) -> dict:  # noqa: B008 - the mistake under test
        return {}

    with pytest.raises(TypeError, match=r"write q: Annotated\[T, Query\(...\)\] = default"):
        Router().add_route("/x", handler)


def test_star_args_and_unknown_options_are_refused():
    async def star(*args: Any) -> dict:
        return {}

    async def fine() -> dict:
        return {}

    with pytest.raises(TypeError, match=r"\*args cannot be filled from a request"):
        Router().add_route("/x", star)
    with pytest.raises(TypeError, match="unknown route option.*satus_code"):
        Router().add_route("/x", fine, satus_code=201)  # type: ignore[call-arg]


class Opaque:
    """A type msgspec knows nothing about."""


def test_a_body_type_msgspec_cannot_decode_is_refused():
    async def handler(thing: Opaque) -> dict:
        return {}

    with pytest.raises(TypeError, match="cannot decode a JSON body into"):
        Router().add_route("/x", handler, ["POST"])


def test_two_markers_on_one_parameter_are_refused():
    async def handler(q: Annotated[str, Query(), Depends(str)]) -> dict:
        return {}

    with pytest.raises(TypeError, match="more than one source marker"):
        Router().add_route("/x", handler)
