"""Responses: a status, headers as raw (name, value) byte pairs, and a body.

The server reads them through the compiled ``BaseResponse``; these classes choose the media
type, render content to bytes, and send themselves under ASGI (``await response(scope, receive,
send)``), which is also how CovetPy apps answer under uvicorn, hypercorn or granian.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional, Union
from urllib.parse import quote

import orjson

from covet._speedups.messages import BaseResponse, content_type_header, to_raw_headers
from covet.cookies import needs_secure, set_cookie_value
from covet.datastructures import URL, MutableHeaders, encode_header

if TYPE_CHECKING:
    from covet.asgi import Receive, Scope, Send

RawHeaders = list[tuple[bytes, bytes]]
HeadersInit = Union[Mapping[str, str], RawHeaders, None]
Background = Optional[Callable[[], Awaitable[Any]]]

_NO_BODY_STATUS = frozenset({204, 304})


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
        if "render" in cls.__dict__ and "_encoder" not in cls.__dict__:
            cls._encoder = None  # a render of its own is not the inherited encoder: call it

    # -- headers ----------------------------------------------------------------------------

    def header(self, name: str) -> Optional[str]:
        """The first value of header ``name`` (any case), or None."""
        key = name.lower().encode("latin-1")
        for n, v in self.headers:
            if n == key:
                return v.decode("latin-1")
        return None

    def set_header(self, name: str, value: str) -> None:
        """Set header ``name`` to ``value`` alone (CR, LF and NUL are refused: no header injection)."""
        MutableHeaders(raw=self.headers)[name] = value

    def append_header(self, name: str, value: str) -> None:
        """Add a value for ``name`` and keep the others (``link``, ``vary``, ``set-cookie``)."""
        self.headers.append(encode_header(name, value))

    # -- cookies ----------------------------------------------------------------------------

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: Optional[int] = None,
        expires: Union[datetime, int, float, str, None] = None,
        path: Optional[str] = "/",
        domain: Optional[str] = None,
        secure: Optional[bool] = None,
        httponly: bool = True,
        samesite: Optional[str] = "lax",
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header; HttpOnly and SameSite=Lax unless told otherwise.

        ``secure=None`` (the default) makes the cookie Secure when the request is HTTPS, as the
        server sees it when sending; cookies that browsers accept only when Secure (SameSite=None,
        Partitioned, ``__Secure-``/``__Host-`` names) are always Secure unless ``secure=False``.
        Names and values are checked (ValueError): a value cannot inject attributes or headers.
        """
        if secure is None and needs_secure(key, samesite, partitioned):
            secure = True
        line = set_cookie_value(
            key, value, max_age=max_age, expires=expires, path=path, domain=domain, secure=bool(secure),
            httponly=httponly, samesite=samesite, partitioned=partitioned,
        )
        headers = self.headers
        if secure is None:
            pending = self._cookies_pending
            if pending is None:
                pending = self._cookies_pending = []
            pending.append(len(headers))
        headers.append((b"set-cookie", line))

    def delete_cookie(
        self,
        key: str,
        path: Optional[str] = "/",
        domain: Optional[str] = None,
        secure: Optional[bool] = None,
        httponly: bool = True,
        samesite: Optional[str] = "lax",
    ) -> None:
        """Tell the browser to drop cookie ``key`` (give the ``path`` and ``domain`` it was set with)."""
        self.set_cookie(
            key, "", max_age=0, expires=0, path=path, domain=domain, secure=secure, httponly=httponly,
            samesite=samesite,
        )

    def apply_scheme(self, scheme: str) -> None:
        """Make the cookies set with ``secure=None`` Secure if ``scheme`` is https.

        The server calls this just before sending; middleware that knows the scheme better (a
        proxy's X-Forwarded-Proto) may call it first.
        """
        pending = self._cookies_pending
        self._cookies_pending = None
        if pending and scheme in ("https", "wss"):
            headers = self.headers
            for index in pending:
                name, value = headers[index]
                if name == b"set-cookie":
                    headers[index] = (name, value + b"; Secure")

    # -- sending under ASGI -----------------------------------------------------------------

    def _start_message(self, scope: Scope, length: Optional[int]) -> dict[str, Any]:
        if self._cookies_pending is not None:
            self.apply_scheme(scope.get("scheme", "http"))
        headers = self.headers
        if length is not None and self.status_code >= 200 and self.status_code not in _NO_BODY_STATUS:
            # Tell the server the length, so that it need not send the body chunked.
            headers = [*headers, (b"content-length", b"%d" % length)]
        return {"type": "http.response.start", "status": self.status_code, "headers": headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.body or b""
        await send(self._start_message(scope, len(body)))
        await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})
        if self.background is not None:
            await self.background()


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
    _encoder = orjson.dumps  # what render does, called without it

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


# What may stay as it is in a Location URL; anything else (spaces, CR/LF, non-ASCII) is
# percent-encoded, so the header cannot be split and the URL reaches the browser intact.
_LOCATION_SAFE = ":/%#?=@[]!$&'()*+,;~"


class RedirectResponse(Response):
    """Send the client to ``url`` (307 keeps the method; 303 turns it into GET; 301/308 are permanent)."""

    __slots__ = ()

    def __init__(
        self,
        url: Union[str, URL],
        status_code: int = 307,
        headers: HeadersInit = None,
        background: Background = None,
    ) -> None:
        super().__init__(b"", status_code, headers, None, background)
        self.headers.append((b"location", quote(str(url), safe=_LOCATION_SAFE).encode("ascii")))


class StreamingResponse(Response):
    """A body produced by an async iterator; sent chunked unless ``content_length`` is given.

    When the client goes away the iterator is closed (``aclose``), so a generator's ``finally``
    runs and an endless stream stops.
    """

    __slots__ = ("body_iterator", "content_length")

    def __init__(
        self,
        content: AsyncIterable[Union[bytes, str]],
        status_code: int = 200,
        headers: HeadersInit = None,
        media_type: Optional[str] = None,
        content_length: Optional[int] = None,
        background: Background = None,
    ) -> None:
        super().__init__(b"", status_code, headers, media_type, background)
        self.body = None
        self.body_iterator = content
        self.content_length = content_length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(self._start_message(scope, self.content_length))
        disconnected = False
        try:
            if scope.get("method") != "HEAD":
                disconnected = await until_disconnect(self._send_chunks(send), receive)
        finally:
            await close_iterator(self.body_iterator)
        if not disconnected:
            await send({"type": "http.response.body", "body": b""})
        if self.background is not None:
            await self.background()

    async def _send_chunks(self, send: Send) -> None:
        async for chunk in self.body_iterator:
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def close_iterator(iterator: Any) -> None:
    """``aclose()`` an async generator (or anything with one), so its ``finally`` runs now."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


async def until_disconnect(sending: Awaitable[None], receive: Receive) -> bool:
    """Run ``sending`` to its end, or until the client disconnects (True; it is then cancelled)."""
    sender = asyncio.ensure_future(sending)
    listener = asyncio.ensure_future(_wait_disconnect(receive))
    try:
        await asyncio.wait((sender, listener), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (listener, sender):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    if sender.cancelled():
        return True
    sender.result()  # re-raise what the iterator raised
    return False


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


__all__ = [
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
    "to_raw_headers",
]
