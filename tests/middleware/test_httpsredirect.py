"""HTTPSRedirectMiddleware: 308 from http to https keeping method, path and query; ws to wss."""

import pytest

from covet import Covet
from covet.middleware import Middleware
from covet.middleware.httpsredirect import HTTPSRedirectMiddleware
from covet.testing import TestClient, WebSocketDenied
from covet.testing.live import live_server
from tests.server.wire import Wire, websocket_upgrade


def make_app():
    app = Covet(middleware=[Middleware(HTTPSRedirectMiddleware)])

    @app.route("/orders", methods=["GET", "POST"])
    async def orders(request):
        return {"scheme": request.scheme, "method": request.method}

    @app.websocket("/ws")
    async def ws(websocket):
        await websocket.accept()
        await websocket.send_text("secure")

    return app


def test_plain_http_is_redirected_with_308_to_the_same_url(serve):
    with serve(make_app()) as client:
        reply = client.post("/orders?page=2&sort=desc", headers={"host": "shop.example.com"})
    assert reply.status_code == 308  # the POST is repeated as a POST
    assert reply.headers["location"] == "https://shop.example.com/orders?page=2&sort=desc"


@pytest.mark.parametrize(
    ("host", "location"),
    [
        ("shop.example.com:80", "https://shop.example.com/orders"),
        ("shop.example.com:8080", "https://shop.example.com:8080/orders"),
        ("[::1]:80", "https://[::1]/orders"),
    ],
)
def test_the_default_port_goes_away_and_others_stay(serve, host, location):
    with serve(make_app()) as client:
        assert client.get("/orders", headers={"host": host}).headers["location"] == location


def test_the_path_is_kept_exactly_as_sent(serve):
    with serve(make_app()) as client:
        reply = client.get("/orders/caf%C3%A9%2Fx", headers={"host": "example.com"})
    assert reply.headers["location"] == "https://example.com/orders/caf%C3%A9%2Fx"


def test_https_requests_are_served(serve):
    with serve(make_app(), https=True) as client:
        assert client.post("/orders").json() == {"scheme": "https", "method": "POST"}


def test_a_websocket_over_ws_is_redirected_to_wss():
    with (
        pytest.raises(WebSocketDenied) as denied,
        TestClient(make_app(), base_url="http://example.com").websocket_connect("/ws?room=1"),
    ):
        pass
    assert denied.value.status_code == 308
    assert denied.value.response.headers["location"] == "wss://example.com/ws?room=1"
    with TestClient(make_app(), base_url="https://example.com").websocket_connect("/ws") as ws:
        assert ws.receive_text() == "secure"


def test_a_websocket_over_ws_is_redirected_on_covets_server():
    with live_server(make_app()) as server, Wire(server.connect()) as wire:
        wire.send(websocket_upgrade("/ws?room=1", "example.com:8000"))
        reply = wire.reply()
    assert reply.status == 308
    assert reply.header("location") == "wss://example.com:8000/ws?room=1"


def test_a_malformed_host_does_not_shape_the_location(serve):
    with serve(make_app()) as client:
        reply = client.get("/orders", headers={"host": "evil.example/path?x"})
    assert reply.status_code == 308
    assert not reply.headers["location"].startswith("https://evil.example/")


def test_a_request_without_host_cannot_be_redirected():
    reply = TestClient(make_app(), follow_redirects=False).get("/orders", headers={"host": ""})
    assert (reply.status_code, reply.text) == (400, "A Host header is needed to redirect to HTTPS")
