"""Work to do after the response has been sent: ``tasks.add_task(send_email, to, subject=...)``."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("covet.error")

__all__ = ["BackgroundTasks"]


class BackgroundTasks:
    """Tasks that run, in the order added, once the response has gone out.

    Declare a ``BackgroundTasks`` parameter (in a handler or a dependency) to get the request's
    list. An ``async def`` task runs on the event loop; a plain function runs in a worker thread
    (``asyncio.to_thread``) so that a slow one does not block other requests. A task that raises
    is logged to ``covet.error`` and the next one still runs. The object is itself the async
    callable a Response takes as ``background``.
    """

    __slots__ = ("tasks",)

    def __init__(self) -> None:
        self.tasks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    def add_task(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Call ``func(*args, **kwargs)`` after the response is sent."""
        if not callable(func):
            raise TypeError(f"add_task takes a function to call later, not {type(func).__name__}")
        self.tasks.append((func, args, kwargs))

    def __len__(self) -> int:
        return len(self.tasks)

    async def __call__(self) -> None:
        for func, args, kwargs in self.tasks:
            try:
                if is_async_callable(func):
                    await func(*args, **kwargs)
                else:
                    await asyncio.to_thread(functools.partial(func, *args, **kwargs))
            except Exception:
                logger.exception("Exception in background task %s", getattr(func, "__qualname__", func))


def is_async_callable(func: Callable[..., Any]) -> bool:
    """True for an ``async def`` function, or an object whose ``__call__`` is one."""
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(type(func).__call__)
