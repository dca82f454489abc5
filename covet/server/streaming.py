"""Sending native streaming and file responses, and running background tasks after a response.

Files go out with ``os.sendfile`` straight from the page cache to the socket when the connection
is plain TCP or a Unix socket: uvloop has no ``loop.sendfile`` (it raises NotImplementedError)
and refuses ``add_writer`` on a transport's own descriptor, so the wait for a writable socket
watches a duplicate of it. Over TLS the file is read in chunks in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from covet._speedups.connection import HttpConnection, RequestCycle

from covet._speedups.http11 import encode_response_head
from covet.datastructures import Headers
from covet.exceptions import ClientDisconnect
from covet.fileresponse import FileResponse

error_log = logging.getLogger("covet.error")

SMALL_FILE = 64 * 1024  # sent in the same write as the head
SENDFILE_MAX = 4 * 1024 * 1024  # per sendfile call, so one response does not hog the loop


async def stream_response(conn: HttpConnection, cycle: RequestCycle, response: Any) -> None:
    """Write the head, then each chunk of ``response.body_iterator`` as it comes.

    Chunked on HTTP/1.1 unless the response declares ``content_length``; on HTTP/1.0 without a
    length the body ends when the connection closes. When the client goes away the iterator is
    closed at once, even while it waits for its next chunk (a quiet event stream).
    """
    if isinstance(response, FileResponse):
        await send_file(conn, cycle, response)
        return
    head = cycle.head
    keep_alive = conn.keep_alive_for(cycle)
    length = getattr(response, "content_length", None)
    chunked = length is None and head.http_version == "1.1"
    if length is None and not chunked:
        keep_alive = False
    iterator = response.body_iterator
    watcher = _watch_disconnect(conn, cycle)
    try:
        data = encode_response_head(
            response.status_code,
            response.headers,
            -1 if chunked else (-2 if length is None else length),
            keep_alive,
            keep_alive and head.http_version == "1.0",
            conn.common_for(response.headers),
        )
        cycle.response_started = True
        cycle.status = response.status_code
        conn.write(data)
        if head.method != "HEAD":
            async for chunk in iterator:
                if cycle.disconnected:
                    break
                if not chunk:
                    continue
                if isinstance(chunk, str):
                    chunk = chunk.encode("utf-8")
                cycle.sent_bytes += len(chunk)
                conn.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                await conn.drain()
            if chunked and not cycle.disconnected:
                conn.write(b"0\r\n\r\n")
        if length is not None and cycle.sent_bytes != length and head.method != "HEAD":
            error_log.error("Streaming response sent %d bytes, declared %d", cycle.sent_bytes, length)
            keep_alive = False
    except asyncio.CancelledError:
        if not (cycle.disconnected or conn.eof):
            raise
        keep_alive = False  # the client went away: cancelled by the watcher
    except Exception as exc:
        if cycle.response_started:
            error_log.error("Exception while streaming the response", exc_info=exc)
            keep_alive = False
        else:
            error_log.error("Invalid streaming response", exc_info=exc)
            conn.respond_simple(cycle, 500, b"Internal Server Error", [])
            return
    finally:
        if watcher is not None:
            watcher.cancel()
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
    conn.finish(cycle, keep_alive)
    background = getattr(response, "background", None)
    if background is not None:
        await run_background(background)


def _watch_disconnect(conn: HttpConnection, cycle: RequestCycle) -> asyncio.Task[None] | None:
    """A Task that cancels the sending Task when the client disconnects.

    Only when the request body is complete: the cycle has one waiter, which a body still being
    read (a response that streams the request back) needs for itself.
    """
    if not cycle.head.complete or cycle.head.method == "HEAD":
        return None
    sending = asyncio.current_task()
    if sending is None:
        return None

    async def watch() -> None:
        await cycle.wait_disconnect()
        # A half-close counts as gone, as for wait_disconnect (and as uvicorn treats it).
        if (cycle.disconnected or conn.eof) and not cycle.response_complete:
            sending.cancel()

    return conn.loop.create_task(watch())


async def send_file(conn: HttpConnection, cycle: RequestCycle, response: FileResponse) -> None:
    """Answer with ``response.plan`` for this request: 200/206 with the file's bytes, or 304/412/416."""
    head = cycle.head
    keep_alive = conn.keep_alive_for(cycle)
    try:
        plan = response.plan(head.method, Headers(raw=head.headers))
        headers = response.head_headers(plan)
        data = encode_response_head(
            plan.status, headers, plan.length, keep_alive,
            keep_alive and head.http_version == "1.0", conn.common_for(headers),
        )
        cycle.status = plan.status
        if head.method == "HEAD" or not plan.ranges:  # 304, 412, 416 and empty files have none
            cycle.response_started = True
            conn.write(data)
        else:
            file = response.open()
            try:
                if plan.length <= SMALL_FILE and not plan.part_heads:
                    start, end = plan.ranges[0]
                    file.seek(start)
                    body = file.read(end - start + 1)
                    cycle.response_started = True
                    conn.write(data + body)
                    cycle.sent_bytes = len(body)
                else:
                    cycle.response_started = True
                    conn.write(data)
                    await _send_ranges(conn, cycle, file, plan.ranges, plan.part_heads)
                    if plan.closing:
                        conn.write(plan.closing)
            finally:
                file.close()
    except (ClientDisconnect, asyncio.CancelledError):
        if not cycle.disconnected:
            raise
        keep_alive = False
    except Exception as exc:
        if not cycle.response_started:
            error_log.error("Could not send file %r", response.path, exc_info=exc)
            conn.respond_simple(cycle, 500, b"Internal Server Error", [])
            return
        error_log.error("Exception while sending file %r", response.path, exc_info=exc)
        keep_alive = False
    conn.finish(cycle, keep_alive)
    if response.background is not None:
        await run_background(response.background)


