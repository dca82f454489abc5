"""``--reload``: serve from a spawned child process and replace it when Python files change.

The child is spawned, not forked, so it imports the app afresh. The listening socket is bound
once by the parent and handed to every child, so the port stays open across restarts. A child
that fails (a syntax error, say) is not restarted until the next change.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess
from typing import Any

import watchfiles

from covet.server.config import ServerConfig
from covet.server.importer import AppImportError, AppSpec
from covet.server.logs import configure_logging
from covet.server.serve import run

logger = logging.getLogger("covet.server")

# How often the watcher returns without changes, to notice a child that exited.
POLL_MS = 500
# After the grace period the child still has to run the app's lifespan shutdown; then it is killed.
SHUTDOWN_MARGIN = 5.0


def run_with_reload(app: AppSpec, config: ServerConfig, sock: socket.socket) -> int:
    """Serve ``app`` in a child process, restarting it on changes, until SIGINT or SIGTERM."""
    directories = [os.path.abspath(d) for d in config.reload_dirs] or [os.getcwd()]
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    logger.info("Reloader %d watching %s for changes to Python files", os.getpid(), ", ".join(directories))
    child = _start_child(app, config, sock)
    exit_reported = False
    try:
        for changes in watchfiles.watch(
            *directories,
            watch_filter=watchfiles.PythonFilter(),
            stop_event=stop,
            rust_timeout=POLL_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            if changes:
                changed = sorted({os.path.relpath(path) for _, path in changes})
                logger.info("Detected changes in %s; restarting", ", ".join(changed))
                _stop_child(child, config)
                child = _start_child(app, config, sock)
                exit_reported = False
            elif not child.is_alive() and not exit_reported:
                logger.warning(
                    "The server exited with code %s; it restarts when a file changes", child.exitcode
                )
                exit_reported = True
    finally:
        _stop_child(child, config)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _start_child(app: AppSpec, config: ServerConfig, sock: socket.socket) -> BaseProcess:
    # The socket is pickled for the spawned process as a file descriptor it inherits.
    child = multiprocessing.get_context("spawn").Process(target=serve_child, args=(app, config, sock))
    child.start()
    return child


def _stop_child(child: BaseProcess, config: ServerConfig) -> None:
    if child.is_alive() and child.pid is not None:
        os.kill(child.pid, signal.SIGTERM)
        child.join(config.timeout_graceful_shutdown + SHUTDOWN_MARGIN)
        if child.is_alive():
            logger.warning("The server did not stop within the grace period; killing it")
            child.kill()
    child.join()


def serve_child(app: AppSpec, config: ServerConfig, sock: socket.socket) -> None:
    """The spawned process: load the app afresh and serve it on the parent's socket."""
    configure_logging(config.log_level, config.access_log)
    try:
        loaded = app.load()
    except AppImportError as exc:
        print(f"covet: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group, this child included
        sys.exit(0)
    sys.exit(run(loaded, config, sockets=[sock]))
