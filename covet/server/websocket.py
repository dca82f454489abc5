"""WebSocket connections (RFC 6455) for ASGI ``websocket`` scopes.

wsproto checks the handshake and does the framing; this module answers the handshake (101, or a
denial response), moves messages between the socket and the app with flow control in both
directions, sends keepalive pings, and runs the closing handshake, graceful shutdown included.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Optional

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from covet._speedups.http11 import encode_response_head
from covet.server.asgi import ASGI_VERSION

if TYPE_CHECKING:
    from covet._speedups.connection import ConnectionInfo, HttpConnection, ServerState
    from covet._speedups.http11 import RequestHead
    from covet.server.config import ServerConfig

error_log = logging.getLogger("covet.error")
access_log = logging.getLogger("covet.access")

Message = dict[str, Any]

# Received messages the app may lag behind by before the socket stops being read, and the
# backlog at which reading starts again.
_INBOX_HIGH = 16
_INBOX_LOW = 4
# Reasons to stop reading, kept as bits so each is lifted on its own.
_INBOX_FULL = 1
_AWAITING_ACCEPT = 2
# How long the peer has to answer our close frame before the connection is dropped.
_CLOSE_TIMEOUT = 5.0

_OPEN = ConnectionState.OPEN
_TEXT_PLAIN = (b"content-type", b"text/plain; charset=utf-8")


class WebSocketClosed(OSError):
    """``send`` after the connection ended: the ASGI 2.4 "server-specific OSError"."""


def upgrade_to_websocket(protocol: HttpConnection, head: RequestHead, trailing: bytes) -> bool:
    """Take the connection over from ``protocol`` if ``head`` asks for a WebSocket.

    False leaves the request to HTTP: another Upgrade token, another method, or HTTP/1.0
    (whose Upgrade header a server must ignore, RFC 9110 section 7.8).
    """
    if head.upgrade != b"websocket" or head.method != "GET" or head.http_version != "1.1":
        return False
    # The HTTP side hands over an idle transport: it closes after any request pipelined ahead
    # of an upgrade, so no response is buffered and reading is not paused.
    transport: Any = protocol.transport
    conn: Any = protocol.conn
    ws = WebSocketProtocol(protocol.app, protocol.config, protocol.state, conn)
    transport.set_protocol(ws)
    ws.connection_made(transport)
    ws.start(head)
    if trailing:
        ws.data_received(trailing)
    return True


class WebSocketProtocol(asyncio.Protocol):
    """One WebSocket connection, from the opening handshake to the closing one."""

    def __init__(
        self, app: Any, config: ServerConfig, server_state: ServerState, conn: ConnectionInfo
    ) -> None:
        self.app = app
        self.config = config
        self.server_state = server_state
        self.conn = conn
        self.loop = asyncio.get_running_loop()
        self.transport: Any = None
        self.ws = WSConnection(ConnectionType.SERVER)
        self.scope: Message = {}
        self.target = ""
        # Handshake: answered once a 101 or a denial response has begun.
        self.answered = False
        self.accepted = False
        self.app_closed = False
        self.denial_head: Optional[tuple[int, list[tuple[bytes, bytes]]]] = None
        self.denial_chunked = False
        self.denying = False
        self.early: list[bytes] = []
        # Receiving.
        self.inbox: deque[Message] = deque()
        self.receivers: list[asyncio.Future[None]] = []
        self.disconnect: Optional[Message] = None
        self.fragments: list[Any] = []
        self.message_size = 0
        self.blocked = 0
        # Sending.
        self.write_paused = False
        self.drain_waiters: list[asyncio.Future[None]] = []
        self.lost = False
        # Timers: the next keepalive ping, the pong it waits for, the client's answer to our close.
        self.ping_timer: Optional[asyncio.TimerHandle] = None
        self.pong_timer: Optional[asyncio.TimerHandle] = None
        self.close_timer: Optional[asyncio.TimerHandle] = None
        self.ping_payload: Optional[bytes] = None
        self.pings_sent = 0

    # -- asyncio callbacks ------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.server_state.connections.add(self)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.lost = True
        self.server_state.connections.discard(self)
        self._stop_keepalive()
        if self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = None
        self._disconnected(1006, "")
        self.write_paused = False
        _wake(self.drain_waiters)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        _wake(self.drain_waiters)

    def data_received(self, data: bytes) -> None:
        if not self.accepted:
            if not self.answered:
                # Frames sent before the 101: kept until the app decides, reading paused.
                self.early.append(data)
                self._block(_AWAITING_ACCEPT)
            return
        try:
            self.ws.receive_data(data)
        except LocalProtocolError:
            # Bytes after the closing handshake: nothing left to read.
            self.transport.close()
            return
        for event in self.ws.events():
            if isinstance(event, (TextMessage, BytesMessage)):
                self._on_message(event)
            elif isinstance(event, Ping):
                if self.ws.state is _OPEN:
                    self._write(self.ws.send(event.response()))
            elif isinstance(event, Pong):
                if event.payload == self.ping_payload:
                    self._pong_received()
            elif isinstance(event, CloseConnection):
                self._on_close(event)

    # -- the opening handshake --------------------------------------------------------------

    def start(self, head: RequestHead) -> None:
        """Check the handshake and start the app on it, or refuse it with 400/426/503."""
        self.target = head.target.decode("latin-1")
        lines = [b"GET ", head.target, b" HTTP/1.1\r\n"]
        for name, value in head.headers:
            lines += (name, b": ", value, b"\r\n")
        lines.append(b"\r\n")
        try:
            self.ws.receive_data(b"".join(lines))
            requests = [event for event in self.ws.events() if isinstance(event, Request)]
        except RemoteProtocolError as exc:
            hint = exc.event_hint
            if isinstance(hint, RejectConnection):
                headers = [(bytes(name).lower(), bytes(value)) for name, value in hint.headers]
                self._respond(hint.status_code, f"WebSocket handshake refused: {exc}", headers)
            else:
                self._respond(400, f"WebSocket handshake refused: {exc}")
            return
        if not requests:
            self._respond(400, "WebSocket handshake refused: incomplete request")
            return
        if self.server_state.shutting_down:
            self._respond(503, "The server is shutting down; connect again to another instance")
            return
        conn = self.conn
        self.scope = {
            "type": "websocket",
            "asgi": ASGI_VERSION,
            "http_version": head.http_version,
            "scheme": "wss" if conn.scheme == "https" else "ws",
            "server": conn.server,
            "client": conn.client,
            "root_path": conn.root_path,
            "path": conn.root_path + head.path,
            "raw_path": head.raw_path,
            "query_string": head.query_string,
            "headers": head.headers,
            "subprotocols": requests[0].subprotocols,
            "state": self.server_state.lifespan_state.copy(),
            "extensions": {"websocket.http.response": {}},
        }
        self.inbox.append({"type": "websocket.connect"})
        self.server_state.track(self.loop.create_task(self._run_app()))

    def _accept(self, message: Message) -> None:
        subprotocol = message.get("subprotocol")
        offered = self.scope["subprotocols"]
        if subprotocol is not None and subprotocol not in offered:
            raise RuntimeError(
                f"websocket.accept chose subprotocol {subprotocol!r}, which the client did not offer "
                f"(it offered {offered!r}); pick one of those or None"
            )
        headers = []
        for line in self.server_state.common_headers.split(b"\r\n"):
            if line:
                name, _, value = line.partition(b": ")
                headers.append((name, value))
        headers += [(bytes(name), bytes(value)) for name, value in message.get("headers", ())]
        # No extensions offered back: wsproto's permessage-deflate inflates without a size
        # bound, so a small compressed frame could outgrow ws_max_message_size in memory.
        self._write(self.ws.send(AcceptConnection(subprotocol=subprotocol, extra_headers=headers)))
        self.answered = self.accepted = True
        self._log_access(101)
        self._schedule_ping()
        early, self.early = self.early, []
        self._unblock(_AWAITING_ACCEPT)
        if early:
            self.data_received(b"".join(early))

    def _start_denial(self, message: Message) -> None:
        status = int(message["status"])
        if not 200 <= status < 600:
            raise RuntimeError(f"websocket.http.response.start status must be 200-599, got {status}")
        headers = [(bytes(name).lower(), bytes(value)) for name, value in message.get("headers", ())]
        self.denial_head = (status, headers)
        self.answered = self.denying = True

    def _send_denial_body(self, message: Message) -> None:
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        data = b""
        if self.denial_head is not None:
            status, headers = self.denial_head
            lengths = [int(value) for name, value in headers if name == b"content-length"]
            length = lengths[0] if lengths else (-1 if more else len(body))
            common = self.server_state.common_headers
            data = encode_response_head(status, headers, length, False, False, common)
            self.denial_head = None  # only now: a head that would not encode gets the app a 500
            self.denial_chunked = length == -1
            self._log_access(status)
        if body:
            data += b"%x\r\n%b\r\n" % (len(body), body) if self.denial_chunked else body
        if not more:
            if self.denial_chunked:
                data += b"0\r\n\r\n"
            self.denying = False
        self._write(data)
        if not more:
            self._disconnected(1006, "")
            self.transport.close()

    def _respond(self, status: int, text: str, headers: Optional[list[tuple[bytes, bytes]]] = None) -> None:
        """Answer the handshake with a plain-text HTTP response, then close."""
        self.answered = True
        self.early.clear()
        body = text.encode("utf-8")
        head = encode_response_head(
            status, [_TEXT_PLAIN, *(headers or ())], len(body), False, False, self.server_state.common_headers
        )
        self._write(head + body)
        self._log_access(status)
        self._disconnected(1006, "")
        self.transport.close()

    # -- the app ----------------------------------------------------------------------------

    async def _run_app(self) -> None:
        try:
            await self.app(self.scope, self.receive, self.send)
        except BaseException as exc:
            if isinstance(exc, Exception) and not isinstance(exc, WebSocketClosed):
                error_log.error("Exception in ASGI application (WebSocket %s)", self.target, exc_info=exc)
            self._app_finished(failed=True)
            if not isinstance(exc, Exception):
                raise
        else:
            self._app_finished(failed=False)

    def _app_finished(self, failed: bool) -> None:
        if self.lost:
            return
        if not self.answered or self.denial_head is not None:
            if not failed:
                error_log.error(
                    "ASGI application returned without accepting or refusing WebSocket %s; "
                    "send 'websocket.accept' or 'websocket.close'",
                    self.target,
                )
            self._respond(500, "Internal Server Error")
        elif self.denying:
            self.transport.close()  # the denial response is cut short: only closing ends it
        elif self.ws.state is _OPEN:
            self._close(1011 if failed else 1000, "internal error" if failed else "")

    async def receive(self) -> Message:
        """The next message from the client; ``websocket.disconnect`` once it is gone, again and again."""
        inbox = self.inbox
        while not inbox:
            if self.disconnect is not None:
                return self.disconnect
            waiter = self.loop.create_future()
            self.receivers.append(waiter)
            await waiter
        message = inbox.popleft()
        if self.blocked & _INBOX_FULL and len(inbox) <= _INBOX_LOW:
            self._unblock(_INBOX_FULL)
        return message

    async def send(self, message: Message) -> None:
        """Carry out one ASGI message from the app; WebSocketClosed once the connection ended."""
        kind = message["type"]
        if self.app_closed:
            raise RuntimeError(f"ASGI app sent {kind!r} after 'websocket.close'")
        if kind == "websocket.close" and self.disconnect is not None:
            self.app_closed = True  # the connection is already closed: nothing left to do
            return
        if self.disconnect is not None:
            raise WebSocketClosed(
                f"WebSocket {self.target} closed with code {self.disconnect['code']}; stop sending"
            )
        if self.denying:
            if kind != "websocket.http.response.body":
                raise RuntimeError(f"ASGI app sent {kind!r}; expected 'websocket.http.response.body'")
            self._send_denial_body(message)
        elif not self.answered:
            if kind == "websocket.accept":
                self._accept(message)
            elif kind == "websocket.close":
                self.app_closed = True
                self._respond(403, "Forbidden")
            elif kind == "websocket.http.response.start":
                self._start_denial(message)
            else:
                raise RuntimeError(
                    f"ASGI app sent {kind!r} before answering the handshake; expected 'websocket.accept', "
                    "'websocket.close' or 'websocket.http.response.start'"
                )
        elif kind == "websocket.send":
            data = message.get("bytes")
            if data is not None:
                event: Any = BytesMessage(data=bytes(data))
            elif message.get("text") is not None:
                event = TextMessage(data=message["text"])
            else:
                raise RuntimeError("websocket.send needs 'bytes' or 'text' that is not None")
            self._write(self.ws.send(event))
        elif kind == "websocket.close":
            self.app_closed = True
            self._close(int(message.get("code") or 1000), message.get("reason") or "")
        else:
            raise RuntimeError(f"ASGI app sent {kind!r}; expected 'websocket.send' or 'websocket.close'")
        if self.write_paused and not self.lost:
            waiter = self.loop.create_future()
            self.drain_waiters.append(waiter)
            await waiter

    # -- messages and the closing handshake -------------------------------------------------

    def _on_message(self, event: TextMessage | BytesMessage) -> None:
        if self.ws.state is not _OPEN:
            return  # we are closing: what still arrives is dropped
        data = event.data
        if isinstance(data, str) and not data.isascii():
            self.message_size += len(data.encode("utf-8"))  # the limit counts bytes, not characters
        else:
            self.message_size += len(data)
        limit = self.config.ws_max_message_size
        if self.message_size > limit:
            self.fragments.clear()
            self._close(1009, f"message larger than {limit} bytes")
            return
        if not event.message_finished:
            self.fragments.append(data)
            return
        if self.fragments:
            self.fragments.append(data)
            data = "".join(self.fragments) if isinstance(data, str) else b"".join(self.fragments)
            self.fragments.clear()
        self.message_size = 0
        if isinstance(data, str):
            self.inbox.append({"type": "websocket.receive", "text": data})
        else:
            self.inbox.append({"type": "websocket.receive", "bytes": bytes(data)})
        if len(self.inbox) >= _INBOX_HIGH:
            self._block(_INBOX_FULL)
        _wake(self.receivers)

    def _on_close(self, event: CloseConnection) -> None:
        state = self.ws.state
        if state is ConnectionState.REMOTE_CLOSING:
            # The client starts the closing handshake: answer, then the server ends TCP first.
            self._write(self.ws.send(event.response()))
            self._disconnected(int(event.code), event.reason or "")
        elif state is _OPEN:
            # wsproto could not parse the client's frames: fail the connection with its code.
            self._write(self.ws.send(CloseConnection(code=event.code, reason=event.reason)))
            self._disconnected(int(event.code), event.reason or "")
        self.transport.close()

    def _close(self, code: int, reason: str, linger: bool = True) -> None:
        """Send a close frame; with ``linger``, wait a while for the client's answer before TCP closes."""
        if self.ws.state is _OPEN:
            self._write(self.ws.send(CloseConnection(code=code, reason=reason)))
        self._disconnected(code, reason)
        self._stop_keepalive()
        if not linger:
            self.transport.close()
        elif self.close_timer is None and not self.transport.is_closing():
            self._unblock(_INBOX_FULL)  # the client's close frame must get through
            self.close_timer = self.loop.call_later(_CLOSE_TIMEOUT, self.transport.abort)

    def _disconnected(self, code: int, reason: str) -> None:
        if self.disconnect is None:
            self.disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
            _wake(self.receivers)

    def shutdown(self) -> None:
        """Graceful shutdown: close with 1012 (service restart), or refuse a pending handshake."""
        if self.lost:
            return
        if not self.answered:
            self._respond(503, "The server is shutting down; connect again to another instance")
        elif self.ws.state is _OPEN:
            self._close(1012, "server shutting down")

    # -- keepalive --------------------------------------------------------------------------

    def _schedule_ping(self) -> None:
        interval = self.config.ws_ping_interval
        if interval:
            self.ping_timer = self.loop.call_later(interval, self._send_ping)

    def _send_ping(self) -> None:
        self.ping_timer = None
        if self.ws.state is not _OPEN:
            return
        if self.ping_payload is None:  # else the last ping is still unanswered and pong_timer runs
            self.pings_sent += 1
            payload = b"%d" % self.pings_sent
            self._write(self.ws.send(Ping(payload=payload)))
            timeout = self.config.ws_ping_timeout
            if timeout is not None:
                self.ping_payload = payload
                self.pong_timer = self.loop.call_later(timeout, self._pong_missing)
        self._schedule_ping()

    def _pong_received(self) -> None:
        self.ping_payload = None
        if self.pong_timer is not None:
            self.pong_timer.cancel()
            self.pong_timer = None

    def _pong_missing(self) -> None:
        self.pong_timer = None
        self._close(1011, "keepalive ping timeout", linger=False)

    def _stop_keepalive(self) -> None:
        for timer in (self.ping_timer, self.pong_timer):
            if timer is not None:
                timer.cancel()
        self.ping_timer = self.pong_timer = None
        self.ping_payload = None

    # -- plumbing ---------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if data and not self.transport.is_closing():
            self.transport.write(data)

    def _block(self, reason: int) -> None:
        if not self.blocked and not self.transport.is_closing():
            self.transport.pause_reading()
        self.blocked |= reason

    def _unblock(self, reason: int) -> None:
        was = self.blocked
        self.blocked &= ~reason
        if was and not self.blocked and not self.transport.is_closing():
            self.transport.resume_reading()

    def _log_access(self, status: int) -> None:
        if self.config.access_log:
            client = self.conn.client
            access_log.info(
                'client=%s websocket path="%s" status=%d',
                f"{client[0]}:{client[1]}" if client else "-",
                self.target,
                status,
            )


def _wake(waiters: list[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)
    waiters.clear()
