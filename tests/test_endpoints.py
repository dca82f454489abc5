"""Return annotations and route options shape the response: models, status codes, pass-through."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Optional

import msgspec

from covet import Covet, HTMLResponse
from covet.db.records import record_class
from covet.routing import Router

app = Covet()


class User(msgspec.Struct):
    id: int
    name: str


class UserRow:
    """What an ORM hands back: attributes, not a dict, and more of them than the API shows."""

    def __init__(self, id: int, name: str, password: str) -> None:
        self.id, self.name, self.password = id, name, password


@dataclasses.dataclass
class Stats:
    count: int


@app.get("/user")
async def one_user() -> User:
    return User(1, "ada")


@app.get("/users")
async def users() -> list[User]:
    return [User(1, "ada"), User(2, "bob")]


@app.get("/from-row", response_model=User)
async def from_row() -> UserRow:
    return UserRow(3, "cy", "secret")


UserRecord = record_class(("id", "name", "password"))


@app.get("/from-records", response_model=list[User])
async def from_records() -> list[Any]:
    return [UserRecord((4, "di", "x")), UserRecord((5, "ed", "y"))]  # rows as Database gives them


@app.get("/from-record", response_model=User)
async def from_record() -> Any:
    return UserRecord((6, "fa", "z"))


@app.get("/dict-model")
async def dict_model() -> dict[str, int]:
    return {"a": 1}


@app.get("/dict-model-wrong")
async def dict_model_wrong() -> dict[str, int]:
    return {"a": "one"}  # type: ignore[dict-item]


@app.get("/stats")
async def stats() -> Stats:
    return Stats(5)


@app.post("/created", status_code=201)
async def created() -> dict:
    return {"ok": True}


@app.delete("/gone", status_code=204)
async def gone() -> None:
    return None


@app.get("/html")
async def html() -> HTMLResponse:
    return HTMLResponse("<p>hi</p>")


@app.get("/either")
async def either(fail: bool = False) -> Optional[User]:
    return None if fail else User(9, "z")


@app.get("/struct-untyped")
async def struct_untyped(request):  # a plain handler may return a Struct too
    return User(4, "dee")


@app.get("/raw-bytes")
async def raw_bytes(request):
    return b"\x00\x01binary"


@app.get("/text")
async def text(request):
    return "plain words"


router = Router()


@router.post("/items", status_code=202, tags=["items"])
async def router_item(name: str) -> dict:
    return {"name": name}


app.include_router(router, prefix="/r")


async def test_a_struct_return_annotation_is_encoded_as_json(client):
    reply = await client.get("/user")
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"id": 1, "name": "ada"}
    assert (await client.get("/users")).json() == [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]
    assert (await client.get("/stats")).json() == {"count": 5}


async def test_response_model_reads_database_records_by_column_name(client):
    assert (await client.get("/from-records")).json() == [{"id": 4, "name": "di"}, {"id": 5, "name": "ed"}]
    assert (await client.get("/from-record")).json() == {"id": 6, "name": "fa"}


async def test_response_model_shapes_an_object_and_drops_what_it_does_not_declare(client):
    assert (await client.get("/from-row")).json() == {"id": 3, "name": "cy"}


async def test_a_value_that_does_not_fit_its_annotation_is_a_logged_500(client, caplog):
    assert (await client.get("/dict-model")).json() == {"a": 1}
    with caplog.at_level(logging.ERROR, logger="covet.error"):
        reply = await client.get("/dict-model-wrong")
    assert reply.status_code == 500
    assert "does not fit dict[str, int]" in caplog.text


async def test_status_code_option(client):
    reply = await client.post("/created")
    assert reply.status_code == 201 and reply.json() == {"ok": True}
    reply = await client.delete("/gone")
    assert reply.status_code == 204 and reply.content == b""
    assert (await client.post("/r/items?name=n")).status_code == 202


async def test_a_returned_response_passes_through(client):
    reply = await client.get("/html")
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.text == "<p>hi</p>"


async def test_an_optional_model_may_be_none(client):
    assert (await client.get("/either")).json() == {"id": 9, "name": "z"}
    assert (await client.get("/either?fail=true")).json() is None


async def test_a_plain_handler_may_return_a_struct(client):
    assert (await client.get("/struct-untyped")).json() == {"id": 4, "name": "dee"}


@app.get("/none-but-something")
async def none_but_something() -> None:
    return "surprise"  # type: ignore[return-value]


async def test_a_none_annotated_handler_that_returns_a_value_is_a_logged_500(client, caplog):
    with caplog.at_level(logging.ERROR, logger="covet.error"):
        reply = await client.get("/none-but-something")
    assert reply.status_code == 500
    assert "is annotated -> None but returned 'surprise'" in caplog.text


async def test_bytes_and_str_returns_become_octet_stream_and_text(client):
    raw = await client.get("/raw-bytes")
    assert (raw.status_code, raw.content) == (200, b"\x00\x01binary")
    assert raw.headers["content-type"] == "application/octet-stream"
    words = await client.get("/text")
    assert (words.text, words.headers["content-type"]) == ("plain words", "text/plain; charset=utf-8")
