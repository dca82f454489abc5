"""Dependencies: sync, async and generator callables, sub-dependencies, caching, cleanup, overrides."""

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import msgspec
import pytest

from covet import Covet, HTTPException
from covet.db import Database
from covet.dependencies import Depends
from covet.params import Header, Query
from covet.routing import Router
from covet.testing import AsyncTestClient
from covet.validation import missing as missing_error
from tests.waiting import wait_for

app = Covet()

events: list[str] = []
cleaned = threading.Event()


def settings() -> dict:
    events.append("settings")
    return {"page_size": 10}


async def current_user(x_user: Annotated[str, Header()]) -> str:
    events.append("user")
    if x_user == "mallory":
        raise HTTPException(403, "mallory is not welcome")
    return x_user


class Paging:
    """A class dependency: its __init__ parameters come from the query."""

    def __init__(self, page: Annotated[int, Query(ge=1)] = 1, size: int = 10) -> None:
        self.page, self.size = page, size


def resource(name: str):
    async def open_resource() -> AsyncIterator[str]:
        events.append(f"open {name}")
        try:
            yield name
        except ValueError as exc:
            events.append(f"rollback {exc}")
            raise
        finally:
            events.append(f"close {name}")
            cleaned.set()

    return open_resource


first = resource("first")


def second() -> Iterator[str]:
    events.append("open second")
    yield "second"
    events.append("close second")


def counter() -> int:
    events.append("counted")
    return len(events)


def translating() -> Iterator[None]:
    try:
        yield
    except KeyError as exc:
        raise HTTPException(404, f"no such key {exc}") from exc


@app.get("/me")
async def me(user: Annotated[str, Depends(current_user)], conf: Annotated[dict, Depends(settings)]) -> dict:
    return {"user": user, "page_size": conf["page_size"]}


@app.get("/paged")
async def paged(paging: Annotated[Paging, Depends()]) -> dict:
    return {"page": paging.page, "size": paging.size}


@app.get("/resources")
async def resources(a: Annotated[str, Depends(first)], b: Annotated[str, Depends(second)]) -> dict:
    events.append("handler")
    return {"a": a, "b": b}


@app.get("/fails")
async def fails(a: Annotated[str, Depends(first)]) -> dict:
    raise ValueError("boom")


@app.get("/translated")
async def translated(_: Annotated[None, Depends(translating)]) -> dict:
    raise KeyError("k1")


def needs_counter(n: Annotated[int, Depends(counter)]) -> int:
    return n


@app.get("/cached")
async def cached(a: Annotated[int, Depends(counter)], b: Annotated[int, Depends(needs_counter)],
                 c: Annotated[int, Depends(counter, use_cache=False)]) -> dict:
    return {"same": a == b, "fresh": c != a}


@app.get("/guarded", dependencies=[Depends(current_user)])
async def guarded() -> dict:
    return {"ok": True}


@app.get("/invalid")
async def invalid(user: Annotated[str, Depends(current_user)], limit: int) -> dict:
    return {}


@app.get("/old-style")
async def old_style(conf: dict = Depends(settings)) -> dict:  # noqa: B008 - FastAPI's spelling
    return conf


@app.get("/reads-request")
async def reads_request(path: Annotated[str, Depends(lambda request: request.path)]) -> dict:
    return {"path": path}


@pytest.fixture(autouse=True)
def fresh_events():
    events.clear()
    cleaned.clear()
    yield
    app.dependency_overrides.clear()


async def test_sync_and_async_dependencies_with_their_own_parameters(client):
    reply = await client.get("/me", headers={"x-user": "ada"})
    assert reply.json() == {"user": "ada", "page_size": 10}
    assert events == ["user", "settings"]


async def test_a_class_dependency_from_its_annotation(client):
    assert (await client.get("/paged?page=3")).json() == {"page": 3, "size": 10}
    reply = await client.get("/paged?page=0")
    assert reply.json()["detail"][0]["loc"] == ["query", "page"]


async def test_a_dependency_may_raise_an_http_exception(client):
    reply = await client.get("/me", headers={"x-user": "mallory"})
    assert reply.status_code == 403 and reply.text == "mallory is not welcome"


async def test_generator_dependencies_clean_up_after_the_response_in_reverse_order(client):
    reply = await client.get("/resources")
    assert reply.json() == {"a": "first", "b": "second"}
    assert await asyncio.to_thread(cleaned.wait, 5)
    assert events == ["open first", "open second", "handler", "close second", "close first"]


async def test_the_handlers_exception_is_thrown_into_the_generator(client):
    reply = await client.get("/fails")
    assert reply.status_code == 500
    assert events == ["open first", "rollback boom", "close first"]


async def test_a_generator_may_turn_the_exception_into_an_http_answer(client):
    reply = await client.get("/translated")
    assert reply.status_code == 404 and reply.text == "no such key 'k1'"


