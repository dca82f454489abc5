"""The HTTP/1.1 connection: parse, dispatch in order, write, flow control and deadlines.

Requests on one connection run one at a time, in arrival order (pipelining). A handler whose
coroutine finishes without suspending runs inline, with no Task; the responses produced while
handling one read go out in one ``transport.write``. Timeouts are deadlines checked by the
server's once-per-tick sweep (``ServerState.sweep``), not a timer per request.

One source for both modes: ``connection.pxd`` types it for Cython; interpreted, it is plain Python.
"""

import asyncio
import contextvars
import logging
import time
from email.utils import formatdate

import cython

from covet._speedups.http11 import RequestReader, encode_response_head
from covet._speedups.messages import BaseResponse, new_request
from covet._speedups.router import Dispatcher
from covet.exceptions import ClientDisconnect

error_log = logging.getLogger("covet.error")
access_log = logging.getLogger("covet.access")

# Reasons to stop reading, kept as bits so each is lifted on its own.
_WRITE_BLOCKED = 1
_PIPELINE_FULL = 2
_BODY_UNREAD = 4
_BODY_BUFFER_LIMIT = 256 * 1024
# A lingering close drops what the client still sends for this long, or this much, at most.
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 1024 * 1024

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_TEXT_PLAIN = (b"content-type", b"text/plain; charset=utf-8")
_copy_context = contextvars.copy_context
_enter_task = asyncio.tasks._enter_task
_leave_task = asyncio.tasks._leave_task
#: The loop -> current Task dict that asyncio.current_task() reads (a plain dict up to 3.13);
#: reading it directly spares a Python-level call per request.
_current_tasks = getattr(asyncio.tasks, "_current_tasks", None)


def _current_task(loop):
    if _current_tasks is not None:
        return _current_tasks.get(loop)
    return asyncio.current_task(loop)


def _enter(loop, task):
    """``asyncio.tasks._enter_task`` for a loop known to have no current task."""
    if _current_tasks is not None:
        _current_tasks[loop] = task
    else:
        _enter_task(loop, task)


def _leave(loop, task):
    """``asyncio.tasks._leave_task`` for the task ``_enter`` made current."""
    if _current_tasks is not None:
        del _current_tasks[loop]
    else:
        _leave_task(loop, task)


def _concat(head, body):
    """``head + body``; compiled, bytes are joined with one allocation and two copies."""
    if cython.compiled and type(body) is bytes:
        size = len(head)
        joined = PyBytes_FromStringAndSize(cython.NULL, size + len(body))
        out = PyBytes_AS_STRING(joined)
        memcpy(out, PyBytes_AS_STRING(head), size)
        memcpy(out + size, PyBytes_AS_STRING(body), len(body))
        return joined
    return head + body


class ServerState:
    """What the connections of one server process share: counters, tasks, the Server/Date lines.

    The Date line is rendered once a second rather than per response, as the fast servers do.
    """

    def __init__(self, server_header="covet"):
        self.connections = set()
        self.tasks = set()
        self.active_requests = 0
        self.total_requests = 0
        self.lifespan_state = {}
        self.shutting_down = False
        self.server_line = ("server: %s\r\n" % server_header).encode("latin-1") if server_header else b""
        self.common_headers = b""
        # The app's default headers (see HttpConnection.common_for), rendered once: appended to
        # the Server and Date lines, they cost a response nothing.
        self.default_http = b""
        self.default_https = b""
        self.common_http = b""
        self.common_https = b""
        self.now = 0.0
        self.clock = None
        self.second = 0
        self.refresh_date()

    def refresh_date(self):
        date = formatdate(time.time(), usegmt=True).encode("ascii")
        common = self.common_headers = self.server_line + b"date: " + date + b"\r\n"
        self.common_http = common + self.default_http
        self.common_https = common + self.default_https

    def set_default_headers(self, policy):
        """Send ``policy``'s headers (``http_headers``, ``https_headers``) with every response."""
        self.default_http = _header_block(policy.http_headers)
        self.default_https = _header_block(policy.https_headers)
        self.refresh_date()

    def start_clock(self, loop, tick):
        """Each ``tick`` seconds: refresh ``now`` and the Date line, and expire deadlines.

        Connections keep a deadline (``HttpConnection.deadline``) instead of a timer each, so a
        request costs two attribute writes rather than a timer armed and cancelled.
        """
        self.now = loop.time()
        second = int(time.time())
        if second != self.second:
            self.second = second
            self.refresh_date()
        for connection in list(self.connections):
            if isinstance(connection, HttpConnection):
                connection.check_deadline(self.now)
        self.clock = loop.call_later(tick, self.start_clock, loop, tick)

    def stop_clock(self):
        if self.clock is not None:
            self.clock.cancel()
            self.clock = None

    def track(self, task):
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


