"""The request a handler receives: head fields read straight from the parser, body on demand."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any, Optional
from urllib.parse import quote

import orjson

from covet._speedups.messages import BaseRequest
from covet.cookies import parse_cookie_header
from covet.datastructures import URL, Address, Headers, QueryParams, State
from covet.exceptions import HTTPException

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


def _decode_text(raw: bytes) -> str:
    """Header text: UTF-8 as browsers send non-ASCII cookie values, else latin-1 byte for byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class Request(BaseRequest):
    """One HTTP request. Built by CovetPy's server, or from an ASGI scope under another server.

    ``method``, ``path`` (decoded), ``query_string``, ``http_version`` and ``raw_headers`` come
    from the compiled ``BaseRequest``; ``url``, ``headers``, ``query_params``, ``cookies`` and
    ``state`` are built on first use and kept for the rest of the request.
    """

    __slots__ = ()

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
            cookies = self._cookies = parse_cookie_header(_decode_text(b"; ".join(values))) if values else {}
        return cookies  # type: ignore[no-any-return]

    @property
    def state(self) -> State:
        """Per-request storage for middleware and handlers: ``request.state.user = ...``."""
        state = self._state
        if state is None:
            state = self._state = State()
        return state  # type: ignore[no-any-return]

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

    async def body(self) -> bytes:
        """The whole body (read once, then cached so middleware and handler both see it)."""
        if self._body is None:
            self._body = await self._source.read_body()
        return self._body

    async def stream(self) -> AsyncIterator[bytes]:
        if self._body is not None:
            if self._body:
                yield self._body
            return
        async for chunk in self._source.stream():
            yield chunk

    async def json(self) -> Any:
        data = await self.body()
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise HTTPException(400, f"request body is not valid JSON: {exc}") from None
