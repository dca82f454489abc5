"""Responses: a status, headers as raw (name, value) byte pairs, and a body.

The server reads them through the compiled ``BaseResponse``; these classes choose the media
type and how content is rendered to bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from typing import Any, Optional, Union

import orjson

from covet._speedups.messages import BaseResponse, content_type_header, to_raw_headers

RawHeaders = list[tuple[bytes, bytes]]
HeadersInit = Union[Mapping[str, str], RawHeaders, None]


class Response(BaseResponse):
    """A response whose whole body is known up front.

    ``Response(content, status_code=200, headers=None, media_type=None, background=None)``:
    ``content`` is bytes or str (subclasses render other types), ``background`` an async callable
    run after the response is sent.
    """

    __slots__ = ()

    media_type: Optional[str] = None
    charset = "utf-8"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._content_type = content_type_header(cls.media_type, cls.charset)

    def header(self, name: str) -> Optional[str]:
        """The first value of header ``name`` (any case), or None."""
        key = name.lower().encode("latin-1")
        for n, v in self.headers:
            if n == key:
                return v.decode("latin-1")
        return None


class PlainTextResponse(Response):
    __slots__ = ()
    media_type = "text/plain"


class HTMLResponse(Response):
    __slots__ = ()
    media_type = "text/html"


class JSONResponse(Response):
    """JSON via orjson: dataclasses, datetimes, UUIDs and enums serialise natively."""

    __slots__ = ()
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class StreamingResponse(Response):
    """A body produced by an async iterator; sent chunked unless ``content_length`` is given."""

    __slots__ = ("body_iterator", "content_length")

    def __init__(
        self,
        content: AsyncIterable[Union[bytes, str]],
        status_code: int = 200,
        headers: HeadersInit = None,
        media_type: Optional[str] = None,
        content_length: Optional[int] = None,
        background: Optional[Callable[[], Awaitable[Any]]] = None,
    ) -> None:
        super().__init__(b"", status_code, headers, media_type, background)
        self.body = None
        self.body_iterator = content
        self.content_length = content_length


__all__ = [
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "Response",
    "StreamingResponse",
    "to_raw_headers",
]
