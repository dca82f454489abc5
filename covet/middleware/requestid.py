"""Request ids: accept a valid incoming ``X-Request-ID`` or make one, echo it, put it in logs.

::

    app.add_middleware(RequestIDMiddleware)
    handler.addFilter(RequestIDLogFilter())     # then "%(request_id)s" in the log format

The id is in a context variable for the rest of the request (``get_request_id()``), the
error log of a request that failed included; outside a request it is ``"-"``. An incoming id
is kept when it is 1-128 characters of letters, digits and ``-._~:/+=`` (what UUIDs, ULIDs
and the usual proxies' ids are made of), else replaced: an id ends up in log lines, so it must
not carry spaces, quotes or control characters. Set ``trust_incoming=False`` to always make
a fresh one, for an app that is not behind a proxy of its own.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

from covet.middleware.base import BaseHTTPMiddleware, CallNext, header_value

if TYPE_CHECKING:
    from covet.requests import Request
    from covet.responses import Response

request_id: ContextVar[str] = ContextVar("covet_request_id", default="-")
_VALID = re.compile(rb"[A-Za-z0-9._~:/+=-]{1,128}")


def get_request_id() -> str:
    """The current request's id, or ``"-"`` outside a request."""
    return request_id.get()


def make_request_id() -> str:
    """128 random bits as 32 hex digits, shaped like ``uuid4().hex``."""
    # PERF: ``random`` rather than ``os.urandom`` (a system call, 5x the cost): a request id
    # correlates log lines and is no secret. ``random`` is reseeded in forked workers.
    return f"{random.getrandbits(128):032x}"


class RequestIDMiddleware(BaseHTTPMiddleware):
    """Sets the request id (see the module docstring) and echoes it in the response."""

    def __init__(
        self,
        app: CallNext,
        *,
        header_name: str = "X-Request-ID",
        trust_incoming: bool = True,
        generator: Callable[[], str] = make_request_id,
    ) -> None:
        super().__init__(app)
        self.header = header_name.lower().encode("latin-1")
        self.trust_incoming = trust_incoming
        self.generator = generator

    async def __call__(self, request: Request) -> Response:
        incoming = header_value(request.raw_headers, self.header) if self.trust_incoming else None
        if incoming is not None and _VALID.fullmatch(incoming):
            value = incoming.decode("ascii")
        else:
            value = self.generator()
        # Not reset afterwards: the error log of a failed request, written after this layer has
        # been left, carries the id too. Each request runs in a context of its own.
        request_id.set(value)
        response = await self.app(request)
        response.headers.append((self.header, value.encode("latin-1")))
        return response


class RequestIDLogFilter(logging.Filter):
    """Gives every record a ``request_id`` attribute (``"-"`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True