def _header_block(headers):
    lines = []
    for name, value in headers:
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name or b":" in name:
            raise ValueError("default header %r holds a forbidden character" % (name,))
        lines.append(name + b": " + value + b"\r\n")
    return b"".join(lines)


class ConnectionInfo:
    """Per-connection facts that every request on it shares (``app`` is the application served)."""

    def __init__(self, app, scheme, client, server, root_path):
        self.app = app
        self.scheme = scheme
        self.client = client
        self.server = server
        self.root_path = root_path


class _Resume:
    """Awaits a handler coroutine from the suspension its eager first step reached.

    The first ``send`` hands the Task the future the coroutine is waiting on (or throws in the
    cancellation that arrived meanwhile); after that every ``send`` and ``throw`` goes to the
    coroutine, as ``await`` would, inside the request's own context.
    """

    def __init__(self, coro, yielded, context, pending):
        self.coro = coro
        self.yielded = yielded
        self.context = context
        self.pending = pending
        self.first = True

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):
        return self.send(None)

    def send(self, value):
        if self.first:
            self.first = False
            if self.pending is None:
                return self.yielded
            return self.context.run(self.coro.throw, self.pending)
        return self.context.run(self.coro.send, value)

    def throw(self, exc, *args):
        self.first = False
        return self.context.run(self.coro.throw, exc, *args)

    def close(self):
        self.coro.close()


async def _run_handlers(conn):
    """The Task that a connection's native handlers belong to.

    Handlers run their first step eagerly inside ``data_received`` with this Task entered as the
    current task, so ``asyncio.current_task()``, ``asyncio.timeout`` and task groups see a real
    Task. A handler that suspends is handed here and finished inside the same Task, so a
    cancellation aimed at "the current task" reaches it. One Task per connection, not per request.
    """
    while True:
        pending = None
        if conn.handoff is None:
            conn.wakeup = conn.loop.create_future()
            try:
                await conn.wakeup
            except asyncio.CancelledError as exc:
                if conn.handoff is None:
                    conn.worker = None
                    raise
                pending = exc  # aimed at the handler just handed over (say, its timeout)
        cycle, request, coro, yielded, context = conn.handoff
        conn.handoff = None
        try:
            result = await _Resume(coro, yielded, context, pending)
        except asyncio.CancelledError:
            conn.worker = None
            conn.finish(cycle, False)
            raise
        except BaseException as exc:  # the app's answer to it, or a 500
            conn.worker_running = True
            conn.raised(cycle, request, exc)
        else:
            conn.worker_running = True
            conn.completed(cycle, request, result)
        conn.worker_running = False
        # Let the finished request go now, not when the next one arrives: its body, and the
        # uploaded files its form closes when it is dropped, are freed right after the response.
        cycle = request = coro = yielded = context = result = None
        if conn.closing and conn.handoff is None:
            conn.worker = None
            return


