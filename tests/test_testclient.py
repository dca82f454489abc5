"""covet.testing: TestClient and AsyncTestClient call an app in process, without a socket."""

import asyncio
import contextlib

import pytest

from covet import Covet, HTTPException, PlainTextResponse, Response, StreamingResponse
from covet.testing import AsyncTestClient, TestClient, WebSocketDenied, WebSocketDisconnect

app = Covet()
events: list[str] = []


@app.get("/hello")
async def hello(request):
    return {"hello": "world", "client": list(request.client), "root_path": request.root_path}


@app.get("/login")
async def login(request):
    return Response(b"", headers=[(b"set-cookie", b"session=abc123; Path=/")])


@app.get("/whoami")
async def whoami(request):
    return {"cookies": request.cookies}


@app.get("/old")
async def old(request):
    return Response(status_code=307, headers=[(b"location", b"/hello")])


@app.post("/upload")
async def upload(request):
    form = await request.form()
    upload = form["file"]
    return {"title": form["title"], "filename": upload.filename, "content": (await upload.read()).decode()}


@app.post("/echo")
async def echo(request):
    return Response(b"".join([chunk async for chunk in request.stream()]))


@app.get("/ticks")
async def ticks(request):
    async def forever():
        n = 0
        try:
            while True:
                yield f"tick {n}\n"
                n += 1
                await asyncio.sleep(0)
        finally:
            events.append("stream closed")

    return StreamingResponse(forever(), media_type="text/plain")


@app.get("/fail")
async def fail(request):
    raise RuntimeError("handler broke")


@app.get("/teapot")
async def teapot(request):
    raise HTTPException(418)


@app.websocket("/ws/echo")
async def ws_echo(websocket):
    await websocket.accept(subprotocol="chat" if "chat" in websocket.subprotocols else None)
    async for text in websocket.iter_text():
        await websocket.send_text(f"echo: {text}")


@app.websocket("/ws/json")
async def ws_json(websocket):
    await websocket.accept()
    data = await websocket.receive_json()
    await websocket.send_json({"got": data})
    await websocket.send_bytes(b"\x00\x01")
    await websocket.close(4001, "done")


@app.websocket("/ws/refuse")
async def ws_refuse(websocket):
    await websocket.close()


@app.websocket("/ws/deny")
async def ws_deny(websocket):
    await websocket.send_denial_response(PlainTextResponse("go away", status_code=401))


@app.websocket("/ws/broken")
async def ws_broken(websocket):
    await websocket.accept()
    raise ValueError("websocket handler broke")


@app.websocket("/ws/cookie")
async def ws_cookie(websocket):
    await websocket.accept()
    await websocket.send_json(websocket.cookies)


def test_requests_go_to_the_app_without_a_socket():
    client = TestClient(app)
    reply = client.get("/hello")
    assert reply.status_code == 200
    assert reply.json() == {"hello": "world", "client": ["testclient", 50000], "root_path": ""}


def test_root_path_and_client_address_are_configurable():
    client = TestClient(app, root_path="/api", client=("10.0.0.7", 1234))
    reply = client.get("/hello").json()
    assert (reply["client"], reply["root_path"]) == (["10.0.0.7", 1234], "/api")


def test_cookies_set_by_the_app_are_sent_back():
    with TestClient(app) as client:
        client.get("/login")
        assert client.get("/whoami").json() == {"cookies": {"session": "abc123"}}


def test_redirects_are_followed_unless_asked_not_to():
    client = TestClient(app)
    assert client.get("/old").json()["hello"] == "world"
    reply = client.get("/old", follow_redirects=False)
    assert reply.status_code == 307
    assert reply.headers["location"] == "/hello"


def test_multipart_uploads_are_encoded_by_httpx():
    client = TestClient(app)
    reply = client.post(
        "/upload", data={"title": "todo"}, files={"file": ("notes.txt", b"remember the milk", "text/plain")}
    )
    assert reply.json() == {"title": "todo", "filename": "notes.txt", "content": "remember the milk"}


def test_a_request_body_arrives_whole():
    client = TestClient(app)
    assert client.post("/echo", content=b"x" * 100_000).content == b"x" * 100_000


def test_head_responses_have_no_body():
    reply = TestClient(app).head("/hello")
    assert reply.status_code == 200
    assert reply.content == b""


def test_an_endless_response_can_be_streamed_and_closed():
    events.clear()
    with (
        TestClient(app) as client,
        client.stream("GET", "/ticks") as reply,
    ):
        lines = []
        for line in reply.iter_lines():
            lines.append(line)
            if len(lines) == 3:
                break
        assert lines == ["tick 0", "tick 1", "tick 2"]
    assert events == ["stream closed"]


def test_server_exceptions_are_raised_in_the_test_by_default():
    with pytest.raises(RuntimeError, match="handler broke"):
        TestClient(app).get("/fail")


