"""Run ``python -m covet serve ...`` as a real process in tests: wait until it answers, always clean up."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any, Optional

import httpx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPS = "tests.server.apps"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def covet_env() -> dict[str, str]:
    """The environment for a child that must import ``covet`` from this checkout, whatever its cwd."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_covet(*args: str, cwd: str = REPO, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run ``covet`` to completion (for commands expected to fail fast)."""
    return subprocess.run(
        [sys.executable, "-m", "covet", *args],
        cwd=cwd,
        env=covet_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class CovetProcess:
    """A ``covet serve`` process in its own process group, with stderr kept in a file."""

    def __init__(self, args: tuple[str, ...], cwd: str) -> None:
        self.output = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by kill_group
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "covet", "serve", *args],
            cwd=cwd,
            env=covet_env(),
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        self.output.seek(0)
        return self.output.read()

    def send_signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 10) -> int:
        return self.proc.wait(timeout)

    def wait_until(self, check: Callable[[], bool], timeout: float = 10, what: str = "the server") -> None:
        """Poll ``check`` until it is true; fail with the process log if it never is or the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"covet exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.TransportError):
                if check():
                    return
            time.sleep(0.05)
        raise AssertionError(f"{what} did not become ready within {timeout} s:\n{self.log()}")

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)
        self.output.close()


@contextlib.contextmanager
def covet_serve(
    *args: str, cwd: str = REPO, ready: Optional[Callable[[], Any]] = None
) -> Iterator[CovetProcess]:
    """Start ``covet serve *args``; wait until ``ready()`` returns a response with status 200."""
    process = CovetProcess(args, cwd)
    try:
        if ready is not None:
            process.wait_until(lambda: ready().status_code == 200)
        yield process
    finally:
        process.kill_group()
