"""One server process: bind, run the app's lifespan, serve connections, shut down gracefully."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import os
import signal
import socket
import stat
import sys
from collections.abc import Callable
from typing import Any, Optional, cast

from covet._speedups.connection import HttpConnection, ServerState
from covet.server.config import ServerConfig
from covet.server.lifespan import Lifespan, LifespanError

logger = logging.getLogger("covet.server")


def native_handler(app: Any) -> Any:
    """What a CovetPy app offers the server to call without ASGI; None for other apps.

    It has ``dispatch(request)`` (a response, or the handler's coroutine), ``convert(request,
    value)`` for handler results that are not responses, and ``handle_error(request, exc)``.
    """
    get = getattr(app, "__covet_handler__", None)
    return get() if get is not None else None


def _remove_stale_socket(path: str) -> None:
    """Remove a socket file left by a server that is gone; refuse anything else at ``path``."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise OSError(
            errno.EEXIST, f"{path} exists and is not a socket; remove it or choose another --uds path"
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)  # nobody listens: a leftover from a server that died
    else:
        raise OSError(errno.EADDRINUSE, f"another server is listening on {path}")
    finally:
        probe.close()


def bind_socket(config: ServerConfig) -> socket.socket:
    """The listening socket for ``config`` (TCP or Unix), bound before any worker starts."""
    if config.uds:
        _remove_stale_socket(config.uds)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(config.uds)
        os.chmod(config.uds, 0o666)  # noqa: S103 - the socket is reached by a local proxy  # nosec B103
    else:
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((config.host, config.port))
        except OSError as exc:
            sock.close()
            where = f"{config.host}:{config.port}"
            raise OSError(exc.errno, f"cannot listen on {where}: {exc.strerror}") from None
    sock.listen(config.backlog)
    sock.set_inheritable(True)
    return sock


def sweep_interval(config: ServerConfig) -> float:
    """How often deadlines are checked: a quarter of the shortest timeout, at most once a second."""
    shortest = min(config.timeout_header, config.timeout_keep_alive, config.timeout_body)
    return max(0.01, min(1.0, shortest / 4))


class Server:
    """Serves ``app`` on the given sockets until told to stop (SIGINT/SIGTERM or ``request_exit``)."""

    def __init__(self, app: Any, config: ServerConfig) -> None:
        self.app = app
        self.config = config
        self.state = ServerState(config.server_header)
        self.handler = native_handler(app)
        policy = getattr(self.handler, "default_headers", None)
        if policy is not None:
            self.state.set_default_headers(policy)
        self.servers: list[asyncio.base_events.Server] = []
        self.exit_event: Optional[asyncio.Event] = None
        self.started = False

    def request_exit(self) -> None:
        if self.exit_event is not None:
            self.exit_event.set()

    async def serve(self, sockets: Optional[list[socket.socket]] = None) -> None:
        loop = asyncio.get_running_loop()
        self.exit_event = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Not possible outside the main thread (tests run servers in threads).
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.request_exit)
        lifespan = Lifespan(self.app, self.state.lifespan_state)
        try:
            await lifespan.startup()
        except LifespanError as exc:
            logger.error("%s", exc)
            raise
        own_sockets = sockets is None
        if sockets is None:
            sockets = [bind_socket(self.config)]
        try:
            await self._listen(sockets)
            # What start-up built lives as long as the process: keep it out of the cyclic GC's
            # reach, so that its full collections stay short under load.
            gc.freeze()
            self.started = True
            self._announce()
            await self.exit_event.wait()
            await self._shutdown()
        finally:
            try:
                async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                    await lifespan.shutdown()
            except TimeoutError:
                logger.error(
                    "Application shutdown hooks still running after %.1f s: exiting without them",
                    self.config.timeout_graceful_shutdown,
                )
            if own_sockets:
                for sock in sockets:
                    sock.close()
                if self.config.uds and os.path.exists(self.config.uds):
                    os.unlink(self.config.uds)

    async def _listen(self, sockets: list[socket.socket]) -> None:
        loop = asyncio.get_running_loop()
        config = self.config
        ssl_context = config.ssl_context()

        def factory() -> asyncio.Protocol:
            # HttpConnection is a compiled class with the asyncio.Protocol interface.
            connection: Any = HttpConnection(self.app, self.handler, config, self.state)
            return cast(asyncio.Protocol, connection)

        self.state.start_clock(loop, sweep_interval(config))
        for sock in sockets:
            create = loop.create_unix_server if sock.family == socket.AF_UNIX else loop.create_server
            server = await create(factory, sock=sock, ssl=ssl_context, backlog=config.backlog)
            self.servers.append(server)

    def _announce(self) -> None:
        config = self.config
        scheme = "https" if config.is_ssl else "http"
        where = f"unix:{config.uds}" if config.uds else f"{scheme}://{config.host}:{config.port}"
        mode = "native" if self.handler is not None else "ASGI"
        logger.info("CovetPy serving on %s (process %d, %s app)", where, os.getpid(), mode)

    async def _shutdown(self) -> None:
        """Stop accepting, let requests in flight finish within the grace period, then close."""
        state = self.state
        state.shutting_down = True
        for server in self.servers:
            server.close()
        for connection in list(state.connections):
            connection.shutdown()
        deadline = asyncio.get_running_loop().time() + self.config.timeout_graceful_shutdown
        while state.connections or state.active_requests > 0:
            if asyncio.get_running_loop().time() >= deadline:
                logger.warning(
                    "Grace period over: closing %d connections, %d requests still running",
                    len(state.connections),
                    state.active_requests,
                )
                break
            await asyncio.sleep(0.05)
        for connection in list(state.connections):
            if connection.transport is not None:
                connection.transport.abort()
        for task in list(state.tasks):
            task.cancel()
        if state.tasks:
            await asyncio.wait(list(state.tasks), timeout=1.0)
        for server in self.servers:
            await server.wait_closed()
        state.stop_clock()


def install_uvloop() -> Callable[[], asyncio.AbstractEventLoop]:
    import uvloop

    return uvloop.new_event_loop


def run(app: Any, config: ServerConfig, sockets: Optional[list[socket.socket]] = None) -> int:
    """Run one server process to completion; the exit code for the process."""
    server = Server(app, config)
    with asyncio.Runner(loop_factory=install_uvloop()) as runner:
        try:
            runner.run(server.serve(sockets))
        except LifespanError:
            return 3
        except KeyboardInterrupt:
            return 0
        except OSError as exc:
            print(f"covet: {exc.strerror or exc}", file=sys.stderr)
            return 1
    return 0