def _step(coro):
    """Run ``coro`` to its first suspension: (True, result) if it finished, else (False, yielded).

    The interpreted form of the eager first step; compiled, ``_start_native`` calls
    ``PyIter_Send`` itself, which hands back the result without raising StopIteration.
    """
    try:
        return False, coro.send(None)
    except StopIteration as stop:
        return True, stop.value


def _address(info):
    if isinstance(info, tuple) and len(info) >= 2:
        return (str(info[0]), int(info[1]))
    return None


def _init_cycle(cycle, conn, head):
    cycle.conn = conn
    cycle.head = head
    cycle.waiter = None
    cycle.keep_alive = head.keep_alive
    cycle.continue_sent = False
    cycle.disconnected = False
    cycle.response_started = False
    cycle.response_complete = False
    cycle.status = 0
    cycle.sent_bytes = 0
    cycle.started_at = 0.0


def _new_cycle(conn, head):
    """``RequestCycle(conn, head)``, compiled without the Python-level call (one per request)."""
    cycle = RequestCycle.__new__(RequestCycle)
    _init_cycle(cycle, conn, head)
    return cycle


class RequestCycle:
    """One request on a connection: the body source handed to the app, and the response state."""

    def __init__(self, conn, head):
        _init_cycle(self, conn, head)

    def wake(self):
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_for_data(self):
        head = self.head
        conn = self.conn
        if head.expect_continue and not self.continue_sent and not self.response_started:
            self.continue_sent = True
            conn.write(_CONTINUE)
        self.waiter = conn.loop.create_future()
        conn.body_wanted()
        conn.body_deadline = conn.state.now + conn.body_timeout
        try:
            await self.waiter
        finally:
            conn.body_deadline = 0.0

    async def receive_chunk(self):
        """The next piece of the body and whether more follows; ClientDisconnect if gone."""
        head = self.head
        while True:
            if self.disconnected:
                raise ClientDisconnect()
            if head.body:
                chunk = head.take_body()
                self.conn.body_wanted()
                return chunk, not head.complete
            if head.complete:
                return b"", False
            await self._wait_for_data()

    async def read_body(self):
        """The whole body; answers at once when it came with the head."""
        head = self.head
        if head.complete and not self.disconnected:
            return head.take_body()
        chunks = []
        more = True
        while more:
            chunk, more = await self.receive_chunk()
            if chunk:
                chunks.append(chunk)
        return b"".join(chunks)

    async def stream(self):
        more = True
        while more:
            chunk, more = await self.receive_chunk()
            if chunk:
                yield chunk

    async def wait_disconnect(self):
        """Return once the client has gone (closed or half-closed) or this response is complete."""
        while not self.disconnected and not self.response_complete and not self.conn.eof:
            self.waiter = self.conn.loop.create_future()
            await self.waiter


