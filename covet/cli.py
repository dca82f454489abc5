"""The ``covet`` command (also ``python -m covet``): one subcommand per job, ``serve`` first."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any, Optional, TypeAlias

from covet.server.config import ServerConfig
from covet.server.importer import AppImportError, AppSpec
from covet.server.logs import LEVELS, configure_logging

_DEFAULTS = ServerConfig()

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); the process exit code."""
    args = build_parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    return command(args)


def build_parser() -> argparse.ArgumentParser:
    from covet import __version__

    parser = argparse.ArgumentParser(prog="covet", description="CovetPy: an async web framework and server.")
    parser.add_argument("--version", action="version", version=f"CovetPy {__version__}")
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for add_command in COMMANDS:
        add_command(subcommands)
    return parser


# -- covet serve -----------------------------------------------------------------------------


def add_serve_command(subcommands: Subcommands) -> None:
    serve = subcommands.add_parser(
        "serve",
        help="serve an ASGI or CovetPy app over HTTP/1.1",
        description="Serve an app with CovetPy's HTTP/1.1 server (uvloop + httptools).",
        epilog="Example: covet serve main:app --port 8080 --workers 4",
    )
    serve.set_defaults(command=run_serve)
    serve.add_argument(
        "app", metavar="MODULE:APP", help="where the app is, e.g. 'main:app' or 'pkg.web:api.app'"
    )
    serve.add_argument(
        "--factory", action="store_true", help="APP is a function that returns the app: call it"
    )
    serve.add_argument(
        "--app-dir", default=".", metavar="DIR", help="directory put first on sys.path (default: %(default)s)"
    )

    where = serve.add_argument_group("socket")
    where.add_argument("--host", default=_DEFAULTS.host, help="address to bind (default: %(default)s)")
    where.add_argument(
        "--port", type=_port, default=_DEFAULTS.port, help="port to bind (default: %(default)s)"
    )
    where.add_argument("--uds", metavar="PATH", help="bind this Unix domain socket instead of host and port")
    where.add_argument(
        "--backlog",
        type=_positive_int,
        metavar="N",
        default=_DEFAULTS.backlog,
        help="connections queued before accept (default: %(default)s)",
    )

    processes = serve.add_argument_group("processes")
    processes.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        default=_DEFAULTS.workers,
        help="worker processes sharing the socket (default: %(default)s)",
    )
    processes.add_argument(
        "--reload", action="store_true", help="restart the server when Python files change (development only)"
    )
    processes.add_argument(
        "--reload-dir",
        dest="reload_dirs",
        action="append",
        default=[],
        metavar="DIR",
        help="directory to watch with --reload; repeat for more (default: the current directory)",
    )

    tls = serve.add_argument_group("TLS")
    tls.add_argument("--ssl-certfile", metavar="PATH", help="certificate chain (PEM); serve HTTPS")
    tls.add_argument("--ssl-keyfile", metavar="PATH", help="private key (PEM) of the certificate")
    tls.add_argument(
        "--ssl-keyfile-password",
        metavar="PASSWORD",
        help="password of an encrypted key (visible to local users in the process list)",
    )

    limits = serve.add_argument_group("limits and timeouts")
    limits.add_argument(
        "--limit-concurrency",
        type=_positive_int,
        default=_DEFAULTS.limit_concurrency,
        metavar="N",
        help="answer 503 above N requests in flight (default: no limit)",
    )
    limits.add_argument(
        "--timeout-keep-alive",
        type=_seconds,
        default=_DEFAULTS.timeout_keep_alive,
        metavar="SECONDS",
        help="close idle keep-alive connections after this long (default: %(default)s)",
    )
    limits.add_argument(
        "--timeout-body",
        type=_seconds,
        default=_DEFAULTS.timeout_body,
        metavar="SECONDS",
        help="408 a request whose body sends nothing for this long while awaited (default: %(default)s)",
    )
    limits.add_argument(
        "--timeout-graceful-shutdown",
        type=_seconds,
        default=_DEFAULTS.timeout_graceful_shutdown,
        metavar="SECONDS",
        help="on SIGTERM, wait this long for requests in flight (default: %(default)s)",
    )
    limits.add_argument(
        "--root-path",
        default=_DEFAULTS.root_path,
        metavar="PATH",
        help="the prefix the app is mounted under behind a proxy (default: none)",
    )

    logs = serve.add_argument_group("logging")
    logs.add_argument(
        "--log-level",
        choices=LEVELS,
        default=_DEFAULTS.log_level,
        help="level of the covet loggers (default: %(default)s)",
    )
    logs.add_argument(
        "--access-log", action="store_true", help="log one line per request (logger covet.access)"
    )


