"""covet.testing.live_server: the app on CovetPy's real server, in a thread, for tests over sockets."""

from __future__ import annotations

import socket

import httpx
import pytest

from covet import Covet
from covet.testing import live_server


def test_a_live_server_serves_over_a_real_socket_and_stops_after_the_block() -> None:
    app = Covet()

    @app.get("/hello/{name}")
    async def hello(name: str) -> dict[str, str]:
        return {"hello": name}

    with live_server(app) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=server.url) as client:
            first = client.get("/hello/ada")
            second = client.get("/hello/bob")  # same connection: keep-alive
        assert first.json() == {"hello": "ada"} and second.json() == {"hello": "bob"}
        assert first.headers["server"] and first.headers["date"]
        url = server.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/hello/ada", timeout=2)


def test_a_port_in_use_raises_instead_of_hanging() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError), live_server(Covet(), port=taken.getsockname()[1]):
            pass
