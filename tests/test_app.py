"""covet.Covet: routing with converters, 404/405/OPTIONS, trailing-slash redirects, url_for."""

import uuid

import httpx
import pytest

from covet import Covet, HTTPException
from covet.routing import Router
from covet.testing.live import live_server

app = Covet()


@app.get("/users/{id:int}", name="user")
async def user(request):
    return {"id": request.path_params["id"], "type": type(request.path_params["id"]).__name__}


@app.get("/items/{key:uuid}")
async def item(request):
    return {"key": str(request.path_params["key"])}


@app.route("/things/", methods=["GET", "POST"])
async def things(request):
    return request.method


@app.get("/teapot")
async def teapot(request):
    raise HTTPException(418, "short and stout")


@app.get("/whoami")
async def whoami(request):
    return {"same_app": request.app is app}


api = Router()


@api.get("/status", name="status")
async def status(request):
    return "ok"


app.include_router(api, prefix="/api", name="api")


@pytest.fixture(scope="module")
def client():
    with live_server(app) as srv, httpx.Client(base_url=srv.url) as http:
        yield http


def test_path_parameters_arrive_converted(client):
    assert client.get("/users/42").json() == {"id": 42, "type": "int"}
    key = uuid.uuid4()
    assert client.get(f"/items/{key}").json() == {"key": str(key)}


def test_request_app_is_the_application_serving_it(client):
    assert client.get("/whoami").json() == {"same_app": True}


async def test_request_app_under_asgi():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/whoami")).json() == {"same_app": True}


def test_a_value_its_converter_refuses_is_not_found(client):
    assert client.get("/users/abc").status_code == 404
    assert client.get("/items/not-a-uuid").status_code == 404


def test_wrong_method_is_405_with_the_allowed_methods(client):
    reply = client.delete("/users/1")
    assert reply.status_code == 405
    assert reply.headers["allow"] == "GET, HEAD, OPTIONS"


def test_options_is_answered_with_the_allowed_methods(client):
    reply = client.options("/things/")
    assert reply.status_code == 204
    assert reply.headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_head_is_answered_by_the_get_route_without_a_body(client):
    reply = client.head("/users/7")
    assert reply.status_code == 200
    assert reply.content == b""
    assert int(reply.headers["content-length"]) == len(b'{"id":7,"type":"int"}')


def test_trailing_slash_mismatch_redirects_keeping_method_and_query(client):
    reply = client.post("/things?x=1", follow_redirects=False)
    assert reply.status_code == 308
    assert reply.headers["location"] == "/things/?x=1"


def test_http_exception_becomes_its_status(client):
    reply = client.get("/teapot")
    assert reply.status_code == 418
    assert reply.text == "short and stout"


def test_included_router_answers_under_its_prefix(client):
    assert client.get("/api/status").text == "ok"
    assert client.get("/status").status_code == 404


def test_url_for_builds_paths_from_route_names():
    assert app.url_for("user", id=5) == "/users/5"
    assert app.url_for("api:status") == "/api/status"


def test_sync_handlers_are_refused_at_registration():
    with pytest.raises(TypeError, match="must be an 'async def' function"):

        @app.get("/sync")
        def sync(request):
            return "no"
