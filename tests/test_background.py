"""Background tasks run after the response has been sent; a failing one is logged, the rest still run."""

import asyncio
import logging
import threading
from collections.abc import Iterator
from typing import Annotated

import httpx
import pytest

from covet import Covet, JSONResponse
from covet.background import BackgroundTasks
from covet.dependencies import Depends
from covet.testing.live import live_server

app = Covet()

done: list[str] = []
finished = threading.Event()
release = threading.Event()


def record(name: str) -> None:
    in_worker = threading.current_thread() is not threading.main_thread()
    done.append(f"{name} in {'worker thread' if in_worker else 'main thread'}")


async def record_async(name: str, *, suffix: str = "") -> None:
    done.append(name + suffix)


async def wait_for_release() -> None:
    await asyncio.to_thread(release.wait, 5)
    done.append("released")


def fail() -> None:
    raise RuntimeError("task failed")


def finish() -> None:
    finished.set()


def audit(tasks: BackgroundTasks) -> Iterator[None]:
    tasks.add_task(record_async, "from dependency")
    yield
    done.append("dependency cleanup")
    finished.set()


@app.post("/signup")
async def signup(tasks: BackgroundTasks) -> dict:
    tasks.add_task(record_async, "welcome", suffix=" email")
    tasks.add_task(record, "sync")
    tasks.add_task(finish)
    return {"ok": True}


@app.post("/slow")
async def slow(tasks: BackgroundTasks) -> dict:
    tasks.add_task(wait_for_release)
    tasks.add_task(finish)
    return {"sent": True}


@app.post("/failing")
async def failing(tasks: BackgroundTasks) -> dict:
    tasks.add_task(fail)
    tasks.add_task(record_async, "after the failure")
    tasks.add_task(finish)
    return {}


@app.post("/shared")
async def shared(tasks: BackgroundTasks, _: Annotated[None, Depends(audit)]) -> JSONResponse:
    tasks.add_task(record_async, "from handler")
    return JSONResponse({}, background=tasks)  # also given to the response: still run once


@pytest.fixture(autouse=True)
def reset():
    done.clear()
    finished.clear()
    release.clear()


async def wait_finished() -> None:
    assert await asyncio.to_thread(finished.wait, 5), "the background tasks did not finish"


async def test_tasks_run_in_order_after_the_response(client):
    assert (await client.post("/signup")).json() == {"ok": True}
    await wait_finished()
    assert done == ["welcome email", "sync in worker thread"]


async def test_the_response_does_not_wait_for_the_tasks():
    # CovetPy's server only: in process, a request ends with the app call (as in Starlette's TestClient).
    with live_server(app) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            reply = await http.post("/slow")
            assert reply.json() == {"sent": True}
            assert done == []  # the task is still waiting: the client has its answer anyway
            release.set()
            await wait_finished()
    assert done == ["released"]


async def test_a_failing_task_is_logged_and_the_next_still_runs(client, caplog):
    with caplog.at_level(logging.ERROR, logger="covet.error"):
        await client.post("/failing")
        await wait_finished()
    assert done == ["after the failure"]
    assert "Exception in background task" in caplog.text and "task failed" in caplog.text


async def test_tasks_from_dependencies_and_handler_run_once_before_dependency_cleanup(client):
    await client.post("/shared")
    await wait_finished()
    assert done == ["from dependency", "from handler", "dependency cleanup"]


def test_add_task_refuses_what_it_cannot_call():
    with pytest.raises(TypeError, match="takes a function to call later"):
        BackgroundTasks().add_task("send_email")  # type: ignore[arg-type]