class HttpConnection:
    """One client connection (an asyncio protocol)."""

    def __init__(self, app, handler, config, state):
        self.app = app
        self.handler = handler
        self.config = config
        self.state = state
        self.loop = asyncio.get_running_loop()
        self.reader = RequestReader(
            config.max_request_line, config.max_header_bytes, config.max_header_count, config.max_body_size
        )
        self.ready = self.reader.ready
        self.transport = None
        self.conn = None
        self.cycle = None
        # What the requests of one read answered, written at its end: the first piece on its
        # own (PERF: most reads answer one request, which then needs no list), then the rest.
        self.out_first = None
        self.out = []
        self.out_size = 0
        self.write_buffer_high = config.write_buffer_high
        self.dispatching = False
        self.blocked = 0
        self.closing = False
        self.lingering = False
        self.lingered = 0
        policy = getattr(handler, "default_headers", None) if handler is not None else None
        self.default_policy = policy
        self.default_names = policy.names if policy is not None else None
        self.tls = False
        self.memo_shape = None  # the last response head sent: see respond()
        self.memo_status = 0
        self.memo_length = 0
        self.memo_common = None
        self.memo_keep_alive = False
        self.memo_http10 = False
        self.memo_head = b""
        self.eof = False
        self.refusal = None
        self.upgrade = None
        self.deadline = 0.0
        self.header_deadline = False
        self.drain_waiters = []
        self.worker = None
        self.worker_running = False
        self.wakeup = None
        self.handoff = None
        self.max_pipelined = config.max_pipelined
        self.keep_alive_timeout = config.timeout_keep_alive
        self.header_timeout = config.timeout_header
        self.body_timeout = config.timeout_body
        self.body_deadline = 0.0
        self.limit_concurrency = config.limit_concurrency or 0
        self.access_log = config.access_log
        from covet.requests import Request
        from covet.server.asgi import asgi_call

        # Imported here: both modules build on this one.
        self.request_class = Request
        self.asgi_call = asgi_call

    # -- asyncio callbacks ------------------------------------------------------------------

    def connection_made(self, transport):
        self.transport = transport
        self.send = transport.write  # PERF: bound once, not looked up per response
        config = self.config
        transport.set_write_buffer_limits(config.write_buffer_high, config.write_buffer_low)
        scheme = "https" if transport.get_extra_info("sslcontext") is not None else "http"
        self.tls = scheme == "https"
        self.conn = ConnectionInfo(
            self.app,
            scheme,
            _address(transport.get_extra_info("peername")),
            _address(transport.get_extra_info("sockname")),
            config.root_path,
        )
        self.state.connections.add(self)
        self.deadline = self.state.now + self.header_timeout
        self.header_deadline = True

    def connection_lost(self, exc):
        self.closing = True
        self.deadline = 0.0
        self.state.connections.discard(self)
        cycle = self.cycle
        if cycle is not None:
            cycle.disconnected = True
            cycle.wake()
        wakeup = self.wakeup
        if self.worker is not None and self.handoff is None and (wakeup is None or not wakeup.done()):
            self.worker.cancel()  # the handler Task is idle: nothing more will come for it
        waiters = self.drain_waiters
        self.drain_waiters = []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def pause_writing(self):
        self._block(_WRITE_BLOCKED)

    def resume_writing(self):
        self._unblock(_WRITE_BLOCKED)
        waiters = self.drain_waiters
        self.drain_waiters = []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        if self.cycle is None and self.ready and not self.closing:
            self.run_queue()

    def eof_received(self):
        # The client has finished sending: answer what it asked, then close. A request still
        # waiting for its body or for a disconnect is told the client has gone (as uvicorn does).
        self.eof = True
        if self.lingering:
            self.transport.close()
            return False
        cycle = self.cycle
        if cycle is None and not self.ready:
            self.close()
        elif cycle is not None and not cycle.head.complete:
            cycle.disconnected = True
            cycle.wake()
        elif cycle is not None:
            cycle.wake()
        return True

    def data_received(self, data):
        if self.closing or self.refusal is not None or self.upgrade is not None:
            if self.lingering:
                self.lingered += len(data)
                if self.lingered > _LINGER_BYTES:
                    self.transport.close()
            return
        reader = self.reader
        status = reader.feed(data)
        if status:
            if status == -1:
                self.upgrade = (reader.ready[-1], data[reader.upgrade_offset:])
            else:
                self._refuse_parse(status, reader.reason)
        cycle = self.cycle
        if cycle is not None:
            cycle.wake()
        receiving = reader.current
        if receiving is not None and receiving.buffered > _BODY_BUFFER_LIMIT:
            self._block(_BODY_UNREAD)
        if reader.in_head:
            if not self.header_deadline:
                self.deadline = self.state.now + self.header_timeout
                self.header_deadline = True
        else:
            self.deadline = 0.0
            self.header_deadline = False
        if cycle is None and (self.ready or self.refusal is not None):
            self.run_queue()
        if len(self.ready) >= self.max_pipelined:
            self._block(_PIPELINE_FULL)

    # -- dispatch ---------------------------------------------------------------------------

    def run_queue(self):
        """Start queued requests in order while each finishes inline; then write once."""
        ready = self.ready
        self.dispatching = True
        try:
            while self.cycle is None and ready and not self.closing:
                head = ready[0]
                del ready[0]
                if self.upgrade is not None and head is self.upgrade[0]:
                    self._switch_protocol(head)
                    return
                self._start(head)
                if self.out_size > self.write_buffer_high:
                    # A client that pipelines but does not read: hand the transport what we
                    # have, and stop answering while its buffer is over the high-water mark.
                    self._flush()
                    if self.blocked & _WRITE_BLOCKED:
                        break
        finally:
            self.dispatching = False
            if self.out_first is not None:
                self._flush()
            if self.closing:
                self._close_transport()
        if self.blocked & _PIPELINE_FULL and len(ready) < self.max_pipelined:
            self._unblock(_PIPELINE_FULL)
        if self.cycle is None and not ready and not self.closing:
            if self.refusal is not None:
                self._send_error(self.refusal[0], self.refusal[1])
            elif self.eof:
                self.close()
            elif not self.reader.in_head:
                self.deadline = self.state.now + self.keep_alive_timeout
                self.header_deadline = False

    def _start(self, head):
        state = self.state
        cycle = _new_cycle(self, head)
        self.cycle = cycle
        if self.access_log:
            cycle.started_at = time.monotonic()
        if state.shutting_down:
            cycle.keep_alive = False
        state.active_requests += 1
        if self.limit_concurrency and state.active_requests > self.limit_concurrency:
            retry = b"%d" % self.config.retry_after
            self.respond_simple(cycle, 503, b"Service Unavailable", [(b"retry-after", retry)])
            return
        state.total_requests += 1
        if self.handler is not None:
            self._start_native(cycle)
        else:
            self._run_eagerly(cycle, None, self.asgi_call(self, cycle))

    def _start_native(self, cycle):
        request = new_request(self.request_class, cycle.head, self.conn, cycle)
        native = self.handler
        try:
            if type(native) is Dispatcher:
                head = cycle.head
                outcome = cython.cast(Dispatcher, native).route(request, head.method, head.path)
            else:
                outcome = native.dispatch(request)
        except BaseException as exc:
            self.handler_raised(cycle, request, exc)
            return
        if isinstance(outcome, BaseResponse):
            self.respond(cycle, outcome)
            return
        self._run_eagerly(cycle, request, outcome)

    def _run_eagerly(self, cycle, request, coro):
        """Run ``coro`` to its first suspension now, as part of this connection's handler Task.

        ``request`` is None for an ASGI app's coroutine, which answers through ``send`` itself.
        A coroutine that finishes costs no Task; one that suspends is handed to the handler Task.
        """
        context = PyContext_CopyCurrent() if cython.compiled else _copy_context()
        worker = self.worker
        if worker is None:
            worker = self.worker = self.loop.create_task(_run_handlers(self))
            self.state.track(worker)
        loop = self.loop
        # Outside any Task (as asyncio calls protocols), enter this connection's handler Task.
        outside = not self.worker_running and _current_task(loop) is None
        if outside:
            _enter(loop, worker)
        try:
            if cython.compiled:
                # PERF: context.run(_step, ...) without the Python-level call and its tuple.
                PyContext_Enter(context)
                try:
                    done = PyIter_Send(coro, None, cython.address(result)) == PYGEN_RETURN
                finally:
                    PyContext_Exit(context)
                value = cython.cast(object, result)
                Py_DECREF(value)
            else:
                done, value = context.run(_step, coro)
        except BaseException as exc:
            if outside:
                _leave(loop, worker)
            self.raised(cycle, request, exc)
            return
        if outside:
            _leave(loop, worker)
        if done:
            self.completed(cycle, request, value)
            return
        self.handoff = (cycle, request, coro, value, context)
        wakeup = self.wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    def completed(self, cycle, request, value):
        """A handler's coroutine returned ``value`` (an ASGI app's has answered already)."""
        if request is not None:
            self.handler_returned(cycle, request, value)

    def raised(self, cycle, request, exc):
        """A handler's coroutine raised ``exc``; an ASGI app's only lets through what it must."""
        if request is not None:
            self.handler_raised(cycle, request, exc)
            return
        self.finish(cycle, False)
        raise exc

    def handler_returned(self, cycle, request, value):
        if isinstance(value, BaseResponse):
            self.respond(cycle, value)
            return
        try:
            response = self.handler.convert(request, value)
        except BaseException as exc:
            self.handler_failed(cycle, exc)
            return
        self.respond(cycle, response)

    def handler_raised(self, cycle, request, exc):
        """Let the app answer the exception its handler raised; a 500 if that fails too."""
        try:
            response = self.handler.handle_error(request, exc)
        except BaseException as error:
            self.handler_failed(cycle, error)
            return
        self.respond(cycle, response)

    def handler_failed(self, cycle, exc):
        if isinstance(exc, ClientDisconnect) or cycle.disconnected:
            self.finish(cycle, False)
            return
        error_log.error("Exception in request handler", exc_info=exc)
        if cycle.response_started:
            self.finish(cycle, False)
        else:
            self.respond_simple(cycle, 500, b"Internal Server Error", [])

    # -- responses --------------------------------------------------------------------------

    def common_for(self, headers):
        """The Server and Date lines for a response with ``headers``, and the app's defaults.

        The app's default headers (its security headers, say) ride along with the Server and
        Date lines, rendered once; a response that sets one of them itself gets its own value
        and the missing defaults appended to ``headers`` instead.
        """
        names = self.default_names
        if names is None:
            return self.state.common_headers
        # PERF: a lone header that is the remembered head's was found to be no default already.
        if len(headers) != 1 or headers[0] is not self.memo_shape:
            for header in headers:
                if header[0] in names:
                    self._add_missing_defaults(headers)
                    return self.state.common_headers
        return self.state.common_https if self.tls else self.state.common_http

    def _add_missing_defaults(self, headers):
        policy = self.default_policy
        present = set()
        for header in headers:
            present.add(header[0])
        for header in policy.https_headers if self.tls else policy.http_headers:
            if header[0] not in present:
                headers.append(header)

    def respond(self, cycle, response):
        """Send a native response object; a streaming body goes on in a Task."""
        if cycle.response_complete:
            return
        if not isinstance(response, BaseResponse):
            error_log.error("Request handler returned %r, which is not a Response", response)
            self.respond_simple(cycle, 500, b"Internal Server Error", [])
            return
        resp = response
        if resp._cookies_pending is not None:
            response.apply_scheme(self.conn.scheme)  # cookies set with secure=None
        body = resp.body
        status = resp.status_code
        headers = resp.headers
        if body is None:
            from covet.server.streaming import stream_response

            self.state.track(self.loop.create_task(stream_response(self, cycle, response)))
            return
        head = cycle.head
        keep_alive = self.keep_alive_for(cycle)
        http10_keep_alive = keep_alive and head.http10
        common = self.common_for(headers)
        length = len(body)
        # PERF: a connection often sends the same head again (same content type, status and
        # length within one Date second): remember the last one; the header pair is compared
        # by identity, so only a response class's own content-type header can match.
        shape = headers[0] if len(headers) == 1 else None
        if shape is not None and shape is self.memo_shape and status == self.memo_status \
                and length == self.memo_length and common is self.memo_common \
                and keep_alive == self.memo_keep_alive and http10_keep_alive == self.memo_http10:
            data = self.memo_head
        else:
            try:
                data = encode_response_head(status, headers, length, keep_alive, http10_keep_alive, common)
            except (ValueError, TypeError) as exc:
                error_log.error("Invalid response from the request handler: %s", exc)
                self.respond_simple(cycle, 500, b"Internal Server Error", [])
                return
            if shape is not None:
                self.memo_shape = shape
                self.memo_status = status
                self.memo_length = length
                self.memo_common = common
                self.memo_keep_alive = keep_alive
                self.memo_http10 = http10_keep_alive
                self.memo_head = data
        cycle.response_started = True
        cycle.status = status
        if body and not head.is_head and status >= 200 and status != 204 and status != 304:
            cycle.sent_bytes = len(body)
            data = _concat(data, body)  # PERF: one piece, so that a read answered once needs no join
            if self.dispatching:
                self._hold(data)
            else:
                self.write(data)
        else:
            self.write(data)
        self.finish(cycle, keep_alive)
        background = resp.background
        if background is not None:
            from covet.server.streaming import run_background

            self.state.track(self.loop.create_task(run_background(background)))

    def respond_simple(self, cycle, status, body, headers):
        keep_alive = self.keep_alive_for(cycle)
        headers = [_TEXT_PLAIN] + headers
        data = encode_response_head(
            status, headers, len(body), keep_alive, keep_alive and cycle.head.http10,
            self.common_for(headers),
        )
        cycle.response_started = True
        cycle.status = status
        if not cycle.head.is_head:
            data += body
        self.write(data)
        self.finish(cycle, keep_alive)

    def keep_alive_for(self, cycle):
        head = cycle.head
        if not cycle.keep_alive or self.closing or self.state.shutting_down:
            return False
        if head.body_expected() and not head.complete:
            # Answered before the body arrived: what follows cannot be told from the next request.
            return False
        return self.upgrade is None

    def finish(self, cycle, keep_alive):
        """Close the books on ``cycle``; go on with the next request or close."""
        if cycle.response_complete:
            return
        cycle.response_complete = True
        cycle.wake()
        self.state.active_requests -= 1
        if self.access_log:
            self._log_access(cycle)
        if self.cycle is cycle:
            self.cycle = None
        if self.blocked & _BODY_UNREAD:
            self._unblock(_BODY_UNREAD)
        if not keep_alive:
            self.close()
        elif not self.dispatching:
            if self.worker_running or _current_task(self.loop) is None:
                self.run_queue()
            else:
                # Finished inside another Task (a streaming body): start the next request from
                # the loop, so that its handler runs as part of this connection's handler Task.
                self.loop.call_soon(self.run_queue)

    def _log_access(self, cycle):
        head = cycle.head
        client = self.conn.client
        access_log.info(
            'client=%s method=%s path="%s" version=%s status=%d bytes=%d duration_ms=%.3f',
            "%s:%d" % client if client else "-",
            head.method,
            head.target.decode("latin-1"),
            head.http_version,
            cycle.status,
            cycle.sent_bytes,
            (time.monotonic() - cycle.started_at) * 1000.0,
        )

    # -- writing and flow control -----------------------------------------------------------

    def write(self, data):
        if self.dispatching:
            self._hold(data)
            if self.out_size > self.write_buffer_high:
                # A body streamed from inside the eager step: hand it to the transport now, so
                # that a client that does not read pauses writing and ``drain`` waits for it.
                self._flush()
        elif not self.transport.is_closing():
            self.send(data)

    def _hold(self, data):
        """Keep ``data`` for the write at the end of this read."""
        if self.out_first is None:
            self.out_first = data
        else:
            self.out.append(data)
        self.out_size += len(data)

    def _flush(self):
        data = self.out_first
        self.out_first = None
        out = self.out
        if out:
            out.insert(0, data)
            data = b"".join(out)
            out.clear()
        self.out_size = 0
        self.send(data)

    async def drain(self):
        if self.blocked & _WRITE_BLOCKED and not self.closing:
            waiter = self.loop.create_future()
            self.drain_waiters.append(waiter)
            await waiter

    def body_wanted(self):
        if self.blocked & _BODY_UNREAD:
            self._unblock(_BODY_UNREAD)

    def _block(self, reason):
        if not self.blocked and not self.closing:
            self.transport.pause_reading()
        self.blocked |= reason

    def _unblock(self, reason):
        was = self.blocked
        self.blocked &= ~reason
        if was and not self.blocked and not self.closing:
            self.transport.resume_reading()

    # -- errors, deadlines, closing ---------------------------------------------------------

    def _refuse_parse(self, status, reason):
        self.refusal = (status, reason)
        self.deadline = 0.0
        broken = self.reader.current
        if broken is not None and broken in self.ready:
            # Its body broke a rule before it started: it is answered by the refusal instead.
            self.ready.remove(broken)
        cycle = self.cycle
        if cycle is not None and not cycle.head.complete:
            # The body of the running request broke a rule (413 while streaming chunks).
            self._abort_body(cycle, status, reason)

    def _abort_body(self, cycle, status, reason):
        """Stop a running request whose body cannot go on: its handler sees the client gone."""
        cycle.disconnected = True
        cycle.wake()
        if not cycle.response_started:
            cycle.response_complete = True
            self.state.active_requests -= 1
            self.cycle = None
            self._send_error(status, reason)
        else:
            self.close()

    def _send_error(self, status, reason):
        body = reason.encode("utf-8", "replace")
        headers = [_TEXT_PLAIN]
        data = encode_response_head(status, headers, len(body), False, False, self.common_for(headers))
        self.write(data + body)
        self.close()

    def check_deadline(self, now):
        """Called by the server's sweep: close an idle connection, 408 a slow head or body."""
        if self.lingering:
            if now >= self.deadline:
                self.transport.close()
            return
        cycle = self.cycle
        if cycle is not None and self.body_deadline != 0.0 and now >= self.body_deadline:
            self.body_deadline = 0.0
            if not self.closing:
                self._abort_body(cycle, 408, "request body timeout")
            return
        if self.deadline == 0.0 or now < self.deadline or self.closing or cycle is not None:
            return
        self.deadline = 0.0
        if self.header_deadline and self.reader.in_head:
            self._send_error(408, "request header timeout")
        else:
            self.close()

    def close(self):
        """Close after what is written so far (inside ``run_queue``, once its write is out)."""
        if not self.closing:
            self.closing = True
            self.deadline = 0.0
            if not self.dispatching:
                self._close_transport()

    def _close_transport(self):
        """Close; linger first when the client may still be sending what we did not read.

        Closing a socket with unread data makes TCP reset the connection, and a reset can
        destroy the response before the client reads it (RFC 9112 9.6). So when a request body
        (or a refused request) is still arriving: send FIN after the response, read and drop
        what comes for up to ``_LINGER_SECONDS`` or ``_LINGER_BYTES``, then close.
        """
        transport = self.transport
        if (self.reader.current is not None or self.refusal is not None) and not self.eof \
                and transport.can_write_eof():
            self.lingering = True
            self.deadline = self.state.now + _LINGER_SECONDS
            transport.write_eof()
            transport.resume_reading()
            return
        transport.close()

    def shutdown(self):
        """Graceful shutdown: close now if idle, else after the response in flight."""
        if self.cycle is None:
            self.close()
        else:
            self.cycle.keep_alive = False
            self.ready.clear()

    def _switch_protocol(self, head):
        from covet.server.websocket import upgrade_to_websocket

        trailing = self.upgrade[1]
        self.deadline = 0.0
        self.state.connections.discard(self)
        if not upgrade_to_websocket(self, head, trailing):
            # Not a WebSocket upgrade: answer it as a plain request, then close.
            self.state.connections.add(self)
            self.upgrade = None
            head.keep_alive = False
            self._start(head)
