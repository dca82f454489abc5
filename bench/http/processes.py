"""Server processes: start one pinned to a core, wait until it answers, read its CPU time, stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"  # the only address the harness ever talks to
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class ServerFailed(RuntimeError):
    """The server exited or never answered; the message ends with its log."""


class ServerProcess:
    """One server, started in its own session so it and any workers it forks stop together."""

    def __init__(self, name: str, argv: list[str], port: int, cpu: Optional[int]) -> None:
        self.name = name
        self.port = port
        self.argv = (["taskset", "-c", str(cpu)] if cpu is not None else []) + argv
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix=f"covet-bench-{name}-", suffix=".log", delete=False
        )
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # A file, not a pipe: a server blocked on a full pipe would measure as slow.
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 25) -> str:
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace")
        return "\n".join(text.strip().splitlines()[-lines:])

    def last_words(self) -> str:
        """The last line the server logged, as ': line' (for one-line reports), or ''."""
        tail = self.log_tail(1)
        return f": {tail.strip()}" if tail.strip() else ""

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Return once the port accepts connections; ServerFailed if the process exits first."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise ServerFailed(
                    f"{self.name} exited with status {self.process.returncode} before answering"
                    f"{self.last_words()}\n{self.log_tail()}"
                )
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerFailed(
                        f"{self.name} did not accept connections on port {self.port} within {timeout:g} s"
                        f"{self.last_words()}\n{self.log_tail()}"
                    ) from None
                time.sleep(0.05)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server and its live descendants."""
        total = 0
        for pid in _process_tree(self.process.pid):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14, 15)
        return total / _TICKS

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM to the server's process group, SIGKILL after ``grace`` seconds."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(grace)
        # Workers that outlived their parent are still in the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()

    def discard_log(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


def _process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def core_busy_seconds(cpu: int) -> float:
    """CPU time core ``cpu`` has spent busy since boot (anything but idle and iowait)."""
    for line in Path("/proc/stat").read_text().splitlines():
        fields = line.split()
        if fields[0] == f"cpu{cpu}":
            ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
            return (sum(ticks) - ticks[3] - ticks[4]) / _TICKS
    return 0.0
