"""covet.responses: cookies with secure defaults, header helpers, redirects, streaming, ASGI sending."""

import asyncio
import datetime
import time

import orjson
import pytest

from covet import Covet, Request
from covet.datastructures import URL
from covet.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from tests.servers import exchange

app = Covet()
stream_events: list[str] = []


@app.get("/cookie")
async def cookie(request: Request) -> Response:
    response = PlainTextResponse("set")
    response.set_cookie("sid", "abc123", max_age=3600)
    response.set_cookie("cross", "1", samesite="none")
    response.set_cookie("plain", "1", secure=False, httponly=False, samesite=None)
    return response


@app.get("/delete")
async def delete(request: Request) -> Response:
    response = Response(status_code=204)
    response.delete_cookie("sid", path="/app")
    return response


@app.get("/headers")
async def headers(request: Request) -> Response:
    response = JSONResponse({"ok": True})
    response.set_header("X-Frame-Options", "DENY")
    response.set_header("x-frame-options", "SAMEORIGIN")
    response.append_header("Link", "</a>; rel=preload")
    response.append_header("Link", "</b>; rel=preload")
    return response


@app.get("/redirect")
async def redirect(request: Request) -> Response:
    return RedirectResponse(request.query_params.get("to", "/"), status_code=303)


@app.get("/stream")
async def stream(request: Request) -> Response:
    async def numbers():
        try:
            for n in range(3):
                yield f"{n}\n"
        finally:
            stream_events.append("closed")

    return StreamingResponse(numbers(), media_type="text/plain")


@app.get("/endless")
async def endless(request: Request) -> Response:
    async def forever():
        try:
            yield b"first\n"
            await asyncio.sleep(3600)
            yield b"never"
        finally:
            stream_events.append("endless closed")

    return StreamingResponse(forever(), media_type="text/plain")




async def test_cookies_default_to_httponly_samesite_lax_and_not_secure_over_http(client):
    response = await client.get("/cookie")
    lines = response.headers.get_list("set-cookie")
    assert lines[0] == "sid=abc123; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax"
    # Browsers drop SameSite=None cookies that are not Secure: so they always are.
    assert lines[1] == "cross=1; Path=/; Secure; HttpOnly; SameSite=None"
    assert lines[2] == "plain=1; Path=/"


async def test_cookies_are_secure_when_the_request_is_https(serve):
    async with serve(app, https=True) as http:
        lines = (await http.get("/cookie")).headers.get_list("set-cookie")
    assert lines[0] == "sid=abc123; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax; Secure"
    assert lines[2] == "plain=1; Path=/"  # secure=False is kept


async def test_delete_cookie_expires_it_at_its_path(client):
    response = await client.get("/delete")
    line = response.headers["set-cookie"]
    assert line.startswith("sid=; Max-Age=0; Expires=")
    assert "; Path=/app; HttpOnly; SameSite=Lax" in line


def test_apply_scheme_lets_middleware_decide_with_the_forwarded_scheme():
    response = Response()
    response.set_cookie("a", "1")
    response.apply_scheme("https")
    response.apply_scheme("https")  # only once
    assert response.header("set-cookie") == "a=1; Path=/; HttpOnly; SameSite=Lax; Secure"
    assert response._cookies_pending is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"key": "bad name", "value": "v"}, "not an HTTP token"),
        ({"key": "a", "value": "x; Domain=evil.com"}, "cannot carry"),
        ({"key": "a", "value": "line\r\nSet-Cookie: evil=1"}, "cannot carry"),
        ({"key": "a", "value": "café"}, "cannot carry"),
        ({"key": "a", "value": "v", "path": "/; Domain=evil"}, "Path"),
        ({"key": "a", "value": "v", "domain": "x\nY"}, "Domain"),
        ({"key": "a", "value": "v", "samesite": "sometimes"}, "samesite"),
        ({"key": "a", "value": "v", "expires": datetime.datetime(2030, 1, 1)}, "aware datetime"),
    ],
)
def test_cookie_injection_and_invalid_attributes_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Response().set_cookie(**kwargs)


