"""ASGI apps whose lifespan startup goes wrong, to see what the supervisor does about it."""

import asyncio
import os


async def crash_at_startup(scope, receive, send):
    """The worker process dies before it serves anything, as a segfaulting extension would."""
    if scope["type"] == "lifespan":
        await receive()
        os._exit(1)


async def startup_fails(scope, receive, send):
    """The app reports that its startup failed (e.g. the database is unreachable)."""
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "database unreachable"})


async def hangs_at_shutdown(scope, receive, send):
    """Serves requests, but its lifespan shutdown never finishes (a stuck cleanup hook)."""
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(os.getpid()).encode()})
        return
    await receive()
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await asyncio.sleep(3600)
