"""Native handlers run their first step eagerly, yet inside a real Task with their own context."""

import asyncio
import contextvars

import anyio
import httpx

from covet import Covet, PlainTextResponse
from covet.testing.live import live_server

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")

app = Covet()


@app.get("/task")
async def task_name(request):
    task = asyncio.current_task()
    with anyio.CancelScope():
        anyio_task = anyio.get_current_task()
    return {"task": task is not None, "anyio_task": anyio_task.id == id(task)}


@app.get("/timeout-sync")
async def timeout_without_suspending(request):
    async with asyncio.timeout(5):
        value = "no suspension"
    return value


@app.get("/timeout-fires")
async def timeout_that_fires(request):
    try:
        async with asyncio.timeout(0.05):
            await asyncio.sleep(5)
    except TimeoutError:
        return "timed out"
    return "not timed out"


@app.get("/taskgroup")
async def taskgroup(request):
    async def child(n):
        await asyncio.sleep(0.01)
        return n * 2

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(child(n)) for n in range(3)]
    return {"results": [t.result() for t in tasks]}


@app.get("/context")
async def context(request):
    seen = request_id.get()
    request_id.set(request.query_params.get("id", "none"))
    await asyncio.sleep(0)
    return {"seen": seen, "now": request_id.get()}


@app.get("/cancelled-after-suspension")
async def waits_then_answers(request):
    await asyncio.sleep(0.01)
    return PlainTextResponse("late")


def test_handler_sees_a_current_task_that_anyio_agrees_on():
    with live_server(app) as srv, httpx.Client(base_url=srv.url) as client:
        assert client.get("/task").json() == {"task": True, "anyio_task": True}


def test_asyncio_timeout_works_in_a_handler_that_never_suspends():
    with live_server(app) as srv, httpx.Client(base_url=srv.url) as client:
        assert client.get("/timeout-sync").text == "no suspension"


def test_asyncio_timeout_cancels_a_suspended_handler():
    with live_server(app) as srv, httpx.Client(base_url=srv.url) as client:
        response = client.get("/timeout-fires")
        assert response.text == "timed out"
        # The connection's handler Task survives the cancellation for the next request.
        assert client.get("/timeout-sync").text == "no suspension"


def test_task_group_in_a_handler():
    with live_server(app) as srv, httpx.Client(base_url=srv.url) as client:
        assert client.get("/taskgroup").json() == {"results": [0, 2, 4]}


def test_context_variables_do_not_leak_between_requests_on_one_connection():
    with live_server(app) as srv, httpx.Client(base_url=srv.url) as client:
        first = client.get("/context", params={"id": "a"}).json()
        second = client.get("/context", params={"id": "b"}).json()
    assert first == {"seen": "unset", "now": "a"}
    assert second == {"seen": "unset", "now": "b"}


def test_suspending_handlers_answer_in_order_on_one_connection():
    with live_server(app) as srv, httpx.Client(base_url=srv.url) as client:
        for _ in range(5):
            assert client.get("/cancelled-after-suspension").text == "late"
            assert client.get("/timeout-sync").text == "no suspension"
