"""TrustedHostMiddleware: 400 for hosts not allowed, wildcard subdomains, the www redirect."""

import pytest

from covet import Covet
from covet.middleware import Middleware
from covet.middleware.trustedhost import TrustedHostMiddleware
from covet.testing import TestClient, WebSocketDenied
from covet.testing.live import live_server
from tests.server.wire import Wire, websocket_upgrade


def make_app(**options):
    app = Covet(middleware=[Middleware(TrustedHostMiddleware, **options)])

    @app.get("/where")
    async def where(request):
        return request.headers["host"]

    @app.websocket("/ws")
    async def ws(websocket):
        await websocket.accept()
        await websocket.send_text("welcome")

    return app


def test_an_allowed_host_is_served(serve):
    with serve(make_app(allowed_hosts=["example.com"])) as client:
        reply = client.get("/where", headers={"host": "example.com"})
    assert (reply.status_code, reply.text) == (200, "example.com")


def test_host_names_are_compared_without_case_or_port(serve):
    with serve(make_app(allowed_hosts=["Example.COM"])) as client:
        assert client.get("/where", headers={"host": "EXAMPLE.com:8443"}).status_code == 200


def test_another_host_gets_400(serve):
    with serve(make_app(allowed_hosts=["example.com"])) as client:
        reply = client.get("/where", headers={"host": "evil.example.net"})
    assert (reply.status_code, reply.text) == (400, "Invalid host header")


def test_a_wildcard_allows_subdomains_but_not_the_domain_itself(serve):
    with serve(make_app(allowed_hosts=["*.example.com"])) as client:
        assert client.get("/where", headers={"host": "api.example.com"}).status_code == 200
        assert client.get("/where", headers={"host": "a.b.example.com"}).status_code == 200
        assert client.get("/where", headers={"host": "example.com"}).status_code == 400
        assert client.get("/where", headers={"host": "badexample.com"}).status_code == 400


def test_a_star_allows_any_host(serve):
    with serve(make_app()) as client:
        assert client.get("/where", headers={"host": "anything.invalid"}).status_code == 200


def test_the_bare_domain_is_redirected_to_www_when_only_www_is_allowed(serve):
    with serve(make_app(allowed_hosts=["www.example.com"])) as client:
        reply = client.get("/where?x=1", headers={"host": "example.com"})
    assert reply.status_code == 307
    assert reply.headers["location"] == "http://www.example.com/where?x=1"


def test_the_www_redirect_can_be_turned_off(serve):
    with serve(make_app(allowed_hosts=["www.example.com"], www_redirect=False)) as client:
        assert client.get("/where", headers={"host": "example.com"}).status_code == 400


def test_ipv6_literals_are_understood(serve):
    with serve(make_app(allowed_hosts=["[::1]"])) as client:
        assert client.get("/where", headers={"host": "[::1]:8000"}).status_code == 200


def test_a_websocket_to_another_host_is_refused():
    app = make_app(allowed_hosts=["example.com"])
    with (
        pytest.raises(WebSocketDenied) as denied,
        TestClient(app, base_url="http://evil.example.net").websocket_connect("/ws"),
    ):
        pass
    assert denied.value.status_code == 400
    with TestClient(app, base_url="http://example.com").websocket_connect("/ws") as ws:
        assert ws.receive_text() == "welcome"


def test_a_websocket_to_another_host_is_refused_on_covets_server():
    with live_server(make_app(allowed_hosts=["example.com"])) as server:
        with Wire(server.connect()) as wire:
            wire.send(websocket_upgrade("/ws", "evil.example.net"))
            assert wire.reply().status == 400
        with Wire(server.connect()) as wire:
            wire.send(websocket_upgrade("/ws", "example.com"))
            assert wire.reply().status == 101


@pytest.mark.parametrize("pattern", ["exa*mple.com", "*example.com", "example.*"])
def test_a_misplaced_wildcard_is_refused(pattern):
    with pytest.raises(ValueError, match="'\\*' stands alone or leads"):
        TrustedHostMiddleware(make_app().call_endpoint, allowed_hosts=[pattern])


def test_hosts_are_listed_without_ports_and_not_as_one_string():
    with pytest.raises(ValueError, match="without a port"):
        TrustedHostMiddleware(make_app().call_endpoint, allowed_hosts=["example.com:443"])
    with pytest.raises(TypeError, match="a list of host names"):
        TrustedHostMiddleware(make_app().call_endpoint, allowed_hosts="example.com")
