"""``TestClient`` and ``AsyncTestClient``: httpx clients that call an ASGI app in process."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Optional

import anyio.from_thread
import httpx

from covet.asgi import ASGIApp
from covet.testing.lifespan import LifespanDriver
from covet.testing.transport import ASGITransport, BlockingTransport, scope_from_request
from covet.testing.websocket import AsyncWebSocketSession

PortalFactory = Callable[[], contextlib.AbstractContextManager[anyio.from_thread.BlockingPortal]]


class _InProcess:
    """What both clients hold: the app, its lifespan (state and driver), the ASGI transport."""

    app: ASGIApp
    lifespan_state: dict[str, Any]
    asgi_transport: ASGITransport
    lifespan: LifespanDriver

    def _attach(
        self,
        app: ASGIApp,
        raise_server_exceptions: bool,
        root_path: str,
        client: tuple[str, int],
        detect_n_plus_one: bool,
    ) -> ASGITransport:
        self.app = app
        self.lifespan_state = {}
        self.asgi_transport = ASGITransport(
            app, raise_server_exceptions=raise_server_exceptions, root_path=root_path, client=client,
            state=self.lifespan_state, detect_n_plus_one=detect_n_plus_one,
        )
        self.lifespan = LifespanDriver(app, self.lifespan_state)
        return self.asgi_transport

    def _session(
        self, url: str, subprotocols: Optional[Sequence[str]], headers: Optional[dict[str, str]]
    ) -> AsyncWebSocketSession:
        """A WebSocket session to ``url``, the handshake carrying the client's cookies and headers."""
        handshake = {
            "connection": "upgrade",
            "upgrade": "websocket",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
            "sec-websocket-version": "13",
            **(headers or {}),
        }
        http_client: Any = self
        request = http_client.build_request("GET", url, headers=handshake)
        ws_url = request.url.copy_with(scheme="wss" if request.url.scheme == "https" else "ws")
        request = httpx.Request("GET", ws_url, headers=request.headers)
        transport = self.asgi_transport
        scope = scope_from_request(
            request, "websocket", transport.root_path, transport.client, transport.state
        )
        offered = list(subprotocols or ())
        if offered:
            scope["headers"].append((b"sec-websocket-protocol", ", ".join(offered).encode("latin-1")))
        scope["subprotocols"] = offered
        scope["extensions"] = {"websocket.http.response": {}}
        return AsyncWebSocketSession(self.app, scope, transport.raise_server_exceptions)


def _client_headers(headers: Optional[dict[str, str]]) -> dict[str, str]:
    return {"user-agent": "testclient", **(headers or {})}


class AsyncTestClient(_InProcess, httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose requests go to ``app`` in process (no socket).

    ``async with AsyncTestClient(app) as client`` runs the app's lifespan around the block.
    Cookies are kept, redirects followed (``follow_redirects=False`` to see them), and an
    exception that escapes the app is raised in the test unless ``raise_server_exceptions=False``.
    Each request is one block of the ORM's N+1 detection: a SELECT shape the app runs twice
    while answering it logs a warning on ``covet.orm`` naming the line that repeated it;
    ``detect_n_plus_one=False`` turns that off.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        *,
        raise_server_exceptions: bool = True,
        root_path: str = "",
        client: tuple[str, int] = ("testclient", 50000),
        follow_redirects: bool = True,
        cookies: Optional[httpx._types.CookieTypes] = None,
        headers: Optional[dict[str, str]] = None,
        detect_n_plus_one: bool = True,
    ) -> None:
        transport = self._attach(app, raise_server_exceptions, root_path, client, detect_n_plus_one)
        super().__init__(
            transport=transport, base_url=base_url, follow_redirects=follow_redirects, cookies=cookies,
            headers=_client_headers(headers),
        )

    async def __aenter__(self) -> AsyncTestClient:
        await super().__aenter__()
        await self.lifespan.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await self.lifespan.stop()
        finally:
            await super().__aexit__(*exc_info)

    def websocket_connect(
        self, url: str, subprotocols: Optional[Sequence[str]] = None, headers: Optional[dict[str, str]] = None
    ) -> AsyncWebSocketSession:
        """``async with client.websocket_connect("/ws") as ws``: a WebSocket to the app."""
        return self._session(url, subprotocols, headers)