async def test_a_dependency_runs_once_per_request_unless_use_cache_is_false(client):
    assert (await client.get("/cached")).json() == {"same": True, "fresh": True}
    assert events.count("counted") == 2


async def test_route_dependencies_run_without_handing_over_their_value(client):
    assert (await client.get("/guarded", headers={"x-user": "ada"})).json() == {"ok": True}
    assert (await client.get("/guarded", headers={"x-user": "mallory"})).status_code == 403
    reply = await client.get("/guarded")
    assert reply.json()["detail"] == [missing_error(("header", "x-user"))]


async def test_errors_of_dependencies_and_handler_are_listed_together_and_nothing_is_called(client):
    reply = await client.get("/invalid")
    assert [e["loc"] for e in reply.json()["detail"]] == [["query", "limit"], ["header", "x-user"]]
    assert events == []


async def test_depends_as_a_default_and_a_lambda_reading_the_request(client):
    assert (await client.get("/old-style")).json() == {"page_size": 10}
    assert (await client.get("/reads-request")).json() == {"path": "/reads-request"}


async def test_overrides_replace_a_dependency_for_tests(client):
    async def fake_user(x_fake: Annotated[str, Header()] = "fake") -> str:
        return f"overridden {x_fake}"

    app.dependency_overrides[current_user] = fake_user
    app.dependency_overrides[settings] = lambda: {"page_size": 99}
    reply = await client.get("/me", headers={"x-fake": "bob"})
    assert reply.json() == {"user": "overridden bob", "page_size": 99}
    app.dependency_overrides.clear()
    assert (await client.get("/me", headers={"x-user": "ada"})).json() == {"user": "ada", "page_size": 10}


async def test_an_included_router_resolves_dependencies_the_same_way(serve):
    router = Router()

    @router.get("/who")
    async def who(user: Annotated[str, Depends(current_user)]) -> dict:
        return {"user": user}

    sub = Covet()
    sub.include_router(router, prefix="/v1")
    async with serve(sub) as http:
        assert (await http.get("/v1/who", headers={"x-user": "eve"})).json() == {"user": "eve"}


# -- a real database transaction as a yield dependency ----------------------------------------


async def test_a_transaction_dependency_commits_after_success_and_rolls_back_on_error(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'deps.db'}")
    table = f"t_{uuid.uuid4().hex[:8]}"
    await db.connect()
    await db.execute(f"CREATE TABLE {table} (name TEXT)")
    committed = asyncio.Event()

    async def transaction() -> AsyncIterator[Database]:
        try:
            async with db.transaction():
                yield db
        finally:
            committed.set()

    shop = Covet()

    @shop.post("/names/{name}")
    async def add(name: str, tx: Annotated[Database, Depends(transaction)], fail: bool = False) -> dict:
        await tx.execute(f"INSERT INTO {table} (name) VALUES (?)", [name])
        if fail:
            raise HTTPException(409, "refused after the insert")
        return {"added": name}

    try:
        async with AsyncTestClient(shop) as http:  # in process: the database lives on this loop
            assert (await http.post("/names/kept")).status_code == 200
            await asyncio.wait_for(committed.wait(), 5)
            committed.clear()
            assert (await http.post("/names/dropped?fail=true")).status_code == 409
            await asyncio.wait_for(committed.wait(), 5)
        assert [r["name"] for r in await db.fetch_all(f"SELECT name FROM {table}")] == ["kept"]
    finally:
        await db.disconnect()


class Payload(msgspec.Struct):
    a: int


async def test_an_override_may_not_take_body_parameters(client, caplog):
    def reads_body(body: Payload) -> dict:
        return {}

    app.dependency_overrides[settings] = reads_body
    with caplog.at_level(logging.ERROR, logger="covet.error"):
        reply = await client.get("/old-style")
    assert reply.status_code == 500
    assert "takes body parameters" in caplog.text


def broken_cleanup() -> Iterator[str]:
    yield "value"
    cleaned.set()
    raise RuntimeError("cleanup failed")


@app.get("/broken-cleanup")
async def with_broken_cleanup(value: Annotated[str, Depends(broken_cleanup)]) -> dict:
    return {"value": value}


async def test_a_failing_cleanup_is_logged_after_the_response(client, caplog):
    with caplog.at_level(logging.ERROR, logger="covet.error"):
        assert (await client.get("/broken-cleanup")).json() == {"value": "value"}
        assert await asyncio.to_thread(cleaned.wait, 5)
        await wait_for(lambda: "cleanup failed" in caplog.text)
    assert "Exception in dependency cleanup" in caplog.text and "cleanup failed" in caplog.text


def test_route_dependencies_must_be_depends():
    async def handler() -> dict:
        return {}

    with pytest.raises(TypeError, match=r"dependencies= takes Depends\(callable\) items"):
        Router().add_route("/x", handler, dependencies=[settings])  # type: ignore[list-item]
