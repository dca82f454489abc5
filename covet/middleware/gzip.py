"""GZip: compress responses for clients that accept it, when it is worth it.

::

    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)

A response is compressed when the request's ``Accept-Encoding`` allows gzip (``q=0`` refuses
it), the body has at least ``minimum_size`` bytes, the response has no ``Content-Encoding``
of its own, does not offer byte ranges (a file response: it goes out as it is, zero-copy and
rangeable), is not a partial (206) or empty (204, 304) one, and its media type is not in
``exclude_media_types`` (``text/event-stream`` — each event must reach the client when it is
sent — and formats that are compressed already: images, audio, video, archives, fonts).

Whole bodies are compressed at once (in a worker thread from ``thread_minimum_size`` up, so
that a big body does not stall the event loop); a streaming body chunk by chunk, each chunk
flushed so it reaches the client without waiting for the next. Every response that could be
compressed says ``Vary: Accept-Encoding``, so caches keep both forms apart.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Collection
from typing import TYPE_CHECKING, Any, Optional

from covet.middleware.base import BaseHTTPMiddleware, CallNext, RawHeaders, append_vary, header_value

if TYPE_CHECKING:
    from covet.requests import Request
    from covet.responses import Response

DEFAULT_EXCLUDED = (
    "text/event-stream",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "application/zstd",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "video/*",
)
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib's framing for a gzip member


def accepts_gzip(accept_encoding: Optional[bytes]) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (RFC 9110 12.5.3: q-values, ``*``)."""
    if not accept_encoding:
        return False
    gzip_q: Optional[float] = None
    star_q: Optional[float] = None
    for item in accept_encoding.decode("latin-1").split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding in ("gzip", "x-gzip"):
            gzip_q = q
        elif coding == "*":
            star_q = q
    if gzip_q is not None:
        return gzip_q > 0
    return star_q is not None and star_q > 0


class GZipMiddleware(BaseHTTPMiddleware):
    """Compresses responses with gzip; see the module docstring."""

    def __init__(
        self,
        app: CallNext,
        *,
        minimum_size: int = 500,
        compresslevel: int = 6,
        thread_minimum_size: int = 128 * 1024,
        exclude_media_types: Collection[str] = DEFAULT_EXCLUDED,
    ) -> None:
        super().__init__(app)
        if not 1 <= compresslevel <= 9:
            raise ValueError(f"compresslevel is 1 (fastest) to 9 (smallest), not {compresslevel}")
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size
        excluded = {media.strip().lower() for media in exclude_media_types}
        self.excluded_types = frozenset(m for m in excluded if not m.endswith("/*"))
        self.excluded_kinds = tuple(m[:-1] for m in excluded if m.endswith("/*"))  # "audio/"

    async def __call__(self, request: Request) -> Response:
        response = await self.app(request)
        headers = response.headers
        if response.status_code in (204, 206, 304) or not self._compressible(headers):
            return response
        body = response.body
        if body is not None and len(body) < self.minimum_size:
            return response
        append_vary(headers, b"Accept-Encoding")
        if not accepts_gzip(header_value(request.raw_headers, b"accept-encoding")):
            return response
        if body is None:
            stream: Any = response
            stream.body_iterator = self._compress_stream(stream.body_iterator)
            stream.content_length = None  # the compressed length is known only at the end
        else:
            compressed = await self._compress_whole(body)
            if len(compressed) >= len(body):
                return response  # incompressible: sending it as it is is smaller
            response.body = compressed
        headers.append((b"content-encoding", b"gzip"))
        return response

    def _compressible(self, headers: RawHeaders) -> bool:
        media_type = b""
        for name, value in headers:
            if name == b"content-encoding" or (name == b"accept-ranges" and value == b"bytes"):
                return False
            if name == b"content-type":
                media_type = value
        media = media_type.partition(b";")[0].strip().lower().decode("latin-1")
        return media not in self.excluded_types and not media.startswith(self.excluded_kinds)

    async def _compress_whole(self, body: bytes) -> bytes:
        if len(body) >= self.thread_minimum_size:
            return await asyncio.to_thread(self._compress, body)
        return self._compress(body)

    def _compress(self, body: bytes) -> bytes:
        compressor = zlib.compressobj(self.compresslevel, zlib.DEFLATED, _GZIP_WBITS)
        return compressor.compress(body) + compressor.flush()

    async def _compress_stream(self, chunks: AsyncIterable[bytes | str]) -> AsyncIterator[bytes]:
        compressor = zlib.compressobj(self.compresslevel, zlib.DEFLATED, _GZIP_WBITS)
        try:
            async for chunk in chunks:
                data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
                if data:
                    yield compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
            yield compressor.flush()
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