class WebSocketSession:
    """The synchronous face of ``AsyncWebSocketSession`` (``with client.websocket_connect(...)``)."""

    def __init__(self, session: AsyncWebSocketSession, portal: PortalFactory) -> None:
        self.session = session
        self.portal_factory = portal
        self.stack = contextlib.ExitStack()
        self.portal: Optional[anyio.from_thread.BlockingPortal] = None

    def __enter__(self) -> WebSocketSession:
        portal = self.portal = self.stack.enter_context(self.portal_factory())
        try:
            portal.call(self.session.__aenter__)
        except BaseException:
            self.stack.close()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self._call(self.session.__aexit__, *exc_info)
        finally:
            self.stack.close()

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        if self.portal is None:
            raise RuntimeError("use the session in a 'with client.websocket_connect(...) as ws' block")
        return self.portal.call(function, *args)

    @property
    def accepted_subprotocol(self) -> Optional[str]:
        return self.session.accepted_subprotocol

    @property
    def accept_headers(self) -> list[tuple[bytes, bytes]]:
        return self.session.accept_headers

    def send_text(self, data: str) -> None:
        self._call(self.session.send_text, data)

    def send_bytes(self, data: bytes) -> None:
        self._call(self.session.send_bytes, data)

    def send_json(self, data: Any, binary: bool = False) -> None:
        self._call(self.session.send_json, data, binary)

    def receive(self) -> Any:
        return self._call(self.session.receive)

    def receive_text(self) -> str:
        return str(self._call(self.session.receive_text))

    def receive_bytes(self) -> bytes:
        return bytes(self._call(self.session.receive_bytes))

    def receive_json(self) -> Any:
        return self._call(self.session.receive_json)

    def close(self, code: int = 1000, reason: str = "") -> None:
        self._call(self.session.close, code, reason)


class TestClient(_InProcess, httpx.Client):
    """An ``httpx.Client`` whose requests go to ``app`` in process, on an event loop in a thread.

    ``with TestClient(app) as client`` runs the app's lifespan around the block, with every
    request on the same loop (so what start-up opened, a database pool say, can be used).
    Outside a ``with`` block each request gets a loop of its own. Cookies are kept, redirects
    followed, and an exception that escapes the app is raised in the test unless
    ``raise_server_exceptions=False``. Each request is one block of the ORM's N+1 detection, as
    for ``AsyncTestClient``; ``detect_n_plus_one=False`` turns it off.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        *,
        raise_server_exceptions: bool = True,
        root_path: str = "",
        client: tuple[str, int] = ("testclient", 50000),
        follow_redirects: bool = True,
        cookies: Optional[httpx._types.CookieTypes] = None,
        headers: Optional[dict[str, str]] = None,
        detect_n_plus_one: bool = True,
    ) -> None:
        asgi_transport = self._attach(app, raise_server_exceptions, root_path, client, detect_n_plus_one)
        transport = BlockingTransport(asgi_transport, self._portal)
        self.portal: Optional[anyio.from_thread.BlockingPortal] = None
        self.exit_stack = contextlib.ExitStack()
        super().__init__(
            transport=transport, base_url=base_url, follow_redirects=follow_redirects, cookies=cookies,
            headers=_client_headers(headers),
        )

    @contextlib.contextmanager
    def _portal(self) -> Iterator[anyio.from_thread.BlockingPortal]:
        if self.portal is not None:
            yield self.portal
        else:
            with anyio.from_thread.start_blocking_portal() as portal:
                yield portal

    def __enter__(self) -> TestClient:
        super().__enter__()
        with contextlib.ExitStack() as stack:
            portal = self.portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
            stack.callback(setattr, self, "portal", None)
            portal.call(self.lifespan.start)
            stack.callback(portal.call, self.lifespan.stop)
            self.exit_stack = stack.pop_all()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self.exit_stack.close()
        finally:
            super().__exit__(*exc_info)

    def websocket_connect(
        self, url: str, subprotocols: Optional[Sequence[str]] = None, headers: Optional[dict[str, str]] = None
    ) -> WebSocketSession:
        """``with client.websocket_connect("/ws") as ws``: a WebSocket to the app."""
        return WebSocketSession(self._session(url, subprotocols, headers), self._portal)
