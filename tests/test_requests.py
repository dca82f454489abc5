"""covet.Request: URL, headers, query, cookies, client, state and app, on CovetPy's server and under ASGI."""

import httpx
import pytest

from covet import Covet, Request
from covet.datastructures import URL, Address, Headers, QueryParams, State
from covet.testing.live import live_server
from tests.servers import exchange

app = Covet()


@app.get("/inspect/{name}", name="inspect")
async def inspect(request: Request) -> dict:
    return {
        "method": request.method,
        "path": request.path,
        "url": str(request.url),
        "url_path": request.url.path,
        "base_url": str(request.base_url),
        "query": request.query_params.multi_items(),
        "q": request.query_params.get("q"),
        "all_q": request.query_params.getlist("q"),
        "tags": request.headers.getlist("x-tag"),
        "agent": request.headers.get("User-Agent"),
        "cookies": request.cookies,
        "client_is_address": isinstance(request.client, Address),
        "path_params": request.path_params,
        "url_for": str(request.url_for("inspect", name="other")),
        "same_app": request.app is app,
    }


@app.get("/cached")
async def cached(request: Request) -> dict:
    return {
        "headers": request.headers is request.headers and isinstance(request.headers, Headers),
        "query": request.query_params is request.query_params
        and isinstance(request.query_params, QueryParams),
        "url": request.url is request.url and isinstance(request.url, URL),
        "cookies": request.cookies is request.cookies,
        "state": request.state is request.state and isinstance(request.state, State),
    }


@app.get("/state")
async def state(request: Request) -> dict:
    request.state.user = "ann"
    return {"user": request.state.user, "has_other": "other" in request.state}


@app.get("/host")
async def host(request: Request) -> dict:
    return {"url": str(request.url), "base_url": str(request.base_url)}


@app.post("/echo")
async def echo(request: Request) -> bytes:
    first = await request.body()
    assert await request.body() is first  # kept, not read twice
    return first


@app.post("/json")
async def json_body(request: Request) -> dict:
    value = await request.json()
    return {"value": value, "kept": (await request.json()) is value}


@app.post("/stream")
async def stream(request: Request) -> dict:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    try:
        await request.body()
    except RuntimeError as exc:
        return {"size": size, "body_after_stream": str(exc)}
    return {"size": size, "body_after_stream": "allowed"}


@app.post("/body-then-stream")
async def body_then_stream(request: Request) -> dict:
    body = await request.body()
    return {"same": b"".join([chunk async for chunk in request.stream()]) == body}


small = Covet(max_body_size=100)


@small.post("/body")
async def small_body(request: Request) -> str:
    return str(len(await request.body()))


@small.post("/stream")
async def small_stream(request: Request) -> str:
    return str(sum([len(chunk) async for chunk in request.stream()]))




async def test_request_exposes_method_path_url_query_headers_and_cookies(client):
    response = await client.get(
        "/inspect/caf%C3%A9?q=1&q=2&x=a%20b",
        headers=[("X-Tag", "one"), ("X-Tag", "two"), ("User-Agent", "spec"), ("Cookie", "sid=abc; theme=x")],
    )
    data = response.json()
    base = str(client.base_url).rstrip("/")
    assert data["method"] == "GET"
    assert data["path"] == "/inspect/café"
    assert data["url"] == f"{base}/inspect/caf%C3%A9?q=1&q=2&x=a%20b"
    assert data["url_path"] == "/inspect/caf%C3%A9"
    assert data["base_url"] == f"{base}/"
    assert data["query"] == [["q", "1"], ["q", "2"], ["x", "a b"]]
    assert data["q"] == "2" and data["all_q"] == ["1", "2"]
    assert data["tags"] == ["one", "two"] and data["agent"] == "spec"
    assert data["cookies"] == {"sid": "abc", "theme": "x"}
    assert data["client_is_address"]
    assert data["path_params"] == {"name": "café"}
    assert data["url_for"] == f"{base}/inspect/other"
    assert data["same_app"]


async def test_accessors_are_computed_once_per_request(client):
    expected = dict.fromkeys(["headers", "query", "url", "cookies", "state"], True)
    assert (await client.get("/cached")).json() == expected


async def test_state_is_per_request_attribute_storage(client):
    assert (await client.get("/state")).json() == {"user": "ann", "has_other": False}
    assert (await client.get("/state")).json() == {"user": "ann", "has_other": False}


