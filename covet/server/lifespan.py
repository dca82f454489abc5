"""The ASGI ``lifespan`` scope: startup before the first connection, shutdown after the last."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from covet.server.asgi import ASGI_VERSION

logger = logging.getLogger("covet.error")


class LifespanError(RuntimeError):
    """The application reported that its startup failed."""


class Lifespan:
    """Drives an app's lifespan protocol; apps that do not speak it are run without it."""

    def __init__(self, app: Any, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.startup_done = asyncio.Event()
        self.shutdown_done = asyncio.Event()
        self.failure: str | None = None
        self.supported = True
        self.task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())
        await self.inbox.put({"type": "lifespan.startup"})
        await self.startup_done.wait()
        if self.failure is not None:
            raise LifespanError(f"application startup failed: {self.failure}")

    async def shutdown(self) -> None:
        if not self.supported or self.task is None:
            return
        await self.inbox.put({"type": "lifespan.shutdown"})
        await self.shutdown_done.wait()
        if self.failure is not None:
            logger.error("Application shutdown failed: %s", self.failure)

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": ASGI_VERSION, "state": self.state}
        try:
            await self.app(scope, self.inbox.get, self._send)
        except BaseException as exc:
            if not self.startup_done.is_set():
                # An app that raises before answering startup does not support lifespan.
                self.supported = False
                logger.debug("ASGI lifespan unsupported by the application: %r", exc)
            else:
                self.failure = self.failure or repr(exc)
                logger.error("Exception in the lifespan protocol", exc_info=exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            self.startup_done.set()
            self.shutdown_done.set()

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            self.startup_done.set()
        elif kind == "lifespan.startup.failed":
            self.failure = message.get("message", "") or "no reason given"
            self.startup_done.set()
        elif kind == "lifespan.shutdown.complete":
            self.shutdown_done.set()
        elif kind == "lifespan.shutdown.failed":
            self.failure = message.get("message", "") or "no reason given"
            self.shutdown_done.set()
        else:
            raise RuntimeError(f"unexpected ASGI lifespan message {kind!r}")