def test_cookie_attributes_render_as_browsers_expect():
    response = Response()
    expires = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    response.set_cookie("__Host-id", '"quoted"', expires=expires, domain=None, partitioned=True)
    assert response.header("set-cookie") == (
        '__Host-id="quoted"; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/; Secure; HttpOnly; SameSite=Lax; '
        "Partitioned"
    )


async def test_header_helpers_replace_and_append(client):
    response = await client.get("/headers")
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers.get_list("link") == ["</a>; rel=preload", "</b>; rel=preload"]


def test_set_header_refuses_header_injection():
    response = Response()
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        response.set_header("x-a", "1\r\nset-cookie: evil=1")
    with pytest.raises(ValueError):
        response.append_header("bad name", "1")


async def test_redirect_sends_location_with_the_status(client):
    response = await client.get("/redirect", params={"to": "/next?a=1"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/next?a=1"


def test_redirect_location_cannot_split_the_header(server):
    target = "/x\r\nSet-Cookie: evil=1"
    with server.connect() as conn:
        reply = exchange(
            conn, b"GET /redirect?to=%2Fx%0D%0ASet-Cookie%3A%20evil%3D1%20%C3%A9 HTTP/1.1\r\nHost: t\r\n"
            b"Connection: close\r\n\r\n"
        )
    head = reply.split(b"\r\n\r\n")[0]
    assert b"\r\nset-cookie" not in head.lower()
    assert b"location: /x%0D%0ASet-Cookie:%20evil=1%20%C3%A9" in head
    assert RedirectResponse(URL("http://h/a b")).header("location") == "http://h/a%20b"
    assert target


async def test_streaming_response_sends_chunks_and_closes_its_iterator(client):
    stream_events.clear()
    response = await client.get("/stream")
    assert response.text == "0\n1\n2\n"
    assert stream_events == ["closed"]


async def test_head_of_a_fixed_response_has_its_length_but_no_body(client):
    response = await client.head("/headers")
    assert response.content == b""
    assert response.headers["content-length"] == str(len(b'{"ok":true}'))


def test_a_client_that_disconnects_stops_an_endless_stream(server):
    stream_events.clear()
    with server.connect() as conn:
        conn.sendall(b"GET /endless HTTP/1.1\r\nHost: t\r\n\r\n")
        assert b"first" in conn.recv(65536)
    for _ in range(200):
        if stream_events:
            break
        time.sleep(0.01)
    assert stream_events == ["endless closed"]


async def test_under_asgi_a_disconnect_stops_an_endless_stream():
    stream_events.clear()
    sent: list[dict] = []
    disconnect = asyncio.Event()

    async def receive():
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message.get("body") == b"first\n":
            disconnect.set()

    scope = {"type": "http", "method": "GET", "path": "/endless", "headers": [], "query_string": b""}
    await asyncio.wait_for(app(scope, receive, send), 5)
    assert stream_events == ["endless closed"]
    assert sent[0]["status"] == 200


async def test_asgi_response_runs_its_background_task_after_sending():
    done: list[str] = []

    async def task():
        done.append("ran")

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    await PlainTextResponse("x", background=task)({"type": "http", "method": "GET"}, None, send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert done == ["ran"]
    no_content: list[dict] = []

    async def send_204(message):
        no_content.append(message)

    await Response(status_code=204)({"type": "http", "method": "GET"}, None, send_204)
    assert (b"content-length", b"0") not in no_content[0]["headers"]


def test_json_response_renders_content_with_orjson():
    response = JSONResponse({"message": "Hello, World!", "at": datetime.date(2026, 1, 2)})
    assert response.body == b'{"message":"Hello, World!","at":"2026-01-02"}'
    assert response.headers == [(b"content-type", b"application/json")]


def test_a_subclass_with_its_own_render_is_rendered_by_it():
    class Indented(JSONResponse):
        def render(self, content):
            return orjson.dumps(content, option=orjson.OPT_INDENT_2)

    class Inherits(Indented):
        pass

    assert Indented({"a": 1}).body == b'{\n  "a": 1\n}'
    assert Inherits({"a": 1}).body == b'{\n  "a": 1\n}'


def test_content_that_is_not_bytes_or_text_is_a_type_error():
    with pytest.raises(TypeError, match="PlainTextResponse takes bytes or str content, not dict"):
        PlainTextResponse({"a": 1})
