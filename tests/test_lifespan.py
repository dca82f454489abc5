"""Covet(lifespan=...): a context manager around the app's life, beside on_startup/on_shutdown."""

import contextlib
import textwrap

import pytest
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse as StarlettePlainText

from covet import Covet
from covet.testing import TestClient
from tests.server.covet_process import run_covet


def make_app(events, **options):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        events.append("enter")
        yield {"pool": "the pool"}
        events.append("exit")

    app = Covet(
        lifespan=lifespan,
        on_startup=[lambda: events.append("startup hook")],
        on_shutdown=[lambda: events.append("shutdown hook")],
        **options,
    )

    @app.get("/pool")
    async def pool(request):
        events.append("request")
        return {"pool": request.state.pool, "app": request.app.lifespan_state["pool"]}

    @app.websocket("/ws")
    async def ws(websocket):
        await websocket.accept()
        await websocket.send_text(websocket.state.pool)

    async def mounted(scope, receive, send):
        await StarlettePlainText(StarletteRequest(scope).state.pool)(scope, receive, send)

    app.mount("/mounted", mounted)
    return app


def test_the_lifespan_wraps_the_serving_and_shares_its_state(serve_anywhere):
    events = []
    with serve_anywhere(make_app(events)) as client:
        assert events == ["startup hook", "enter"]
        assert client.get("/pool").json() == {"pool": "the pool", "app": "the pool"}
        assert client.get("/mounted/").text == "the pool"
    assert events == ["startup hook", "enter", "request", "exit", "shutdown hook"]


def test_each_request_gets_its_own_copy_of_the_state():
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield {"count": 0}

    app = Covet(lifespan=lifespan)

    @app.get("/bump")
    async def bump(request):
        request.state.count += 1
        return {"count": request.state.count}

    with TestClient(app) as client:
        assert [client.get("/bump").json()["count"] for _ in range(2)] == [1, 1]


def test_websockets_see_the_state_too():
    with TestClient(make_app([])) as client, client.websocket_connect("/ws") as ws:
        assert ws.receive_text() == "the pool"


def test_hooks_and_context_run_in_order():
    events = []
    with TestClient(make_app(events)) as client:
        client.get("/pool")
    assert events == ["startup hook", "enter", "request", "exit", "shutdown hook"]


def test_an_async_generator_function_is_taken_as_the_context():
    events = []

    async def lifespan(app):
        events.append("up")
        yield
        events.append("down")

    with TestClient(Covet(lifespan=lifespan)):
        assert events == ["up"]
    assert events == ["up", "down"]


def test_async_hooks_are_awaited():
    events = []

    async def connect():
        events.append("connected")

    with TestClient(Covet(on_startup=[connect])):
        assert events == ["connected"]


def test_a_startup_failure_raises_the_error_with_the_failing_step():
    @contextlib.asynccontextmanager
    async def lifespan(app):
        raise ConnectionError("database is down")
        yield

    with (
        pytest.raises(ConnectionError, match="database is down") as failed,
        TestClient(Covet(lifespan=lifespan)),
    ):
        pass
    assert any("(raised by the lifespan " in note for note in failed.value.__notes__)


def test_a_shutdown_failure_is_raised_when_the_client_closes():
    def close():
        raise OSError("could not flush")

    with pytest.raises(OSError, match="could not flush"), TestClient(Covet(on_shutdown=[close])):
        pass


def test_a_lifespan_that_is_not_a_context_manager_is_refused():
    async def lifespan(app):
        return {"pool": 1}

    with pytest.raises(TypeError, match="not an async context manager"), TestClient(Covet(lifespan=lifespan)):
        pass


def test_the_state_must_be_a_mapping():
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield ["not", "a", "mapping"]

    with pytest.raises(TypeError, match="yielded list"), TestClient(Covet(lifespan=lifespan)):
        pass


def test_lifespan_must_be_callable():
    with pytest.raises(TypeError, match="lifespan must be a function"):
        Covet(lifespan="module:lifespan")


@pytest.mark.slow
def test_covets_server_exits_with_status_3_and_says_what_failed(tmp_path):
    (tmp_path / "failing.py").write_text(
        textwrap.dedent(
            """
            from covet import Covet

            def connect_database():
                raise ConnectionError("database is down")

            app = Covet(on_startup=[connect_database])
            """
        )
    )
    done = run_covet("serve", "failing:app", "--port", "0", cwd=str(tmp_path))
    assert done.returncode == 3, done.stderr
    assert "startup hook failing.connect_database failed: ConnectionError: database is down" in done.stderr
