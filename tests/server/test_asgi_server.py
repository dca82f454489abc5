"""CovetPy's server running ASGI apps (Starlette, bare callables), and covet.Covet under uvicorn."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

import covet
from covet.server.config import ServerConfig
from covet.server.serve import run
from covet.testing.live import live_server
from tests.server.wire import Wire, get
from tests.servers import uvicorn_serving

GRACE = {"timeout_graceful_shutdown": 1.0}

# -- a Starlette application -------------------------------------------------------------------

lifespan_events: list[str] = []


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    lifespan_events.append("startup")
    yield {"greeting": "hello from the lifespan"}
    lifespan_events.append("shutdown")


async def hello(request: StarletteRequest) -> Response:
    return PlainTextResponse("hello, starlette")


async def item(request: StarletteRequest) -> Response:
    return JSONResponse({"id": request.path_params["id"], "q": request.query_params.get("q")})


async def reverse(request: StarletteRequest) -> Response:
    return Response((await request.body())[::-1])


async def countdown():
    for word in ("three", "two", "one"):
        yield word


async def stream(request: StarletteRequest) -> Response:
    return StreamingResponse(countdown(), media_type="text/plain")


async def greeting(request: StarletteRequest) -> Response:
    return PlainTextResponse(request.state.greeting)


starlette_app = Starlette(
    routes=[
        Route("/hello", hello),
        Route("/items/{id:int}", item),
        Route("/reverse", reverse, methods=["POST"]),
        Route("/stream", stream),
        Route("/greeting", greeting),
    ],
    lifespan=lifespan,
)


@pytest.fixture(scope="module")
def starlette_server():
    with live_server(starlette_app, **GRACE) as srv:
        yield srv


@pytest.fixture
def client(starlette_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=starlette_server.url) as c:
        yield c


def test_starlette_routes_with_path_and_query_parameters(client):
    assert client.get("/hello").text == "hello, starlette"
    reply = client.get("/items/42", params={"q": "x y"})
    assert reply.json() == {"id": 42, "q": "x y"}
    assert reply.headers["server"] == "covet"


def test_starlette_unknown_route_is_404(client):
    assert client.get("/nowhere").status_code == 404


def test_starlette_reads_a_request_body(client):
    assert client.post("/reverse", content=b"abcdef").content == b"fedcba"


def test_starlette_reads_a_chunked_request_body(client):
    def pieces():
        yield b"abc"
        yield b"def"

    reply = client.post("/reverse", content=pieces())
    assert reply.request.headers["transfer-encoding"] == "chunked"
    assert reply.content == b"fedcba"


def test_starlette_streaming_response_is_sent_chunked(starlette_server):
    with Wire(starlette_server.connect()) as wire:
        reply = wire.exchange(get("/stream"))
    assert reply.header("transfer-encoding") == "chunked"
    assert reply.body == b"threetwoone"


def test_starlette_handlers_see_the_state_their_lifespan_set(client):
    assert client.get("/greeting").text == "hello from the lifespan"


def test_starlette_lifespan_starts_before_serving_and_shuts_down_after():
    lifespan_events.clear()
    with live_server(starlette_app, **GRACE) as srv:
        assert lifespan_events == ["startup"]
        assert httpx.get(srv.url + "/hello").status_code == 200
    assert lifespan_events == ["startup", "shutdown"]


# -- bare ASGI callables -----------------------------------------------------------------------


async def read_body(receive) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


async def start(send, status: int = 200, headers: Any = ()) -> None:
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})


received: list[dict[str, Any]] = []
disconnected = threading.Event()


async def bare_app(scope, receive, send):
    if scope["type"] == "lifespan":
        raise RuntimeError("this app does not do lifespan")
    path = scope["path"]
    if path == "/scope":
        facts = {k: scope[k] for k in ("type", "http_version", "method", "scheme", "path", "root_path")}
        facts.update(
            raw_path=scope["raw_path"].decode(),
            query_string=scope["query_string"].decode(),
            headers=[[n.decode(), v.decode()] for n, v in scope["headers"]],
            server=list(scope["server"]),
            client_host=scope["client"][0],
            asgi=scope["asgi"]["version"],
        )
        await start(send, headers=[(b"content-type", b"application/json")])
        await send({"type": "http.response.body", "body": json.dumps(facts).encode()})
    elif path == "/more-body":
        await start(send)
        for part in (b"one", b"two", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    elif path == "/more-body-sized":
        await start(send, headers=[(b"content-length", b"11")])
        for part in (b"one", b"two"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"three"})
    elif path == "/echo-as-it-comes":
        await start(send)
        more = True
        while more:
            message = await receive()
            received.append(message)
            more = message.get("more_body", False)
            await send({"type": "http.response.body", "body": message["body"].upper(), "more_body": more})
    elif path == "/wait-disconnect":
        await read_body(receive)
        await start(send)
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        message = await receive()
        received.append(message)
        disconnected.set()
    elif path == "/no-response":
        return
    elif path == "/raise-before":
        raise RuntimeError("secret detail")
    elif path == "/raise-after":
        await start(send)
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("failed midway")
    elif path == "/split-header":
        await start(send, headers=[(b"x-evil", b"a\r\nset-cookie: pwned=1")])
        await send({"type": "http.response.body", "body": b"x"})
    elif path == "/no-content":
        await start(send, status=204)
        await send({"type": "http.response.body", "body": b"must not be sent"})
    elif path == "/short-body":
        await start(send, headers=[(b"content-length", b"10")])
        await send({"type": "http.response.body", "body": b"12345"})
    else:
        await start(send)
        await send({"type": "http.response.body", "body": b"bare"})


@pytest.fixture(scope="module")
def bare_server():
    with live_server(bare_app, timeout_keep_alive=2.0, **GRACE) as srv:
        yield srv


@pytest.fixture
def wire(bare_server):
    received.clear()
    disconnected.clear()
    with Wire(bare_server.connect()) as w:
        yield w


def test_asgi_app_without_lifespan_support_is_served(wire):
    assert wire.exchange(get("/")).body == b"bare"


def test_asgi_scope_describes_the_request(wire, bare_server):
    reply = wire.exchange(get("/scope?a=1&b=%20", "X-Custom: Value"))
    facts = json.loads(reply.body)
    assert facts == {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/scope",
        "root_path": "",
        "raw_path": "/scope",
        "query_string": "a=1&b=%20",
        "headers": [["host", "test"], ["x-custom", "Value"]],
        "server": ["127.0.0.1", bare_server.port],
        "client_host": "127.0.0.1",
        "asgi": "3.0",
    }


def test_asgi_app_streaming_with_more_body_is_sent_chunked(wire):
    wire.send(get("/more-body") + get("/"))
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += wire.raw_line()
    assert b"\r\ntransfer-encoding: chunked\r\n" in head
    body = b"3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n"
    assert wire.raw(len(body)) == body
    assert wire.reply().body == b"bare"


def test_asgi_app_streaming_with_a_content_length_is_not_chunked(wire):
    reply = wire.exchange(get("/more-body-sized"))
    assert reply.header("content-length") == "11"
    assert reply.header("transfer-encoding") is None
    assert reply.body == b"onetwothree"


def test_asgi_app_streaming_to_http10_ends_when_the_connection_closes(wire):
    reply = wire.exchange(get("/more-body", "Connection: keep-alive", version="1.0"))
    assert reply.header("transfer-encoding") is None
    assert reply.body == b"onetwothree"
    assert wire.is_closed()


def test_asgi_app_receives_a_chunked_request_body_piece_by_piece(wire):
    # The app echoes each piece as it gets it: each echo arrives before the next piece is sent.
    wire.send(b"POST /echo-as-it-comes HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    wire.send(b"3\r\nabc\r\n")
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += wire.raw_line()
    assert wire.raw(8) == b"3\r\nABC\r\n"
    wire.send(b"3\r\ndef\r\n")
    assert wire.raw(8) == b"3\r\nDEF\r\n"
    wire.send(b"0\r\n\r\n")
    assert wire.raw(5) == b"0\r\n\r\n"
    assert [(m["type"], m["body"], m["more_body"]) for m in received] == [
        ("http.request", b"abc", True),
        ("http.request", b"def", True),
        ("http.request", b"", False),
    ]


def test_asgi_app_learns_that_the_client_went_away(wire):
    wire.send(get("/wait-disconnect"))
    assert wire.raw_line().startswith(b"HTTP/1.1 200")
    wire.close()
    assert disconnected.wait(5)
    assert received == [{"type": "http.disconnect"}]


def test_asgi_app_returning_without_a_response_is_a_500(wire, caplog):
    reply = wire.exchange(get("/no-response"))
    assert reply.status == 500
    assert any(r.name == "covet.error" for r in caplog.records)


def test_asgi_app_raising_before_responding_is_a_500_without_traceback(wire, caplog):
    reply = wire.exchange(get("/raise-before"))
    assert reply.status == 500
    assert b"Traceback" not in reply.body and b"secret" not in reply.body
    logged = [r for r in caplog.records if r.name == "covet.error" and r.exc_info]
    assert logged and str(logged[0].exc_info[1]) == "secret detail"


def test_asgi_app_raising_after_starting_the_response_closes_the_connection(wire, caplog):
    wire.send(get("/raise-after") + get("/"))
    data = b""
    while chunk := wire.conn.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == b"7\r\npartial\r\n"  # no last chunk, and nothing for the request behind it
    assert any(r.name == "covet.error" for r in caplog.records)


def test_asgi_app_header_with_crlf_is_a_500_never_a_split_response(wire):
    wire.send(get("/split-header") + get("/"))
    reply = wire.reply()
    assert reply.status == 500
    assert reply.header("set-cookie") is None
    assert wire.reply().body == b"bare"


def test_asgi_app_body_on_a_no_content_response_is_not_sent(wire):
    wire.send(get("/no-content") + get("/"))
    assert wire.reply().status == 204
    assert wire.reply().body == b"bare"


def test_asgi_app_body_shorter_than_its_content_length_closes_the_connection(wire):
    wire.send(get("/short-body") + get("/"))
    data = b""
    while chunk := wire.conn.recv(65536):
        data += chunk
    # Closed after the short body: had the next response followed, the client would read it
    # as the missing five bytes of this one.
    assert data.endswith(b"\r\n\r\n12345")
    assert b"bare" not in data


def test_lifespan_startup_failure_keeps_the_server_from_starting(caplog):
    async def failing(scope, receive, send):
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    exit_codes: list[int] = []
    thread = threading.Thread(target=lambda: exit_codes.append(run(failing, ServerConfig(port=0))))
    thread.start()
    thread.join(10)
    assert exit_codes == [3]
    assert any("no database" in r.getMessage() for r in caplog.records)


# -- covet.Covet under uvicorn -----------------------------------------------------------------

covet_app = covet.Covet()
hook_events: list[str] = []
covet_app.on_startup.append(lambda: hook_events.append("startup"))
covet_app.on_shutdown.append(lambda: hook_events.append("shutdown"))


@covet_app.get("/text")
async def text(request):
    return "plain text"


@covet_app.get("/json")
async def as_json(request):
    return {"path": request.path, "q": request.query_params.get("q")}


@covet_app.post("/upper")
async def upper(request):
    return covet.Response((await request.body()).upper())


async def tick_tock():
    for word in (b"tick", b"tock"):
        yield word


@covet_app.get("/ticks")
async def ticks(request):
    return covet.StreamingResponse(tick_tock(), media_type="text/plain")


@covet_app.get("/fail")
async def fail(request):
    raise RuntimeError("secret detail")


@pytest.fixture(scope="module")
def uvicorn_url():
    hook_events.clear()
    with uvicorn_serving(covet_app, ws="none") as url:
        yield url
    assert hook_events == ["startup", "shutdown"]


@pytest.fixture
def under_uvicorn(uvicorn_url) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=uvicorn_url) as c:
        yield c


def test_covet_app_under_uvicorn_answers_text_and_json(under_uvicorn):
    assert under_uvicorn.get("/text").text == "plain text"
    assert under_uvicorn.get("/json", params={"q": "z"}).json() == {"path": "/json", "q": "z"}


def test_covet_app_under_uvicorn_reads_the_request_body(under_uvicorn):
    assert under_uvicorn.post("/upper", content=b"shout").content == b"SHOUT"


def test_covet_app_under_uvicorn_streams_a_response(under_uvicorn):
    reply = under_uvicorn.get("/ticks")
    assert reply.headers["transfer-encoding"] == "chunked"
    assert reply.text == "ticktock"


def test_covet_app_under_uvicorn_answers_404_and_405(under_uvicorn):
    assert under_uvicorn.get("/nowhere").status_code == 404
    reply = under_uvicorn.delete("/text")
    assert reply.status_code == 405
    assert reply.headers["allow"] == "GET, HEAD, OPTIONS"


def test_covet_app_under_uvicorn_sends_a_content_length_for_a_whole_body(under_uvicorn):
    reply = under_uvicorn.get("/text")
    assert reply.headers.get("content-length") == str(len("plain text"))
    assert "transfer-encoding" not in reply.headers


def test_covet_app_under_uvicorn_answers_head_without_a_body(under_uvicorn):
    reply = under_uvicorn.head("/text")
    assert reply.status_code == 200
    assert reply.headers["content-length"] == str(len("plain text"))
    assert reply.content == b""


def test_covet_app_under_uvicorn_runs_its_startup_hooks(under_uvicorn):
    assert hook_events == ["startup"]


def test_covet_app_handler_failure_under_uvicorn_is_a_500_that_uvicorn_logs(under_uvicorn, caplog):
    # As with Starlette, the app answers 500 and re-raises: the ASGI server logs the traceback once.
    caplog.set_level(logging.ERROR)
    reply = under_uvicorn.get("/fail")
    assert reply.status_code == 500
    assert "secret" not in reply.text

    def logged() -> bool:
        return any("secret detail" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)

    deadline = time.monotonic() + 5  # uvicorn logs after the response has gone out
    while not logged() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert logged()
