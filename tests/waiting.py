"""Waiting for something another task or thread does, without guessing how long it takes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` until it holds (a condition, where ``asyncio.wait_for`` takes an
    awaitable); AssertionError after ``timeout`` seconds: a hang, not a slow machine, since what
    is awaited takes milliseconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)
