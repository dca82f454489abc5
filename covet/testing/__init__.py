"""Testing CovetPy apps (or any ASGI app) in process, without a socket.

::

    from covet.testing import TestClient

    def test_home():
        with TestClient(app) as client:          # runs the lifespan around the block
            assert client.get("/").status_code == 200
            with client.websocket_connect("/ws") as ws:
                ws.send_text("hi")
                assert ws.receive_text() == "hi"

``AsyncTestClient`` is the same for ``async`` tests (``async with AsyncTestClient(app)``). Both
are httpx clients: cookies persist, redirects are followed (``follow_redirects=False`` to see
them), ``files=`` uploads multipart, ``client.stream(...)`` reads a response as it is sent.
Needs httpx: ``pip install 'covetpy[testing]'``.

``live_server(app)`` runs the app on CovetPy's real server in a thread, on a free port, for what
an in-process client cannot show (sockets, keep-alive, TLS, timeouts): ``with live_server(app) as
server: httpx.get(server.url + "/")``.

``assert_num_queries(n)`` / ``assert_max_queries(n)`` (from ``covet.orm``) fail a block that runs
another number of ORM queries: ``with assert_num_queries(1): await Book.objects.select_related(...)``.
The clients watch each request for N+1 queries: a SELECT shape run twice while answering one
request logs a warning on the ``covet.orm`` logger with the line that repeated it (look for it
with pytest's ``caplog``); ``TestClient(app, detect_n_plus_one=False)`` turns that off.
"""

try:
    import httpx  # noqa: F401
except ModuleNotFoundError:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "covet.testing needs httpx; install it with: pip install 'covetpy[testing]'"
    ) from None

from covet.orm.instrumentation import assert_max_queries, assert_num_queries
from covet.testing.client import AsyncTestClient, TestClient, WebSocketSession
from covet.testing.lifespan import LifespanError
from covet.testing.live import LiveServer, live_server
from covet.testing.transport import ASGITransport
from covet.testing.websocket import AsyncWebSocketSession, WebSocketDenied
from covet.websockets import WebSocketDisconnect

__all__ = [
    "ASGITransport",
    "AsyncTestClient",
    "AsyncWebSocketSession",
    "LifespanError",
    "LiveServer",
    "TestClient",
    "WebSocketDenied",
    "WebSocketDisconnect",
    "WebSocketSession",
    "assert_max_queries",
    "assert_num_queries",
    "live_server",
]
