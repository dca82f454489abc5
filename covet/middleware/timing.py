"""``Server-Timing: app;dur=12.345``: how long the app took, for browsers' developer tools.

The time runs from this layer receiving the request to the inner layers handing back the
response, in milliseconds: for a streaming response, until its head is ready (the body
follows as it is produced). Put the middleware innermost to time the handler alone, outermost
to include the other middleware. Existing ``Server-Timing`` entries are kept; ``name`` (and an
optional ``description``) label this one.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Optional

from covet.middleware.base import BaseHTTPMiddleware, CallNext

if TYPE_CHECKING:
    from covet.requests import Request
    from covet.responses import Response

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class TimingMiddleware(BaseHTTPMiddleware):
    """Adds a ``Server-Timing`` entry with the app's duration; see the module docstring."""

    def __init__(self, app: CallNext, *, name: str = "app", description: Optional[str] = None) -> None:
        super().__init__(app)
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"a Server-Timing name is an HTTP token (letters, digits, -._), not {name!r}")
        label = name
        if description is not None:
            escaped = description.replace("\\", "\\\\").replace('"', '\\"')
            label += f';desc="{escaped}"'
        self.prefix = (label + ";dur=").encode("latin-1")

    async def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        response = await self.app(request)
        elapsed = (time.perf_counter() - started) * 1000.0
        response.headers.append((b"server-timing", self.prefix + b"%.3f" % elapsed))
        return response
