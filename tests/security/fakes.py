"""Test doubles shared by the security tests: a hand-moved clock."""

from __future__ import annotations

NOW = 1_700_000_000.0


class Clock:
    """A clock the test moves by hand: call it for the time, set or add to ``now``."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
