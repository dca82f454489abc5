"""One request through a CovetPy app as CovetPy's server runs it natively, without a server or an
event loop, for the comparisons that time what the app layer costs per request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from covet._speedups.messages import BaseResponse


class Connection:
    """What ``Request(head, conn, source)`` reads from the server's connection."""

    app = None
    scheme = "http"
    client = ("127.0.0.1", 50000)
    server = ("127.0.0.1", 8000)
    root_path = ""


def native_call(handler: Any, make_request: Callable[[], Any]) -> Callable[[], BaseResponse]:
    """A call that answers one request from ``make_request()`` through ``handler`` (what an
    app's ``__covet_handler__()`` returns): ``dispatch``, the handler's coroutine stepped to its
    end, then ``convert`` when it returned no Response. The handlers timed must not suspend."""
    dispatch, convert = handler.dispatch, handler.convert

    def run() -> BaseResponse:
        request = make_request()
        outcome = dispatch(request)
        if isinstance(outcome, BaseResponse):
            return outcome
        try:
            outcome.send(None)
        except StopIteration as done:
            value = done.value
        else:
            raise RuntimeError("the handler suspended; these comparisons time handlers that do not")
        return value if isinstance(value, BaseResponse) else convert(request, value)

    return run
