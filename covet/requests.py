"""The request a handler receives: head fields read straight from the parser, body on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Optional
from urllib.parse import parse_qsl

import orjson

from covet._speedups.messages import BaseRequest
from covet.exceptions import HTTPException


class Request(BaseRequest):
    """One HTTP request. Built by CovetPy's server, or from an ASGI scope under another server.

    ``method``, ``path``, ``query_string``, ``http_version`` and ``raw_headers`` come from the
    compiled ``BaseRequest``; the rest is computed when first asked for.
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
    def client(self) -> Optional[tuple[str, int]]:
        return self._conn.client  # type: ignore[no-any-return]

    @property
    def root_path(self) -> str:
        return self._conn.root_path  # type: ignore[no-any-return]

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The first value of header ``name`` (any case)."""
        key = name.lower().encode("latin-1")
        for n, v in self._head.headers:
            if n == key:
                return v.decode("latin-1")
        return default

    @property
    def query_params(self) -> dict[str, list[str]]:
        """Every value of every query parameter, in order."""
        if self._query is None:
            query: dict[str, list[str]] = {}
            for key, value in parse_qsl(self._head.query_string.decode("latin-1"), keep_blank_values=True):
                query.setdefault(key, []).append(value)
            self._query = query
        return self._query

    def query(self, name: str, default: Optional[str] = None) -> Optional[str]:
        values = self.query_params.get(name)
        return values[0] if values else default

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
