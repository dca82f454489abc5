"""Exception handlers, by exception class and by HTTP status, and the debug error page.

``app.exception_handler(ValueError)`` or ``app.exception_handler(404)`` registers
``handler(request, exc) -> Response`` (plain or ``async def``); so does
``Covet(exception_handlers={...})``. As in Starlette, they apply at two depths:

* Around the endpoint, inside the middleware: an ``HTTPException`` goes to the handler of its
  status code, else any exception to the handler of the nearest class in its MRO
  (``HTTPException`` has a default one: its detail as text; ``covet.db.PoolTimeout`` too: a 503
  with ``Retry-After``, since the database pool being exhausted is an overload, not a bug).
  Middleware sees their responses.
* Outermost, for what is left: the handler registered for ``500`` or ``Exception``, else a plain
  500 — or, with ``Covet(debug=True)`` only, the traceback page (HTML or text by ``Accept``,
  escaped). Middleware sees these exceptions propagate from ``call_next``. Natively the server
  logs them; under an ASGI server they are re-raised after the 500 is sent, so the server logs
  them and the test client raises them in the test.

An exception a middleware raises is answered by the same lookup, then the 500.
"""

from __future__ import annotations

import html
import inspect
import linecache
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Union

from covet.db.errors import PoolTimeout
from covet.exceptions import HTTPException
from covet.responses import HTMLResponse, PlainTextResponse, Response

if TYPE_CHECKING:
    from covet.requests import Request

ExceptionHandler = Callable[["Request", Any], Union[Response, Awaitable[Response]]]
HandlerKey = Union[int, type[BaseException]]

# Lines of source shown around each frame's current line on the debug page.
_CONTEXT_LINES = 3
# Seconds a client is asked to wait when no database connection was free.
POOL_RETRY_AFTER = 1

logger = logging.getLogger("covet.error")


def http_exception_response(request: Request, exc: HTTPException) -> Response:
    """The default answer to an HTTPException: its detail as text (no body for 204 and 304)."""
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers or None)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers or None)


def pool_timeout_response(request: Request, exc: PoolTimeout) -> Response:
    """No database connection came free in time: 503 and ``Retry-After``, logged as a warning
    (the message says how full the pool was; raise its max_size or find the slow holder)."""
    logger.warning("%s %s: 503, %s", request.method, request.url.path, exc)
    return PlainTextResponse(
        "Service Unavailable: the server is too busy, try again shortly",
        status_code=503,
        headers={"Retry-After": str(POOL_RETRY_AFTER)},
    )


def plain_server_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("Internal Server Error", status_code=500)


def is_async_callable(handler: Any) -> bool:
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - an object with an async __call__
    )


class ExceptionHandlers:
    """The registered handlers, and which one answers a given exception."""

    def __init__(self, handlers: Mapping[HandlerKey, ExceptionHandler] | None = None) -> None:
        self.by_status: dict[int, ExceptionHandler] = {}
        self.by_class: dict[type[BaseException], ExceptionHandler] = {
            HTTPException: http_exception_response,
            PoolTimeout: pool_timeout_response,
        }
        self.server_error: ExceptionHandler | None = None
        for key, handler in (handlers or {}).items():
            self.add(key, handler)

    def add(self, key: HandlerKey, handler: ExceptionHandler) -> None:
        """Register ``handler`` for a status code (an int) or an exception class."""
        if not callable(handler):
            raise TypeError(f"exception handler for {key!r} must be callable, got {handler!r}")
        if key == 500 or key is Exception:
            self.server_error = handler
        elif isinstance(key, int) and not isinstance(key, bool):
            if not 400 <= key <= 599:
                raise ValueError(f"exception handlers take an error status (400-599), got {key}")
            self.by_status[key] = handler
        elif isinstance(key, type) and issubclass(key, BaseException):
            self.by_class[key] = handler
        else:
            raise TypeError(f"exception handlers take a status code or an exception class, not {key!r}")

    @property
    def any_async(self) -> bool:
        """Whether some handler must be awaited (then the server's synchronous path cannot call it)."""
        handlers = [*self.by_status.values(), *self.by_class.values(), self.server_error]
        return any(is_async_callable(h) for h in handlers if h is not None)

    def find(self, exc: BaseException) -> ExceptionHandler | None:
        """The handler for ``exc`` by status code, then by class; None if only the 500 is left."""
        if self.by_status and isinstance(exc, HTTPException):
            handler = self.by_status.get(exc.status_code)
            if handler is not None:
                return handler
        for cls in type(exc).__mro__:
            handler = self.by_class.get(cls)
            if handler is not None:
                return handler
        return None

    def resolve(self, exc: BaseException, debug: bool) -> tuple[ExceptionHandler, bool]:
        """The handler that answers ``exc``, and whether it is the last resort (a 500 to log).

        The last resort is the debug page when ``debug``, else the 500 handler, else a plain 500.
        """
        handler = self.find(exc)
        if handler is not None:
            return handler, False
        if debug:
            return debug_response, True
        return self.server_error or plain_server_error, True


