"""Server-Sent Events: ``EventSourceResponse`` streams ``ServerSentEvent`` frames to an EventSource.

Framing follows the HTML standard's ``text/event-stream``: ``event:``, ``id:``, ``retry:`` and one
``data:`` line per line of data, a blank line after each event, ``:`` comment lines for pings.
The event source runs in its own Task so that a ping can go out while it waits; when the client
disconnects that Task is cancelled, so the generator's ``finally`` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, Optional, Union

import orjson

from covet.responses import Background, HeadersInit, StreamingResponse, close_iterator

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
PING = b": ping\n\n"


class ServerSentEvent:
    """One event. ``data`` is text (split into lines), bytes (UTF-8), or anything else as JSON."""

    __slots__ = ("data", "event", "id", "retry", "comment")

    def __init__(
        self,
        data: Any = None,
        *,
        event: Optional[str] = None,
        id: Optional[str] = None,
        retry: Optional[int] = None,
        comment: Optional[str] = None,
    ) -> None:
        for name, value in (("event", event), ("id", id)):
            if value is not None and _LINE_BREAK.search(value):
                raise ValueError(f"ServerSentEvent {name} {value!r} holds a line break; it must be one line")
        if id is not None and "\0" in id:
            raise ValueError("ServerSentEvent id must not hold NUL (browsers ignore such an id)")
        if retry is not None and (not isinstance(retry, int) or retry < 0):
            raise ValueError(f"ServerSentEvent retry is a number of milliseconds >= 0, not {retry!r}")
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment

    def encode(self) -> bytes:
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(f": {line}" for line in _LINE_BREAK.split(self.comment))
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        if self.data is not None:
            lines.extend(f"data: {line}" for line in _LINE_BREAK.split(_data_text(self.data)))
        return ("\n".join(lines) + "\n\n").encode("utf-8")

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self.__slots__ if getattr(self, name) is not None
        )
        return f"ServerSentEvent({fields})"


def _data_text(data: Any) -> str:
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data).decode("utf-8")
    return orjson.dumps(data).decode("utf-8")


EventSource = AsyncIterable[Union[ServerSentEvent, str, bytes, dict[str, Any], list[Any]]]


class EventSourceResponse(StreamingResponse):
    """Stream events from an async iterable: ``ServerSentEvent`` objects, or bare data.

    ``ping`` sends a comment after that many quiet seconds (None: never), which keeps proxies
    from closing an idle stream. Responses are not cached or buffered by proxies (nginx included).
    """

    __slots__ = ()
    media_type = "text/event-stream"

    def __init__(
        self,
        content: EventSource,
        status_code: int = 200,
        headers: HeadersInit = None,
        ping: Optional[float] = 15.0,
        background: Background = None,
    ) -> None:
        super().__init__(_frames(content, ping), status_code, headers, None, None, background)
        present = {name for name, _ in self.headers}
        for name, value in ((b"cache-control", b"no-store"), (b"x-accel-buffering", b"no")):
            if name not in present:
                self.headers.append((name, value))


def encode_event(item: Any) -> bytes:
    return item.encode() if isinstance(item, ServerSentEvent) else ServerSentEvent(item).encode()


class _End:
    """What the producer puts on the queue when the source is exhausted or failed."""

    __slots__ = ("error",)

    def __init__(self, error: Optional[BaseException] = None) -> None:
        self.error = error


async def _frames(source: EventSource, ping: Optional[float]) -> AsyncIterator[bytes]:
    if ping is None:
        try:
            async for item in source:
                yield encode_event(item)
        finally:
            await close_iterator(source)
        return
    queue: asyncio.Queue[Union[bytes, _End]] = asyncio.Queue(maxsize=1)

    async def produce() -> None:
        try:
            async for item in source:
                await queue.put(encode_event(item))
        except Exception as exc:
            await queue.put(_End(exc))
        else:
            await queue.put(_End())
        finally:
            await close_iterator(source)

    producer = asyncio.get_running_loop().create_task(produce())
    try:
        while True:
            try:
                async with asyncio.timeout(ping):  # not wait_for: on 3.11 it can lose a cancel
                    frame = await queue.get()
            except TimeoutError:
                yield PING
                continue
            if isinstance(frame, _End):
                if frame.error is not None:
                    raise frame.error
                return
            yield frame
    finally:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer
