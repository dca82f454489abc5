"""@app.websocket routes on CovetPy's server, under uvicorn and through the test client."""

import asyncio
import contextlib
import json
import threading

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect as websockets_connect

from covet import Covet
from covet.routing import Router
from covet.testing import AsyncTestClient, TestClient, WebSocketDenied, WebSocketDisconnect
from covet.testing.live import live_server
from covet.websockets import WebSocket
from tests.servers import uvicorn_serving

app = Covet()
disconnects: list[int] = []
left = threading.Event()


@app.websocket("/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(f"echo: {text}")


@app.websocket("/bytes")
async def echo_bytes(websocket: WebSocket):
    await websocket.accept()
    async for data in websocket.iter_bytes():
        await websocket.send_bytes(data[::-1])


@app.websocket("/json")
async def echo_json(websocket: WebSocket):
    await websocket.accept()
    message = await websocket.receive_json()
    await websocket.send_json({"you said": message, "binary": False})


@app.websocket("/rooms/{room:slug}/{seat:int}", name="room")
async def room(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_json({"room": websocket.path_params["room"], "seat": websocket.path_params["seat"]})


@app.websocket("/chat")
async def chat(websocket: WebSocket):
    chosen = "chat.v2" if "chat.v2" in websocket.subprotocols else None
    await websocket.accept(subprotocol=chosen)
    await websocket.send_text(str(chosen))


@app.websocket("/bye")
async def bye(websocket: WebSocket):
    await websocket.accept()
    await websocket.close(4000, "see you")


@app.websocket("/listen")
async def listen(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect as gone:
        disconnects.append(gone.code)
        left.set()


@app.websocket("/fails-early")
async def fails_early(websocket: WebSocket):
    raise RuntimeError("before accepting")


@app.websocket("/fails-late")
async def fails_late(websocket: WebSocket):
    await websocket.accept()
    raise RuntimeError("after accepting")


@app.websocket("/refuse")
async def refuse(websocket: WebSocket):
    await websocket.close()


@app.get("/plain")
async def plain(request):
    return "plain http"


class LibrarySession:
    """The ``websockets`` library's client behind the test client's method names."""

    def __init__(self, connection):
        self.connection = connection
        self.accepted_subprotocol = connection.subprotocol

    def send_text(self, text):
        self.connection.send(text)

    def send_bytes(self, data):
        self.connection.send(data)

    def send_json(self, data):
        self.connection.send(json.dumps(data))

    def receive_text(self):
        try:
            return self.connection.recv(timeout=5)
        except ConnectionClosed as closed:
            raise WebSocketDisconnect(closed.rcvd.code if closed.rcvd else 1006) from None

    receive_bytes = receive_text

    def receive_json(self):
        return json.loads(self.receive_text())

    def close(self, code=1000):
        self.connection.close(code)


@pytest.fixture(params=["covet", "uvicorn", "asgi"])
def connect(request):
    """``connect(path, subprotocols=None)``: a WebSocket session to ``app`` on one of the servers."""
    with contextlib.ExitStack() as stack:
        if request.param == "asgi":
            client = TestClient(app)

            def open_session(path, subprotocols=None):
                return client.websocket_connect(path, subprotocols=subprotocols)
        else:
            serving = live_server(app) if request.param == "covet" else uvicorn_serving(app)
            server = stack.enter_context(serving)
            base = (server.url if request.param == "covet" else server).replace("http", "ws")

            @contextlib.contextmanager
            def open_session(path, subprotocols=None):
                with websockets_connect(base + path, subprotocols=subprotocols, open_timeout=5) as ws:
                    yield LibrarySession(ws)

        yield open_session


def test_text_messages_are_echoed(connect):
    with connect("/echo") as ws:
        for word in ("one", "two", "three"):
            ws.send_text(word)
            assert ws.receive_text() == f"echo: {word}"


def test_binary_messages(connect):
    with connect("/bytes") as ws:
        for data in (b"\x01\x02\x03", b"ab"):
            ws.send_bytes(data)
            assert ws.receive_bytes() == data[::-1]


def test_json_messages(connect):
    with connect("/json") as ws:
        ws.send_json({"n": [1, 2]})
        assert ws.receive_json() == {"you said": {"n": [1, 2]}, "binary": False}


def test_path_parameters_arrive_converted(connect):
    with connect("/rooms/blue-lagoon/12") as ws:
        assert ws.receive_json() == {"room": "blue-lagoon", "seat": 12}


def test_a_subprotocol_the_client_offers_can_be_chosen(connect):
    with connect("/chat", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.accepted_subprotocol == "chat.v2"
        assert ws.receive_text() == "chat.v2"
    with connect("/chat") as ws:
        assert ws.receive_text() == "None"


def test_the_handler_can_close_with_a_code(connect):
    with connect("/bye") as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_text()
    assert closed.value.code == 4000


def test_the_client_leaving_is_an_exception_in_the_handler(connect):
    disconnects.clear()
    left.clear()
    with connect("/listen") as ws:
        ws.send_text("hello")
        ws.close(4001)
    assert left.wait(5)
    assert disconnects == [4001]


def refusal_status(server, path):
    """The HTTP status with which CovetPy's server refuses a WebSocket handshake to ``path``."""
    url = server.url.replace("http", "ws") + path
    with pytest.raises(InvalidStatus) as refused, websockets_connect(url, open_timeout=5):
        pass
    return refused.value.response.status_code


def test_a_handler_failing_before_accept_refuses_the_handshake_with_500():
    with live_server(app) as server:
        assert refusal_status(server, "/fails-early") == 500


def test_a_handler_failing_after_accept_closes_with_1011():
    with live_server(app) as server:
        url = server.url.replace("http", "ws") + "/fails-late"
        with websockets_connect(url, open_timeout=5) as ws, pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 1011


def test_the_test_client_raises_the_handlers_exception():
    with (
        pytest.raises(RuntimeError, match="after accepting"),
        TestClient(app).websocket_connect("/fails-late") as ws,
    ):
        ws.receive_text()


def test_closing_before_accept_refuses_with_403_on_a_server():
    with live_server(app) as server:
        assert refusal_status(server, "/refuse") == 403


def test_a_path_without_a_websocket_route_is_404():
    with live_server(app) as server:
        assert refusal_status(server, "/plain") == 404
    with pytest.raises(WebSocketDenied) as denied, TestClient(app).websocket_connect("/nowhere"):
        pass
    assert denied.value.status_code == 404


def test_plain_http_to_a_websocket_route_is_404(serve):
    with serve(app) as client:
        assert client.get("/echo").status_code == 404
        assert client.get("/plain").text == "plain http"


def test_url_for_builds_websocket_paths():
    assert app.url_for("room", room="lobby", seat=3) == "/rooms/lobby/3"


def test_routers_carry_websocket_routes_under_their_prefix():
    live = Router()

    @live.websocket("/feed", name="feed")
    async def feed(websocket):
        await websocket.accept()
        await websocket.send_text("live")

    site = Covet()
    site.include_router(live, prefix="/live", name="live")
    assert site.url_for("live:feed") == "/live/feed"
    with TestClient(site).websocket_connect("/live/feed") as ws:
        assert ws.receive_text() == "live"


def test_websocket_handlers_must_be_async():
    with pytest.raises(TypeError, match="must be an 'async def' function"):

        @app.websocket("/sync")
        def sync(websocket):
            pass


async def test_the_handshake_is_a_request_with_its_headers():
    seen = asyncio.Event()
    headers = {}
    inspect = Covet()

    @inspect.websocket("/peek")
    async def peek(websocket):
        headers.update({k.decode(): v.decode() for k, v in websocket.request.raw_headers})
        seen.set()
        await websocket.accept()

    async with (
        AsyncTestClient(inspect) as client,
        client.websocket_connect("/peek", headers={"x-token": "abc"}),
    ):
        await seen.wait()
    assert headers["x-token"] == "abc"
    assert headers["upgrade"] == "websocket"


misuse = Covet()
misuse_errors: list[str] = []


@misuse.websocket("/too-early")
async def too_early(websocket: WebSocket):
    try:
        await websocket.receive_text()
    except RuntimeError as exc:
        await websocket.accept()
        await websocket.send_text(str(exc))


@misuse.websocket("/after-close")
async def after_close(websocket: WebSocket):
    await websocket.accept()
    await websocket.close()
    try:
        await websocket.send_text("late")
    except RuntimeError as exc:
        misuse_errors.append(str(exc))


@misuse.websocket("/kinds")
async def kinds(websocket: WebSocket):
    await websocket.accept()
    try:
        await websocket.receive_text()
    except TypeError as exc:
        await websocket.send_text(str(exc))
    async for data in websocket.iter_json():
        await websocket.send_json(data, binary=True)


def test_receiving_before_accept_is_an_error_that_says_what_to_do():
    with TestClient(misuse).websocket_connect("/too-early") as ws:
        assert ws.receive_text() == "the WebSocket is not open; call accept() first"


def test_sending_after_close_is_an_error():
    misuse_errors.clear()
    with TestClient(misuse).websocket_connect("/after-close") as ws, pytest.raises(WebSocketDisconnect):
        ws.receive_text()
    assert misuse_errors == ["'websocket.send' after the WebSocket was closed"]


def test_the_wrong_kind_of_message_is_named_and_json_can_go_binary():
    with TestClient(misuse).websocket_connect("/kinds") as ws:
        ws.send_bytes(b"\x00")
        assert ws.receive_text() == "the client sent a binary message; use receive_bytes()"
        ws.send_json({"a": 1}, binary=True)
        assert ws.receive_bytes() == b'{"a":1}'


def test_a_websocket_needs_a_websocket_scope():
    with pytest.raises(ValueError, match="needs a 'websocket' scope"):
        WebSocket({"type": "http"}, None, None, misuse)