def call_sync(handler: ExceptionHandler, request: Request, exc: BaseException) -> Response:
    """Run a handler from synchronous code (every handler is known not to be ``async def``)."""
    response = handler(request, exc)
    if inspect.isawaitable(response):
        close = getattr(response, "close", None)
        if close is not None:
            close()
        raise TypeError(f"exception handler {handler!r} returned an awaitable; declare it 'async def'")
    return _checked(handler, response)


async def call_async(handler: ExceptionHandler, request: Request, exc: BaseException) -> Response:
    response = handler(request, exc)
    if inspect.isawaitable(response):
        response = await response
    return _checked(handler, response)


def _checked(handler: ExceptionHandler, response: Any) -> Response:
    from covet._speedups.messages import BaseResponse

    if not isinstance(response, BaseResponse):
        raise TypeError(f"exception handler {handler!r} returned {type(response).__name__}, not a Response")
    return response  # type: ignore[return-value]


# -- the debug page ------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>500 Internal Server Error</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
h1 {{ color: #a00; font-size: 1.4em; }}
.request {{ color: #555; }}
.frame {{ margin: 1em 0; border: 1px solid #ddd; }}
.where {{ background: #f3f3f3; padding: .4em .6em; font-family: monospace; }}
pre {{ margin: 0; padding: .4em .6em; overflow-x: auto; }}
.current {{ background: #fde2e2; }}
.notice {{ color: #a00; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="request">{method} {path}</p>
<p class="notice">This page is shown because the application runs with debug=True.
Never run with debug=True in production: the page shows your source code.</p>
{frames}
</body>
</html>
"""


def debug_response(request: Request, exc: BaseException) -> Response:
    """The traceback of ``exc`` as a 500: HTML for browsers (``Accept: text/html``), else text."""
    accept = b""
    for name, value in request.raw_headers:
        if name == b"accept":
            accept = value
            break
    if b"text/html" in accept:
        return HTMLResponse(_debug_html(request, exc), status_code=500)
    text = "".join(traceback.format_exception(exc))
    return PlainTextResponse(f"500 Internal Server Error\n\n{text}", status_code=500)


def _debug_html(request: Request, exc: BaseException) -> str:
    title = f"{type(exc).__qualname__}: {exc}" if str(exc) else type(exc).__qualname__
    chain = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = []
    for error in reversed(chain):
        if error is not exc:
            parts.append(f"<h2>{html.escape(type(error).__qualname__)}: {html.escape(str(error))}</h2>")
        parts.extend(_frame_html(frame) for frame in traceback.extract_tb(error.__traceback__))
    return _PAGE.format(
        title=html.escape(title),
        method=html.escape(request.method),
        path=html.escape(request.path),
        frames="\n".join(parts),
    )


def _frame_html(frame: traceback.FrameSummary) -> str:
    lineno = frame.lineno or 0
    lines = []
    for number in range(max(1, lineno - _CONTEXT_LINES), lineno + _CONTEXT_LINES + 1):
        source = linecache.getline(frame.filename, number)
        if not source:
            continue
        css = ' class="current"' if number == lineno else ""
        lines.append(f"<pre{css}>{number:>5}  {html.escape(source.rstrip())}</pre>")
    where = f"{html.escape(frame.filename)}, line {lineno}, in {html.escape(frame.name)}"
    return f'<div class="frame"><div class="where">{where}</div>{"".join(lines)}</div>'

