"""FileResponse: a file sent with ETag/Last-Modified, conditional requests and byte ranges.

What to send is decided per request by ``FileResponse.plan`` (RFC 9110 sections 13 and 14):
304/412 from the validators, 206 for one range or several (multipart/byteranges), 416 when no
range can be served. CovetPy's server then streams the file with ``os.sendfile`` (see
``covet.server.streaming``); under ASGI servers ``http.response.pathsend`` or ``zerocopysend``
are used when the server offers them, else chunks read in a worker thread.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import secrets
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import IO, TYPE_CHECKING, Optional, Union
from urllib.parse import quote

from covet.datastructures import Headers
from covet.responses import Background, HeadersInit, RawHeaders, Response

if TYPE_CHECKING:
    from covet.asgi import Receive, Scope, Send

CHUNK_SIZE = 256 * 1024
MAX_RANGES = 16  # more (after merging) is served whole, as nginx does: no range amplification


@dataclass
class FilePlan:
    """What to answer one request with: status, headers to add, and the byte ranges to send."""

    status: int
    headers: RawHeaders = field(default_factory=list)
    ranges: list[tuple[int, int]] = field(default_factory=list)  # (start, end) inclusive
    part_heads: list[bytes] = field(default_factory=list)  # multipart/byteranges part headers
    closing: bytes = b""  # the multipart closing delimiter
    length: int = 0  # the body's Content-Length


class FileResponse(Response):
    """Send the file at ``path``; ``filename`` makes it a download (``Content-Disposition``).

    The media type comes from ``media_type`` or the file name. ETag and Last-Modified come from
    the file's size and modification time; Range, If-Range, If-None-Match, If-Modified-Since,
    If-Match and If-Unmodified-Since are honoured.
    """

    __slots__ = ("path", "stat_result", "chunk_size")

    def __init__(
        self,
        path: Union[str, os.PathLike[str]],
        status_code: int = 200,
        headers: HeadersInit = None,
        media_type: Optional[str] = None,
        background: Background = None,
        filename: Optional[str] = None,
        stat_result: Optional[os.stat_result] = None,
        content_disposition_type: str = "attachment",
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.path = os.fspath(path)
        if stat_result is None:
            try:
                stat_result = os.stat(self.path)
            except FileNotFoundError:
                raise FileNotFoundError(f"FileResponse: no file at {self.path!r}") from None
        if not stat.S_ISREG(stat_result.st_mode):
            raise IsADirectoryError(f"FileResponse: {self.path!r} is not a regular file")
        self.stat_result = stat_result
        self.chunk_size = chunk_size
        if media_type is None:
            media_type = mimetypes.guess_type(filename or self.path)[0] or "application/octet-stream"
        super().__init__(b"", status_code, headers, media_type, background)
        self.body = None
        present = {name for name, _ in self.headers}
        extra = [
            (b"accept-ranges", b"bytes"),
            (b"last-modified", formatdate(stat_result.st_mtime, usegmt=True).encode("ascii")),
            (b"etag", b'"%x-%x"' % (stat_result.st_mtime_ns, stat_result.st_size)),
        ]
        if filename is not None:
            extra.append((b"content-disposition", content_disposition(content_disposition_type, filename)))
        self.headers.extend(pair for pair in extra if pair[0] not in present)

    @property
    def body_iterator(self) -> AsyncIterator[bytes]:
        """The whole file in chunks (what middleware that rewrites bodies can read)."""
        return self._chunks(0, self.stat_result.st_size)

    async def _chunks(self, offset: int, count: int) -> AsyncIterator[bytes]:
        file = await asyncio.to_thread(open, self.path, "rb")
        try:
            await asyncio.to_thread(file.seek, offset)
            while count > 0:
                chunk = await asyncio.to_thread(file.read, min(count, self.chunk_size))
                if not chunk:
                    raise RuntimeError(f"FileResponse: {self.path!r} shrank while it was being sent")
                count -= len(chunk)
                yield chunk
        finally:
            await asyncio.to_thread(file.close)

    def _validator(self, name: bytes) -> bytes:
        for n, v in self.headers:
            if n == name:
                return v
        return b""

    def plan(self, method: str, request_headers: Headers) -> FilePlan:
        """Decide the answer to ``method`` with these request headers (see the module docstring)."""
        size = self.stat_result.st_size
        etag = self._validator(b"etag").decode("latin-1")
        mtime = int(self.stat_result.st_mtime)
        if_match = request_headers.get("if-match")
        if if_match is not None:
            if not _etag_matches(if_match, etag, weak=False):
                return FilePlan(412)
        elif _modified_since(request_headers.get("if-unmodified-since"), mtime) is True:
            return FilePlan(412)
        if_none_match = request_headers.get("if-none-match")
        reading = method in ("GET", "HEAD")
        if if_none_match is not None:
            if _etag_matches(if_none_match, etag, weak=True):
                return FilePlan(304 if reading else 412)
        elif reading and _modified_since(request_headers.get("if-modified-since"), mtime) is False:
            return FilePlan(304)
        whole = FilePlan(self.status_code, ranges=[(0, size - 1)] if size else [], length=size)
        range_header = request_headers.get("range")
        if range_header is None or method != "GET" or self.status_code != 200:
            return whole
        if_range = request_headers.get("if-range")
        if if_range is not None and not _if_range_holds(if_range, etag, mtime):
            return whole
        ranges = parse_ranges(range_header, size)
        if ranges is None or len(ranges) > MAX_RANGES:
            return whole  # not a byte range we understand: RFC 9110 14.2 lets us ignore it
        if not ranges:
            return FilePlan(416, [(b"content-range", b"bytes */%d" % size)])
        if len(ranges) == 1:
            start, end = ranges[0]
            return FilePlan(206, [(b"content-range", b"bytes %d-%d/%d" % (start, end, size))], ranges,
                            length=end - start + 1)
        return self._multipart_plan(ranges, size)

    def _multipart_plan(self, ranges: list[tuple[int, int]], size: int) -> FilePlan:
        boundary = secrets.token_hex(16).encode("ascii")
        content_type = self._validator(b"content-type")
        part_heads = [
            b"--%s\r\ncontent-type: %s\r\ncontent-range: bytes %d-%d/%d\r\n\r\n"
            % (boundary, content_type, start, end, size)
            for start, end in ranges
        ]
        part_heads = [part_heads[0]] + [b"\r\n" + head for head in part_heads[1:]]
        closing = b"\r\n--%s--\r\n" % boundary
        length = sum(map(len, part_heads)) + sum(end - start + 1 for start, end in ranges) + len(closing)
        headers = [(b"content-type", b"multipart/byteranges; boundary=" + boundary)]
        return FilePlan(206, headers, ranges, part_heads, closing, length)

    def head_headers(self, plan: FilePlan) -> RawHeaders:
        """This response's headers adjusted to ``plan`` (304 keeps only the validators)."""
        if plan.status == 304:
            keep = (b"etag", b"last-modified", b"cache-control", b"vary", b"expires", b"content-location")
            return [pair for pair in self.headers if pair[0] in keep]
        if plan.status in (412, 416):
            return [pair for pair in self.headers if pair[0] != b"content-type"] + plan.headers
        if plan.part_heads:
            return [pair for pair in self.headers if pair[0] != b"content-type"] + plan.headers
        return self.headers + plan.headers

    def open(self) -> IO[bytes]:
        return open(self.path, "rb")  # noqa: SIM115 - the sender closes it

    # -- sending under ASGI -----------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "GET")
        raw = [(bytes(name).lower(), bytes(value)) for name, value in scope.get("headers", ())]
        plan = self.plan(method, Headers(raw=raw))
        if self._cookies_pending is not None:
            self.apply_scheme(scope.get("scheme", "http"))
        headers = self.head_headers(plan)
        if plan.status not in (304,):
            headers = [*headers, (b"content-length", b"%d" % plan.length)]
        await send({"type": "http.response.start", "status": plan.status, "headers": headers})
        if method == "HEAD" or not plan.ranges:  # 304, 412, 416 and empty files have none
            await send({"type": "http.response.body", "body": b""})
        else:
            await self._send_ranges(scope, plan, send)
        if self.background is not None:
            await self.background()

    async def _send_ranges(self, scope: Scope, plan: FilePlan, send: Send) -> None:
        extensions = scope.get("extensions") or {}
        if "http.response.pathsend" in extensions and not plan.part_heads and plan.status == 200:
            await send({"type": "http.response.pathsend", "path": os.path.abspath(self.path)})
            return
        zerocopy = "http.response.zerocopysend" in extensions
        file = await asyncio.to_thread(self.open) if zerocopy else None
        try:
            for index, (start, end) in enumerate(plan.ranges):
                if plan.part_heads:
                    part_head = plan.part_heads[index]
                    await send({"type": "http.response.body", "body": part_head, "more_body": True})
                if file is not None:
                    await send({"type": "http.response.zerocopysend", "file": file, "offset": start,
                                "count": end - start + 1, "more_body": True})
                else:
                    async for chunk in self._chunks(start, end - start + 1):
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            if file is not None:
                await asyncio.to_thread(file.close)
        await send({"type": "http.response.body", "body": plan.closing})


