"""``--workers N``: N forked server processes share one listening socket; the parent keeps them running.

The parent never runs an event loop. It waits on a self-pipe that signal handlers write to
(``signal.set_wakeup_fd``), so SIGCHLD, SIGTERM, SIGINT and SIGHUP are handled in one plain loop
without races against ``waitpid``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Iterable
from typing import Any, NoReturn, Optional

from covet.server.config import ServerConfig
from covet.server.serve import run

logger = logging.getLogger("covet.server")

# A worker that dies sooner than this after it was forked failed at startup, not in service.
STARTUP_SECONDS = 2.0
# That many startup failures in a row mean restarting will not help: stop and exit non-zero.
STARTUP_FAILURES_LIMIT = 5
# Restart delay: doubles with each startup failure in a row, up to the maximum.
RESTART_DELAY = 0.1
RESTART_DELAY_MAX = 5.0
# After the grace period a worker still has to run the app's lifespan shutdown; then it is killed.
SHUTDOWN_MARGIN = 5.0
# Exit code of a worker whose application startup failed (``serve.run``): restarting cannot help.
STARTUP_FAILED_EXIT = 3

_SIGNALS = (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Supervisor:
    """Forks ``config.workers`` workers serving ``app`` on ``sock``, restarts the ones that die,
    and stops them all gracefully on SIGTERM/SIGINT. SIGHUP replaces every worker with a new one.
    """

    def __init__(self, app: Any, config: ServerConfig, sock: socket.socket) -> None:
        self.app = app
        self.config = config
        self.sock = sock
        self.workers: dict[int, float] = {}  # pid -> monotonic time it was forked
        self.retiring: set[int] = set()  # replaced on SIGHUP: their exit is expected
        self.restarts_due: list[float] = []  # monotonic times at which to fork a replacement
        self.startup_failures = 0  # in a row
        self.stop_deadline: Optional[float] = None
        self.exit_code = 0
        self._wakeup: tuple[int, int] = (-1, -1)

    def run(self) -> int:
        """Serve until told to stop; the exit code for the parent process."""
        self._wakeup = os.pipe()
        for fd in self._wakeup:
            os.set_blocking(fd, False)
        previous = {sig: signal.signal(sig, _ignore) for sig in _SIGNALS}
        previous_fd = signal.set_wakeup_fd(self._wakeup[1], warn_on_full_buffer=False)
        try:
            logger.info("Supervisor %d starting %d workers", os.getpid(), self.config.workers)
            for _ in range(self.config.workers):
                self._fork_worker()
            while self.workers or (self.restarts_due and self.stop_deadline is None):
                self._wait(self._next_timeout())
                self._reap()
                self._fork_due_workers()
                self._kill_stragglers()
        finally:
            signal.set_wakeup_fd(previous_fd)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for fd in self._wakeup:
                os.close(fd)
        logger.info("Supervisor %d stopped", os.getpid())
        return self.exit_code

    # -- the loop ---------------------------------------------------------------------------

    def _next_timeout(self) -> float:
        moments = list(self.restarts_due)
        if self.stop_deadline is not None:
            moments.append(self.stop_deadline)
        if not moments:
            return 1.0  # a safety net: SIGCHLD wakes the loop, this only bounds a lost wake-up
        return max(0.0, min(moments) - time.monotonic())

    def _wait(self, timeout: float) -> None:
        readable, _, _ = select.select([self._wakeup[0]], [], [], timeout)
        if not readable:
            return
        try:
            received = os.read(self._wakeup[0], 512)
        except BlockingIOError:
            return
        for signum in received:
            if signum in (signal.SIGINT, signal.SIGTERM):
                self._stop(signal.Signals(signum).name)
            elif signum == signal.SIGHUP:
                self._replace_all()

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            started = self.workers.pop(pid, None)
            if started is None:
                continue
            if pid in self.retiring:
                self.retiring.discard(pid)
            elif self.stop_deadline is None:
                self._worker_died(pid, os.waitstatus_to_exitcode(status), time.monotonic() - started)

    def _worker_died(self, pid: int, code: int, lifetime: float) -> None:
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
        if code == STARTUP_FAILED_EXIT:
            logger.error("Worker %d %s: the application's startup failed; stopping", pid, how)
            self.exit_code = STARTUP_FAILED_EXIT
            self._stop("application startup failure")
            return
        self.startup_failures = self.startup_failures + 1 if lifetime < STARTUP_SECONDS else 0
        if self.startup_failures >= STARTUP_FAILURES_LIMIT:
            logger.error(
                "Workers keep dying at startup (%d in a row, each within %.0f s); giving up. "
                "See the errors above; run with --workers 1 to debug in the foreground.",
                self.startup_failures,
                STARTUP_SECONDS,
            )
            self.exit_code = 1
            self._stop("too many startup failures")
            return
        delay = min(RESTART_DELAY * 2**self.startup_failures, RESTART_DELAY_MAX)
        logger.warning("Worker %d %s; starting a replacement in %.1f s", pid, how, delay)
        self.restarts_due.append(time.monotonic() + delay)

    def _fork_due_workers(self) -> None:
        now = time.monotonic()
        due = [moment for moment in self.restarts_due if moment <= now]
        self.restarts_due = [moment for moment in self.restarts_due if moment > now]
        if self.stop_deadline is None:
            for _ in due:
                self._fork_worker()

    def _kill_stragglers(self) -> None:
        if self.stop_deadline is None or time.monotonic() < self.stop_deadline or not self.workers:
            return
        logger.warning("Killing %d workers still running after the grace period", len(self.workers))
        for pid in self.workers:
            _send(pid, signal.SIGKILL)
        self.stop_deadline = time.monotonic() + 1.0  # come back to reap them

    # -- commands ---------------------------------------------------------------------------

    def _stop(self, reason: str) -> None:
        if self.stop_deadline is not None:
            logger.warning("Stopping now: killing %d workers (%s again)", len(self.workers), reason)
            self.stop_deadline = time.monotonic()
            return
        logger.info("Shutting down %d workers (%s)", len(self.workers), reason)
        self.stop_deadline = time.monotonic() + self.config.timeout_graceful_shutdown + SHUTDOWN_MARGIN
        self.restarts_due.clear()
        for pid in self.workers:
            _send(pid, signal.SIGTERM)

    def _replace_all(self) -> None:
        """SIGHUP: start a fresh worker for each running one, then stop the old ones gracefully."""
        if self.stop_deadline is not None:
            return
        old = [pid for pid in self.workers if pid not in self.retiring]
        logger.info("Replacing %d workers (SIGHUP)", len(old))
        for pid in old:
            self._fork_worker()
            self.retiring.add(pid)
            _send(pid, signal.SIGTERM)

    def _fork_worker(self) -> None:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        pid = os.fork()
        if pid == 0:
            self._become_worker(blocked)  # never returns
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        self.workers[pid] = time.monotonic()

    def _become_worker(self, blocked: Iterable[int]) -> NoReturn:
        """In the child: drop the parent's signal set-up, serve, and leave without the parent's cleanup."""
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for fd in self._wakeup:
                os.close(fd)
            for sig in _SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            code = run(self.app, self.config, sockets=[self.sock])
        except KeyboardInterrupt:
            code = 0
        except BaseException:
            logger.exception("Worker %d crashed", os.getpid())
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


def _ignore(signum: int, frame: Any) -> None:
    """Installed so the signal reaches the wake-up pipe; the loop reads and acts on it."""


def _send(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone: it will be reaped
        os.kill(pid, sig)
