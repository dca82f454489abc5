"""Sending a native streaming response, and running background tasks after a response."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from covet._speedups.connection import HttpConnection, RequestCycle

from covet._speedups.http11 import encode_response_head

error_log = logging.getLogger("covet.error")


async def stream_response(conn: HttpConnection, cycle: RequestCycle, response: Any) -> None:
    """Write the head, then each chunk of ``response.body_iterator`` as it comes.

    Chunked on HTTP/1.1 unless the response declares ``content_length``; on HTTP/1.0 without a
    length the body ends when the connection closes. Stops early if the client goes away.
    """
    head = cycle.head
    keep_alive = conn.keep_alive_for(cycle)
    length = getattr(response, "content_length", None)
    chunked = length is None and head.http_version == "1.1"
    if length is None and not chunked:
        keep_alive = False
    iterator = response.body_iterator
    try:
        data = encode_response_head(
            response.status_code,
            response.headers,
            -1 if chunked else (-2 if length is None else length),
            keep_alive,
            keep_alive and head.http_version == "1.0",
            conn.state.common_headers,
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
    except Exception as exc:
        if cycle.response_started:
            error_log.error("Exception while streaming the response", exc_info=exc)
            keep_alive = False
        else:
            error_log.error("Invalid streaming response", exc_info=exc)
            conn.respond_simple(cycle, 500, b"Internal Server Error", [])
            return
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
    conn.finish(cycle, keep_alive)
    background = getattr(response, "background", None)
    if background is not None:
        await run_background(background)


async def run_background(background: Callable[[], Awaitable[Any]]) -> None:
    try:
        await background()
    except Exception:
        error_log.exception("Exception in background task")