def run_serve(args: argparse.Namespace) -> int:
    """``covet serve``: load the app, bind, then serve in this process, in N workers or under --reload."""
    conflict = _conflicting_flags(args)
    if conflict is not None:
        return _fail(conflict)
    config = config_from_args(args)
    configure_logging(config.log_level, config.access_log)
    spec = AppSpec(args.app, factory=args.factory, app_dir=args.app_dir)
    app = None
    if not config.reload:  # with --reload the child imports it, and import errors wait for a fix
        try:
            app = spec.load()
        except AppImportError as exc:
            return _fail(str(exc))
    try:
        config.ssl_context()
    except OSError as exc:
        return _fail(
            f"cannot load the TLS certificate {config.ssl_certfile!r} or key {config.ssl_keyfile!r}: {exc}"
        )
    try:
        sock = _listen(config)
    except OSError as exc:
        return _fail(str(exc.strerror or exc), code=1)
    try:
        return _serve(app, spec, config, sock)
    finally:
        sock.close()
        if config.uds and os.path.exists(config.uds):
            os.unlink(config.uds)


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """The server settings the ``serve`` flags describe."""
    return ServerConfig(
        host=args.host,
        port=args.port,
        uds=args.uds,
        backlog=args.backlog,
        workers=args.workers,
        reload=args.reload,
        reload_dirs=tuple(args.reload_dirs),
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        ssl_keyfile_password=args.ssl_keyfile_password,
        log_level=args.log_level,
        access_log=args.access_log,
        root_path=args.root_path,
        limit_concurrency=args.limit_concurrency,
        timeout_keep_alive=args.timeout_keep_alive,
        timeout_body=args.timeout_body,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
    )


def _conflicting_flags(args: argparse.Namespace) -> Optional[str]:
    if args.reload and args.workers > 1:
        return "--reload and --workers cannot be combined: reload runs one server process; drop one of them"
    if args.reload_dirs and not args.reload:
        return "--reload-dir only applies with --reload; add --reload"
    for directory in args.reload_dirs:
        if not os.path.isdir(directory):
            return f"--reload-dir {directory!r} is not a directory"
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        return "--ssl-certfile and --ssl-keyfile go together: give both to serve HTTPS"
    return None


def _serve(app: Any, spec: AppSpec, config: ServerConfig, sock: socket.socket) -> int:
    if config.reload:
        from covet.server.reload import run_with_reload

        return run_with_reload(spec, config, sock)
    if config.workers > 1:
        from covet.server.supervisor import Supervisor

        return Supervisor(app, config, sock).run()
    from covet.server.serve import run

    return run(app, config, sockets=[sock])


def _listen(config: ServerConfig) -> socket.socket:
    """Bind before any worker starts, so a busy port fails fast; ``--port 0`` learns its port."""
    from covet.server.serve import bind_socket

    try:
        sock = bind_socket(config)
    except OSError as exc:
        if config.uds:
            raise OSError(exc.errno, f"cannot listen on unix:{config.uds}: {exc.strerror}") from None
        raise
    if not config.uds:
        config.port = sock.getsockname()[1]
    return sock


def _fail(message: str, code: int = 2) -> int:
    print(f"covet: {message}", file=sys.stderr)
    return code


def _port(text: str) -> int:
    value = _whole_number(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {text}")
    return value


# Each entry adds one subcommand and sets its ``command`` default to the function that runs it.
def add_migration_commands(subcommands: Subcommands) -> None:
    """``makemigrations`` and ``migrate``; their logic lives in covet.orm.migrations."""
    from covet.orm.migrations.commands import add_makemigrations_command, add_migrate_command

    add_makemigrations_command(subcommands)
    add_migrate_command(subcommands)


def add_check_commands(subcommands: Subcommands) -> None:
    """``check [--deploy]``; its logic lives in covet.security.deploy."""
    from covet.security.deploy import add_check_command

    add_check_command(subcommands)


COMMANDS: tuple[Callable[[Subcommands], None], ...] = (
    add_serve_command,
    add_migration_commands,
    add_check_commands,
)