def test_server_exceptions_can_be_seen_as_500_responses():
    client = TestClient(app, raise_server_exceptions=False)
    reply = client.get("/fail")
    assert reply.status_code == 500
    assert reply.text == "Internal Server Error"


def test_handled_exceptions_are_not_raised():
    assert TestClient(app).get("/teapot").status_code == 418


def test_an_asgi_app_that_never_answers_is_an_error():
    async def silent(scope, receive, send):
        return

    with pytest.raises(AssertionError, match="sent no response"):
        TestClient(silent).get("/")
    assert TestClient(silent, raise_server_exceptions=False).get("/").status_code == 500


def test_lifespan_runs_around_the_with_block_and_shares_its_state():
    seen = []

    async def raw_app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                seen.append(message["type"])
                if message["type"] == "lifespan.startup":
                    scope["state"]["greeting"] = "hi"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["state"]["greeting"].encode()})

    with TestClient(raw_app) as client:
        assert seen == ["lifespan.startup"]
        assert client.get("/").text == "hi"
    assert seen == ["lifespan.startup", "lifespan.shutdown"]


def test_a_failing_startup_raises_its_exception():
    def connect():
        raise ConnectionError("database is down")

    broken = Covet(on_startup=[connect])
    with pytest.raises(ConnectionError, match="database is down"), TestClient(broken):
        pass


def test_apps_without_lifespan_support_still_work_in_a_with_block():
    async def http_only(scope, receive, send):
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with TestClient(http_only) as client:
        assert client.get("/").status_code == 204


def test_websocket_messages_go_both_ways():
    with TestClient(app) as client, client.websocket_connect("/ws/echo", subprotocols=["chat"]) as ws:
        assert ws.accepted_subprotocol == "chat"
        ws.send_text("hello")
        assert ws.receive_text() == "echo: hello"
        ws.send_text("again")
        assert ws.receive_text() == "echo: again"


def test_websocket_json_bytes_and_the_apps_close_code():
    client = TestClient(app)
    with client.websocket_connect("/ws/json") as ws:
        ws.send_json({"n": 1})
        assert ws.receive_json() == {"got": {"n": 1}}
        assert ws.receive_bytes() == b"\x00\x01"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert (closed.value.code, closed.value.reason) == (4001, "done")


def test_a_websocket_closed_before_accept_is_a_disconnect():
    with pytest.raises(WebSocketDisconnect) as refused, TestClient(app).websocket_connect("/ws/refuse"):
        pass
    assert refused.value.code == 1000


def test_a_websocket_denial_response_is_raised_with_the_response():
    with pytest.raises(WebSocketDenied) as denied, TestClient(app).websocket_connect("/ws/deny"):
        pass
    assert denied.value.status_code == 401
    assert denied.value.response.text == "go away"


def test_a_websocket_without_a_route_is_denied_with_404():
    with pytest.raises(WebSocketDenied) as denied, TestClient(app).websocket_connect("/ws/nowhere"):
        pass
    assert denied.value.status_code == 404


def test_a_websocket_handler_exception_is_raised_in_the_test():
    with (
        pytest.raises(ValueError, match="websocket handler broke"),
        TestClient(app).websocket_connect("/ws/broken") as ws,
    ):
        ws.receive_text()


def test_websocket_handshakes_carry_the_clients_cookies():
    client = TestClient(app, cookies={"session": "xyz"})
    with client.websocket_connect("/ws/cookie") as ws:
        assert ws.receive_json() == {"session": "xyz"}


async def test_the_async_client_runs_lifespan_requests_and_websockets():
    started = []
    lively = Covet(on_startup=[lambda: started.append("up")], on_shutdown=[lambda: started.append("down")])

    @lively.get("/")
    async def index(request):
        return "async hello"

    @lively.websocket("/ws")
    async def ws(websocket):
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())

    async with AsyncTestClient(lively) as client:
        assert started == ["up"]
        assert (await client.get("/")).text == "async hello"
        async with client.websocket_connect("/ws") as session:
            await session.send_text("ping")
            assert await session.receive_text() == "ping"
    assert started == ["up", "down"]


async def test_the_async_client_streams_request_and_response_bodies():
    async def chunks():
        for part in (b"one ", b"two ", b"three"):
            yield part

    async with AsyncTestClient(app) as client:
        assert (await client.post("/echo", content=chunks())).content == b"one two three"
        async with client.stream("GET", "/ticks") as reply:
            first = await reply.aiter_lines().__anext__()
        assert first == "tick 0"


async def test_the_async_client_raises_server_exceptions():
    async with AsyncTestClient(app) as client:
        with pytest.raises(RuntimeError, match="handler broke"):
            await client.get("/fail")


def test_a_client_used_outside_a_with_block_leaves_no_loop_running():
    client = TestClient(app)
    client.get("/hello")
    assert client.portal is None
    with contextlib.closing(client):
        assert client.get("/hello").status_code == 200
