"""bench/http/fixed_load.py: exactly N requests a connection, counted only while all are answered."""

from __future__ import annotations

import pytest

from bench.http.fixed_load import LoadError, run_counted
from bench.peers.bare_asgi import app as bare_asgi
from tests.servers import uvicorn_serving


async def _no_length(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"connection", b"close")]})
    await send({"type": "http.response.body", "body": b"bye"})


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("path", ["/plaintext", "/json"])
def test_chunked_responses_are_read_whole_and_every_request_counted(path: str) -> None:
    switched: list[bool] = []
    with uvicorn_serving(bare_asgi) as url:  # uvicorn sends this app's bodies chunked
        done = run_counted("127.0.0.1", _port(url), path, 3, 4, switched.append, ["Accept: */*"])
    assert done == 12
    assert switched == [True, False]


def test_a_server_closing_the_connection_is_refused_as_a_measurement() -> None:
    with uvicorn_serving(_no_length) as url, pytest.raises(LoadError, match="closed a keep-alive"):
        run_counted("127.0.0.1", _port(url), "/", 1, 1, lambda on: None)
