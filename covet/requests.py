"""The request a handler receives: head fields read straight from the parser, body on demand."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Generator
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar
from urllib.parse import quote

import orjson

from covet import forms
from covet._speedups.messages import BaseRequest
from covet.cookies import parse_cookie_header
from covet.datastructures import URL, Address, FormData, Headers, QueryParams, State, header_text
from covet.exceptions import HTTPException

if TYPE_CHECKING:
    from covet.security.sessions import Session

_T = TypeVar("_T")
# ``_body`` once stream() has handed the body out without keeping it.
_STREAMED: Any = object()
_STREAMED_MESSAGE = (
    "the request body was already read with stream(); call body() first to read it more than once"
)
# RFC 3986 host (reg-name, IPv4, or [IPv6]) and an optional port.
_HOST = re.compile(rb"(?:[A-Za-z0-9\-._~!$&'()*+,;=%]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# Characters a URL may hold as they are: what a client sent already percent-encoded stays so.
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]_~"


def _url_text(raw: bytes) -> str:
    """A request target's bytes as URL text; bytes a URL may not hold raw are percent-encoded."""
    if raw.isascii() and b" " not in raw:
        return raw.decode("ascii")
    return quote(raw, safe=_URL_SAFE)


class Request(BaseRequest):
    """One HTTP request. Built by CovetPy's server, or from an ASGI scope under another server.

    ``method``, ``path`` (decoded), ``query_string``, ``http_version`` and ``raw_headers`` come
    from the compiled ``BaseRequest``; ``url``, ``headers``, ``query_params``, ``cookies`` and
    ``state`` are built on first use and kept for the rest of the request.
    """

    __slots__ = ("_json", "_form", "_session")
    _json: Any
    _form: FormData
    _session: Session

    @property
    def app(self) -> Any:
        """The application serving this request."""
        return self._conn.app

    @property
    def scheme(self) -> str:
        return self._conn.scheme  # type: ignore[no-any-return]

    @property
    def root_path(self) -> str:
        return self._conn.root_path  # type: ignore[no-any-return]

    @property
    def client(self) -> Optional[Address]:
        """The client's address, or None when the server does not know it (a Unix socket)."""
        client = self._conn.client
        return Address(client[0], client[1]) if client else None

    @property
    def headers(self) -> Headers:
        """Case-insensitive, multi-valued request headers (``headers.raw`` is the server's list)."""
        headers = self._headers
        if headers is None:
            headers = self._headers = Headers(raw=self._head.headers)
        return headers  # type: ignore[no-any-return]

    @property
    def query_params(self) -> QueryParams:
        """The query string's parameters; ``get`` gives a key's last value, ``getlist`` all."""
        query = self._query
        if query is None:
            query = self._query = QueryParams(self._head.query_string)
        return query  # type: ignore[no-any-return]

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies the client sent (every ``Cookie`` header, parsed as browsers write them)."""
        cookies = self._cookies
        if cookies is None:
            values = [value for name, value in self._head.headers if name == b"cookie"]
            cookies = self._cookies = parse_cookie_header(header_text(b"; ".join(values))) if values else {}
        return cookies  # type: ignore[no-any-return]

    @property
    def state(self) -> State:
        """Per-request storage for middleware and handlers: ``request.state.user = ...``.

        It starts as a copy of the app's lifespan state (what its lifespan context yielded).
        """
        state = self._state
        if state is None:
            lifespan_state = getattr(self._conn.app, "lifespan_state", None)
            state = self._state = State(dict(lifespan_state) if lifespan_state else None)
        return state  # type: ignore[no-any-return]

    @property
    def session(self) -> Session:
        """The client's session, a dict of JSON values (``covet.security.sessions``)."""
        try:
            return self._session
        except AttributeError:
            raise RuntimeError(
                "request.session needs SessionMiddleware: app.add_middleware(SessionMiddleware)"
            ) from None

    @property
    def url(self) -> URL:
        """The full URL the client asked for; its path is percent-encoded, as sent."""
        url = self._url
        if url is None:
            head = self._head
            path = _url_text(head.raw_path)
            root_path = self._conn.root_path
            if root_path:
                path = quote(root_path) + path
            url = self._url = URL.from_parts(
                self._conn.scheme, self._host(), path, _url_text(head.query_string)
            )
        return url  # type: ignore[no-any-return]

    @property
    def base_url(self) -> URL:
        """The URL of the application's root: scheme, host and root path, ending in ``/``."""
        return URL.from_parts(self._conn.scheme, self._host(), quote(self._conn.root_path.rstrip("/")) + "/")

    def url_for(self, name: str, /, **params: Any) -> URL:
        """The absolute URL of the route called ``name`` (see ``Covet.url_for``)."""
        base = self.base_url
        path = base.path.rstrip("/") + self.app.url_for(name, **params)
        return URL.from_parts(base.scheme, base.netloc, path)

    def _host(self) -> str:
        """The Host header when it is a well-formed host[:port], else the server's own address.

        The check keeps a hostile Host (``evil/path?x``) from bending the rest of the URL.
        """
        for name, value in self._head.headers:
            if name == b"host":
                if _HOST.fullmatch(value):
                    return value.decode("ascii")
                break
        server = self._conn.server
        if not server:
            return "localhost"
        host, port = server[0], server[1]
        if ":" in host:
            host = f"[{host}]"
        if _DEFAULT_PORTS.get(self._conn.scheme) == port:
            return str(host)
        return f"{host}:{port}"

    # -- the body ---------------------------------------------------------------------------

    async def body(self) -> bytes:
        """The whole body, read once and kept: middleware and handler can both read it.

        A body larger than the application's ``max_body_size`` is refused with 413.
        """
        body = self._body
        if body is None:
            if self._head.complete:
                # Arrived with the head (CovetPy's server): already in memory, within its limit.
                body = await self._source.read_body()
                self._check_size(len(body))
            else:
                body = b"".join([chunk async for chunk in self._read_chunks()])
            self._body = body
        elif body is _STREAMED:
            raise RuntimeError(_STREAMED_MESSAGE)
        return body

    async def stream(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk as it arrives, without keeping it (the kept body if read before)."""
        body = self._body
        if body is not None:
            if body is _STREAMED:
                raise RuntimeError(_STREAMED_MESSAGE)
            if body:
                yield body
            return
        self._body = _STREAMED
        async for chunk in self._read_chunks():
            yield chunk

    async def _read_chunks(self) -> AsyncIterator[bytes]:
        limit = self._conn.app.max_body_size
        self._check_size(self._declared_length(), limit)
        received = 0
        async for chunk in self._source.stream():
            received += len(chunk)
            self._check_size(received, limit)
            yield chunk

    def _declared_length(self) -> int:
        length = self._head.content_length
        if length < 0:  # a request from an ASGI scope: read the header
            value = self.headers.get("content-length")
            length = int(value) if value is not None and value.isdigit() else -1
        return length

    def _check_size(self, size: int, limit: Optional[int] = None) -> None:
        if limit is None:
            limit = self._conn.app.max_body_size
        if size > limit:
            raise HTTPException(
                413, f"request body larger than {limit} bytes; the application's max_body_size is {limit}"
            )

    async def json(self) -> Any:
        """The body parsed as JSON (orjson), once; invalid or empty JSON is a 400."""
        try:
            return self._json
        except AttributeError:
            pass
        data = await self.body()
        if not data:
            raise HTTPException(400, "the request body is empty; send a JSON document")
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise HTTPException(400, f"request body is not valid JSON: {exc}") from None
        self._json = value
        return value

    def form(
        self,
        *,
        max_files: int = forms.MAX_FILES,
        max_fields: int = forms.MAX_FIELDS,
        max_part_size: int = forms.MAX_PART_SIZE,
    ) -> AwaitableOrContextManager[FormData]:
        """The submitted form (urlencoded or multipart), parsed as it streams in, once.

        ``form = await request.form()``, or ``async with request.form() as form:`` to close the
        uploaded files when the block ends; otherwise they are closed when the request is done.
        Too many fields or files is a 400, a text field over ``max_part_size`` bytes a 413.
        """
        return AwaitableOrContextManager(self._form_once(max_files, max_fields, max_part_size))

    async def _form_once(self, max_files: int, max_fields: int, max_part_size: int) -> FormData:
        try:
            return self._form
        except AttributeError:
            pass
        form = await forms.parse_form(
            self.headers.get("content-type"),
            self.stream(),
            max_fields=max_fields,
            max_files=max_files,
            max_part_size=max_part_size,
        )
        self._form = form
        return form

    async def close(self) -> None:
        """Close the files of a parsed form now (their temporary files are removed)."""
        form: Optional[FormData] = getattr(self, "_form", None)
        if form is not None:
            await form.close()


class AwaitableOrContextManager(Generic[_T]):
    """``await x`` for the value, or ``async with x as value:`` to close it when the block ends."""

    __slots__ = ("_awaitable", "_value")

    def __init__(self, awaitable: Awaitable[_T]) -> None:
        self._awaitable = awaitable

    def __await__(self) -> Generator[Any, None, _T]:
        return self._awaitable.__await__()

    async def __aenter__(self) -> _T:
        self._value = await self._awaitable
        return self._value

    async def __aexit__(self, *exc_info: object) -> None:
        await self._value.close()  # type: ignore[attr-defined]
