"""Driving an app's ASGI lifespan from a test client: start-up on entry, shut-down on exit."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from covet.asgi import ASGI_VERSION, ASGIApp, Message


class LifespanError(RuntimeError):
    """The app reported that its start-up or shut-down failed (and raised nothing to show)."""


class LifespanDriver:
    """Sends ``lifespan.startup`` on ``start`` and ``lifespan.shutdown`` on ``stop``.

    As uvicorn does, an app that raises before answering the first message is taken not to
    support lifespan. A failure the app reports raises its exception here, in the test.
    """

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state
        self.task: Optional[asyncio.Task[None]] = None
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.outbox: asyncio.Queue[Optional[Message]] = asyncio.Queue()
        self.answered = False

    async def start(self) -> None:
        self.inbox = asyncio.Queue()
        self.outbox = asyncio.Queue()
        self.answered = False
        scope = {"type": "lifespan", "asgi": ASGI_VERSION, "state": self.state}
        self.task = asyncio.get_running_loop().create_task(self._run(scope))
        await self._exchange("lifespan.startup")

    async def stop(self) -> None:
        if self.task is None:
            return
        try:
            if not self.task.done():
                await self._exchange("lifespan.shutdown")
        finally:
            task, self.task = self.task, None
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self.inbox.get, self._send)
        finally:
            self.outbox.put_nowait(None)

    async def _send(self, message: Message) -> None:
        self.answered = True
        await self.outbox.put(message)

    async def _exchange(self, kind: str) -> None:
        await self.inbox.put({"type": kind})
        reply = await self.outbox.get()
        assert self.task is not None
        if reply is None:  # the app ended instead of answering
            error = self.task.exception() if not self.task.cancelled() else None
            if error is not None and self.answered:
                raise error
            return  # raised before answering anything: no lifespan support
        if reply["type"] == f"{kind}.failed":
            await asyncio.gather(self.task, return_exceptions=True)
            error = self.task.exception() if not self.task.cancelled() else None
            if error is not None:
                raise error
            raise LifespanError(reply.get("message") or f"{kind} failed")
        if reply["type"] != f"{kind}.complete":
            raise LifespanError(f"the app answered {kind!r} with {reply['type']!r}")
