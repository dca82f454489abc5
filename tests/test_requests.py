"""covet.Request: URL, headers, query, cookies, client, state and app, on CovetPy's server and under ASGI."""

import httpx
import pytest

from covet import Covet, Request
from covet.datastructures import URL, Address, Headers, QueryParams, State
from tests.servers import exchange, running_server

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


@pytest.fixture(scope="module")
def server():
    with running_server(app) as srv:
        yield srv


@pytest.fixture(params=["covet", "asgi"])
async def client(request, server):
    if request.param == "covet":
        async with httpx.AsyncClient(base_url=server.url) as http:
            yield http
    else:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


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
    with running_server(app, root_path="/api") as srv, httpx.Client(base_url=srv.url) as http:
        data = http.get("/host").json()
    assert data == {"url": f"{srv.url}/api/host", "base_url": f"{srv.url}/api/"}


async def test_root_path_under_asgi():
    transport = httpx.ASGITransport(app=app, root_path="/api")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        data = (await http.get("/api/host")).json()
    assert data == {"url": "http://testserver/api/host", "base_url": "http://testserver/api/"}