async def test_no_cookie_header_means_no_cookies(client):
    assert (await client.get("/inspect/x")).json()["cookies"] == {}


def test_client_address_is_the_peer(server):
    with httpx.Client(base_url=server.url) as http:
        data = http.get("/inspect/x").json()
    assert data["client_is_address"]


def test_a_hostile_host_header_does_not_bend_the_url(server):
    with server.connect() as conn:
        reply = exchange(conn, b"GET /host HTTP/1.1\r\nHost: evil.com/x?y=\r\nConnection: close\r\n\r\n")
    body = reply.split(b"\r\n\r\n", 1)[1]
    assert f'"url":"http://127.0.0.1:{server.port}/host"'.encode() in body


def test_without_a_host_header_the_url_names_the_server(server):
    with server.connect() as conn:
        reply = exchange(conn, b"GET /host?a=1 HTTP/1.0\r\n\r\n")
    body = reply.split(b"\r\n\r\n", 1)[1]
    assert f'"url":"http://127.0.0.1:{server.port}/host?a=1"'.encode() in body


def test_host_with_a_port_and_ipv6_literal_are_kept(server):
    for host in (b"example.com:8080", b"[::1]:9000"):
        with server.connect() as conn:
            reply = exchange(conn, b"GET /host HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n")
        assert b'"url":"http://' + host + b'/host"' in reply


def test_root_path_is_part_of_url_and_base_url():
    with live_server(app, root_path="/api") as srv, httpx.Client(base_url=srv.url) as http:
        data = http.get("/host").json()
    assert data == {"url": f"{srv.url}/api/host", "base_url": f"{srv.url}/api/"}


async def test_root_path_under_asgi():
    transport = httpx.ASGITransport(app=app, root_path="/api")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        data = (await http.get("/api/host")).json()
    assert data == {"url": "http://testserver/api/host", "base_url": "http://testserver/api/"}


# -- the body ----------------------------------------------------------------------------------


async def test_body_is_read_once_and_kept(client):
    response = await client.post("/echo", content=b"payload")
    assert response.content == b"payload"


async def test_a_chunked_body_is_read_whole(client):
    async def parts():
        for piece in (b"one ", b"two ", b"three"):
            yield piece

    response = await client.post("/echo", content=parts())
    assert response.content == b"one two three"


async def test_json_is_parsed_once(client):
    response = await client.post("/json", json={"a": [1, 2]})
    assert response.json() == {"value": {"a": [1, 2]}, "kept": True}


@pytest.mark.parametrize(
    "body, message",
    [(b"{not json", "request body is not valid JSON"), (b"", "the request body is empty")],
)
async def test_bad_json_is_a_400_that_says_why(client, body, message):
    response = await client.post("/json", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert message in response.text


async def test_a_streamed_body_is_not_kept_and_says_so(client):
    response = await client.post("/stream", content=b"x" * 300_000)
    assert response.json() == {
        "size": 300_000,
        "body_after_stream": "the request body was already read with stream(); call body() first "
        "to read it more than once",
    }


async def test_stream_after_body_replays_the_kept_body(client):
    assert (await client.post("/body-then-stream", content=b"abc")).json() == {"same": True}


@pytest.mark.parametrize("path", ["/body", "/stream"])
async def test_a_body_over_max_body_size_is_a_413(serve, path):
    async with serve(small) as small_client:
        assert (await small_client.post(path, content=b"x" * 100)).text == "100"
        response = await small_client.post(path, content=b"x" * 101)
    assert response.status_code == 413
    assert "max_body_size is 100" in response.text


def test_a_chunked_body_over_max_body_size_is_stopped_while_streaming():
    # No last chunk is sent: the 413 must come from counting what arrived, not from the length.
    chunks = b"1e\r\n" + b"y" * 30 + b"\r\n"
    request = b"POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks * 4
    with live_server(small) as srv, srv.connect() as conn:
        reply = exchange(conn, request)
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"max_body_size is 100" in reply


async def test_under_asgi_a_chunked_body_over_max_body_size_is_a_413():
    async def parts():
        for _ in range(10):
            yield b"y" * 30

    transport = httpx.ASGITransport(app=small)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/body", content=parts())
    assert response.status_code == 413


def test_max_body_size_must_be_positive():
    with pytest.raises(ValueError, match="max_body_size"):
        Covet(max_body_size=0)