def content_disposition(disposition: str, filename: str) -> bytes:
    """``attachment; filename="..."``, plus an RFC 5987 ``filename*`` for a non-ASCII name (RFC 6266)."""
    cleaned = "".join(ch for ch in filename if ch >= " " and ch != "\x7f")
    fallback = cleaned.encode("ascii", "replace").decode("ascii").replace("\\", "\\\\").replace('"', '\\"')
    value = f'{disposition}; filename="{fallback}"'
    if not cleaned.isascii():
        value += f"; filename*=UTF-8''{quote(cleaned, safe='')}"
    return value.encode("ascii")


def parse_ranges(header: str, size: int) -> Optional[list[tuple[int, int]]]:
    """``bytes=0-99,200-`` -> satisfiable (start, end) pairs, merged and sorted.

    None when the header is not a valid byte-range set (then it is ignored); an empty list when
    none of its ranges can be served (416).
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    ranges: list[tuple[int, int]] = []
    for item in spec.split(","):
        first, dash, last = item.strip().partition("-")
        if not dash or not (first.isdigit() or (not first and last.isdigit())):
            return None
        if last and not last.isdigit():
            return None
        if not first:  # the last N bytes
            suffix = int(last)
            if suffix and size:
                ranges.append((max(size - suffix, 0), size - 1))
            continue
        start = int(first)
        end = int(last) if last else size - 1
        if last and end < start:
            return None
        if start < size:
            ranges.append((start, min(end, size - 1)))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _etag_matches(header: str, etag: str, weak: bool) -> bool:
    """If-Match (strong comparison) or If-None-Match (weak) against our ETag; ``*`` matches any."""
    if header.strip() == "*":
        return True
    ours = etag[2:] if etag.startswith("W/") else etag
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            if not weak:
                continue
            candidate = candidate[2:]
        if candidate == ours:
            return True
    return False


def _modified_since(header: Optional[str], mtime: int) -> Optional[bool]:
    """Whether the file changed after the date in ``header``; None when there is no valid date."""
    if header is None:
        return None
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return mtime > since.timestamp()


def _if_range_holds(header: str, etag: str, mtime: int) -> bool:
    """If-Range: the range applies only to the representation the client has (RFC 9110 13.1.5).

    An entity tag must match strongly; a date must equal Last-Modified exactly.
    """
    header = header.strip()
    if header.startswith(('"', "W/")):
        return header == etag and not etag.startswith("W/")
    try:
        return int(parsedate_to_datetime(header).timestamp()) == mtime
    except (TypeError, ValueError):
        return False
