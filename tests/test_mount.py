"""app.mount: ASGI sub-apps (Starlette apps, static files) under a prefix, on every server."""

import asyncio
import threading

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

import covet
from covet import Covet
from covet.middleware import BaseHTTPMiddleware, Middleware
from covet.testing import TestClient
from covet.testing.live import live_server


async def where(request: StarletteRequest):
    return JSONResponse(
        {
            "path": request.scope["path"],
            "root_path": request.scope["root_path"],
            "url": str(request.url),
            "route": request.url.path,
            "query": dict(request.query_params),
            "path_params": request.scope.get("path_params", {}),
        }
    )


async def echo(request: StarletteRequest):
    return PlainTextResponse((await request.body()).decode().upper())


async def countdown(request: StarletteRequest):
    async def numbers():
        for n in (3, 2, 1):
            yield f"{n}\n"
            await asyncio.sleep(0)

    return StreamingResponse(numbers(), media_type="text/plain")


async def broken(request: StarletteRequest):
    raise RuntimeError("the sub-app broke")


async def ws_echo(websocket):
    await websocket.accept()
    await websocket.send_text(f"sub-app says {await websocket.receive_text()}")
    await websocket.close()


def starlette_app():
    return Starlette(
        routes=[
            Route("/where", where),
            Route("/echo", echo, methods=["POST"]),
            Route("/countdown", countdown),
            Route("/broken", broken),
            WebSocketRoute("/ws", ws_echo),
        ]
    )


def make_app(static_dir=None, **options):
    app = Covet(**options)

    @app.get("/sub/shadowed")
    async def shadowed(request):
        return "the route wins"

    app.mount("/sub", starlette_app(), name="sub")
    app.mount("/users/{user_id:int}/files", starlette_app(), name="files")
    if static_dir is not None:
        app.mount("/static", StaticFiles(directory=static_dir), name="static")
    return app


def test_the_mounted_app_sees_root_path_and_the_whole_path(serve):
    with serve(make_app()) as client:
        reply = client.get("/sub/where?x=1")
    seen = reply.json()
    assert (seen["path"], seen["root_path"], seen["route"]) == ("/sub/where", "/sub", "/sub/where")
    assert seen["query"] == {"x": "1"}
    assert seen["url"].endswith("/sub/where?x=1")


def test_routes_win_over_mounts(serve):
    with serve(make_app()) as client:
        assert client.get("/sub/shadowed").text == "the route wins"


def test_the_mount_prefix_can_hold_parameters(serve):
    with serve(make_app()) as client:
        seen = client.get("/users/42/files/where").json()
    assert (seen["root_path"], seen["path_params"]) == ("/users/42/files", {"user_id": 42})


def test_request_bodies_reach_the_mounted_app(serve):
    with serve(make_app()) as client:
        assert client.post("/sub/echo", content=b"quiet please").text == "QUIET PLEASE"


def test_a_body_read_by_middleware_is_replayed_to_the_mounted_app(serve):
    class Peek(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            seen = await request.body()
            response = await call_next(request)
            response.headers.append((b"x-seen", str(len(seen)).encode()))
            return response

    with serve(make_app(middleware=[Middleware(Peek)])) as client:
        reply = client.post("/sub/echo", content=b"twice")
    assert (reply.text, reply.headers["x-seen"]) == ("TWICE", "5")


def test_a_streaming_response_from_the_mounted_app_streams(serve):
    with serve(make_app()) as client, client.stream("GET", "/sub/countdown") as reply:
        assert list(reply.iter_lines()) == ["3", "2", "1"]


def test_unknown_paths_under_the_mount_are_the_mounted_apps_404(serve):
    with serve(make_app()) as client:
        reply = client.get("/sub/nope")
    assert (reply.status_code, reply.text) == (404, "Not Found")


def test_static_files_are_served_from_a_mount(serve, tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body { color: teal }")
    with serve(make_app(static_dir=tmp_path)) as client:
        reply = client.get("/static/css/site.css")
        head = client.head("/static/css/site.css")
    assert (reply.status_code, reply.text) == (200, "body { color: teal }")
    assert reply.headers["content-type"].startswith("text/css")
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "20")


def test_url_for_builds_paths_into_mounts(tmp_path):
    app = make_app(static_dir=tmp_path)
    assert app.url_for("static", path="/css/site.css") == "/static/css/site.css"
    assert app.url_for("files", user_id=7, path="/where") == "/users/7/files/where"


def test_an_exception_in_the_mounted_app_is_a_500(serve):
    with serve(make_app(), raise_server_exceptions=False) as client:
        assert client.get("/sub/broken").status_code == 500
    with pytest.raises(RuntimeError, match="the sub-app broke"):
        TestClient(make_app()).get("/sub/broken")


def test_the_error_log_names_the_mount(caplog):
    with live_server(make_app()) as server, httpx.Client(base_url=server.url) as client:
        client.get("/sub/broken")
    logged = [r.getMessage() for r in caplog.records if r.name == "covet.error" and r.exc_info]
    assert logged == ["Exception in handler (the app mounted at /sub)"]


def test_a_mounted_app_that_sends_nothing_is_a_500(serve):
    async def silent(scope, receive, send):
        return

    app = Covet()
    app.mount("/quiet", silent)
    with serve(app, raise_server_exceptions=False) as client:
        assert client.get("/quiet/x").status_code == 500


def test_a_client_that_leaves_stops_a_streaming_mounted_app():
    stopped = threading.Event()

    async def endless(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            while True:
                await send({"type": "http.response.body", "body": b"more\n", "more_body": True})
                await asyncio.sleep(0.01)
        finally:
            stopped.set()

    app = Covet()
    app.mount("/endless", endless)
    with live_server(app) as server:
        with httpx.Client(base_url=server.url) as client, client.stream("GET", "/endless/") as reply:
            assert next(reply.iter_lines()) == "more"
        assert stopped.wait(5)


def test_an_app_with_a_native_face_is_called_without_asgi(serve):
    class Native:
        async def __call__(self, scope, receive, send):
            raise AssertionError("the ASGI face should not be used")

        async def __covet_mount__(self, request, path):
            return covet.PlainTextResponse(f"native {path} for {request.path}")

    app = Covet()
    app.mount("/native", Native())
    with serve(app) as client:
        assert client.get("/native/a/b").text == "native /a/b for /native/a/b"


def test_websockets_reach_the_mounted_app():
    with TestClient(make_app()).websocket_connect("/sub/ws") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "sub-app says hi"
