"""An app's start-up and shut-down: ``on_startup``/``on_shutdown`` hooks and a lifespan context.

``Covet(lifespan=fn)`` takes ``fn(app)`` returning an async context manager (write it with
``@contextlib.asynccontextmanager``), entered at start-up and exited at shut-down. The mapping it
yields, if any, is the lifespan state: it is put in the ``state`` the server passes with the
lifespan scope, which the server copies into every request's scope (Starlette's lifespan
state), and kept as ``app.lifespan_state``. Start-up runs the ``on_startup`` hooks, then enters
the context; shut-down exits the context, then runs the ``on_shutdown`` hooks.

A failed start-up is reported with ``lifespan.startup.failed`` saying which step failed and
why, then re-raised, so the server logs the traceback and exits (CovetPy's server and uvicorn
with status 3) and the test client raises it in the test.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Optional, Union

if TYPE_CHECKING:
    from covet.app import Covet
    from covet.asgi import Receive, Scope, Send

Hook = Callable[[], Any]
LifespanContext = Callable[["Covet"], AbstractAsyncContextManager[Optional[Mapping[str, Any]]]]
LifespanFunction = Union[LifespanContext, Callable[["Covet"], AsyncIterator[Optional[Mapping[str, Any]]]]]


def _name(function: Any) -> str:
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None) or repr(function)
    return f"{module}.{qualname}" if module else qualname


class AppLifespan:
    """Runs one app's start-up and shut-down steps, and holds its lifespan context in between."""

    def __init__(self, lifespan: Optional[LifespanFunction]) -> None:
        if lifespan is not None and not callable(lifespan):
            raise TypeError(f"lifespan must be a function taking the app, got {lifespan!r}")
        if inspect.isasyncgenfunction(lifespan):
            lifespan = contextlib.asynccontextmanager(lifespan)
        self.lifespan: Optional[LifespanContext] = lifespan  # type: ignore[assignment]
        self.context: Optional[AbstractAsyncContextManager[Any]] = None
        self.failed_step = ""

    async def startup(self, app: Covet) -> None:
        for hook in list(app.on_startup):
            await self._run_step(f"startup hook {_name(hook)}", hook)
        if self.lifespan is None:
            return
        step = f"lifespan {_name(self.lifespan)}"
        context = self.lifespan(app)
        if not hasattr(context, "__aenter__"):
            if inspect.iscoroutine(context):
                context.close()  # an 'async def' that returns: it will not be awaited
            raise TypeError(
                f"{step} returned {type(context).__name__}, not an async context manager; "
                "decorate it with @contextlib.asynccontextmanager"
            )
        state = await self._run_step(step, context.__aenter__)
        self.context = context
        if state is not None:
            if not isinstance(state, Mapping):
                raise TypeError(f"{step} yielded {type(state).__name__}; yield a mapping (the state) or None")
            app.lifespan_state.update(state)

    async def shutdown(self, app: Covet) -> None:
        context, self.context = self.context, None
        if context is not None:
            await self._run_step(f"lifespan {_name(self.lifespan)}", context.__aexit__, None, None, None)
        for hook in list(app.on_shutdown):
            await self._run_step(f"shutdown hook {_name(hook)}", hook)

    async def _run_step(self, step: str, function: Callable[..., Any], *args: Any) -> Any:
        try:
            result = function(*args)
            if inspect.isawaitable(result):
                result = await result
            return result
        except BaseException as exc:
            self.failed_step = step
            exc.add_note(f"(raised by the {step})")
            raise


def _failure(lifespan: AppLifespan, exc: BaseException) -> str:
    return f"{lifespan.failed_step or 'lifespan'} failed: {type(exc).__name__}: {exc}"


async def run_lifespan_protocol(app: Covet, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer the ASGI lifespan messages for ``app``."""
    state = scope.get("state")
    if state is not None:
        app.lifespan_state = state  # the server copies this dict into every request's scope
    message = await receive()
    if message["type"] != "lifespan.startup":
        raise RuntimeError(f"expected 'lifespan.startup', got {message['type']!r}")
    try:
        await app.startup()
    except BaseException as exc:
        await send({"type": "lifespan.startup.failed", "message": _failure(app._lifespan, exc)})
        raise
    await send({"type": "lifespan.startup.complete"})
    message = await receive()
    if message["type"] != "lifespan.shutdown":
        raise RuntimeError(f"expected 'lifespan.shutdown', got {message['type']!r}")
    try:
        await app.shutdown()
    except BaseException as exc:
        await send({"type": "lifespan.shutdown.failed", "message": _failure(app._lifespan, exc)})
        raise
    await send({"type": "lifespan.shutdown.complete"})