async def _send_ranges(
    conn: HttpConnection, cycle: RequestCycle, file: IO[bytes], ranges: list[tuple[int, int]],
    part_heads: list[bytes],
) -> None:
    transport = conn.transport
    sock = None if transport.get_extra_info("sslcontext") is not None else transport.get_extra_info("socket")
    for index, (start, end) in enumerate(ranges):
        if part_heads:
            conn.write(part_heads[index])
        if sock is not None:
            await _sendfile(conn, cycle, sock.fileno(), file, start, end - start + 1)
        else:
            await _send_chunks(conn, cycle, file, start, end - start + 1)


async def _sendfile(
    conn: HttpConnection, cycle: RequestCycle, sock_fd: int, file: IO[bytes], offset: int, count: int
) -> None:
    """``count`` bytes of ``file`` from ``offset`` to the socket, by the kernel, without copies."""
    loop = conn.loop
    transport = conn.transport
    watch_fd = os.dup(sock_fd)  # uvloop will not watch the transport's own descriptor for us
    try:
        while transport.get_write_buffer_size():  # what the transport holds must go out first
            await _writable(loop, watch_fd)
        file_fd = file.fileno()
        while count > 0:
            if cycle.disconnected or transport.is_closing():
                raise ClientDisconnect()
            try:
                sent = os.sendfile(sock_fd, file_fd, offset, min(count, SENDFILE_MAX))
            except BlockingIOError:
                await _writable(loop, watch_fd)
                continue
            except (BrokenPipeError, ConnectionResetError):
                cycle.disconnected = True
                raise ClientDisconnect() from None
            if sent == 0:
                raise RuntimeError(f"the file shrank while it was being sent ({count} bytes missing)")
            offset += sent
            count -= sent
            cycle.sent_bytes += sent
    finally:
        os.close(watch_fd)


async def _writable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_writer(fd, wake)
    try:
        await ready
    finally:
        loop.remove_writer(fd)


async def _send_chunks(
    conn: HttpConnection, cycle: RequestCycle, file: IO[bytes], offset: int, count: int
) -> None:
    """The TLS path: chunks read in a worker thread, written through the transport."""
    await asyncio.to_thread(file.seek, offset)
    while count > 0:
        chunk = await asyncio.to_thread(file.read, min(count, SENDFILE_MAX // 4))
        if not chunk:
            raise RuntimeError(f"the file shrank while it was being sent ({count} bytes missing)")
        if cycle.disconnected:
            raise ClientDisconnect()
        conn.write(chunk)
        cycle.sent_bytes += len(chunk)
        count -= len(chunk)
        await conn.drain()


async def run_background(background: Callable[[], Awaitable[Any]]) -> None:
    try:
        await background()
    except Exception:
        error_log.exception("Exception in background task")

