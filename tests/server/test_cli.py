"""``covet serve``: flags, loading the app, one-line errors, and a request served end to end."""

import signal
import socket
import sys

import httpx
import pytest

from covet.cli import build_parser
from covet.server.importer import AppImportError, AppSpec
from tests.server.apps import basic
from tests.server.covet_process import APPS, covet_serve, free_port, run_covet

SERVE_FLAGS = (
    "--host",
    "--port",
    "--uds",
    "--workers",
    "--reload",
    "--reload-dir",
    "--ssl-certfile",
    "--ssl-keyfile",
    "--ssl-keyfile-password",
    "--log-level",
    "--access-log",
    "--limit-concurrency",
    "--timeout-keep-alive",
    "--timeout-graceful-shutdown",
    "--backlog",
    "--root-path",
    "--factory",
    "--app-dir",
)


def test_serve_help_lists_every_flag_with_its_default(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in SERVE_FLAGS:
        assert flag in text
    assert "(default: 8000)" in text
    assert "(default: 127.0.0.1)" in text


def test_flags_map_onto_the_server_config():
    args = build_parser().parse_args(
        [
            "serve",
            "main:app",
            "--port",
            "0",
            "--workers",
            "3",
            "--limit-concurrency",
            "10",
            "--timeout-keep-alive",
            "2.5",
            "--backlog",
            "16",
            "--root-path",
            "/api",
            "--log-level",
            "debug",
        ]
    )
    assert (args.port, args.workers, args.limit_concurrency) == (0, 3, 10)
    assert (args.timeout_keep_alive, args.backlog, args.root_path, args.log_level) == (
        2.5,
        16,
        "/api",
        "debug",
    )


@pytest.mark.parametrize(
    "flag, value", [("--workers", "0"), ("--port", "70000"), ("--timeout-keep-alive", "-1")]
)
def test_out_of_range_flag_values_are_usage_errors(flag, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve", "main:app", flag, value])
    assert exit_info.value.code == 2
    assert flag in capsys.readouterr().err


def test_dotted_attribute_and_factory_find_the_app():
    assert AppSpec(f"{APPS}.basic:nested.app").load() is basic.app
    assert AppSpec(f"{APPS}.basic:create_app", factory=True).load() is basic.app


def test_app_dir_goes_on_sys_path(tmp_path, monkeypatch):
    (tmp_path / "covet_cli_dir_app.py").write_text("async def app(scope, receive, send):\n    pass\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    try:
        loaded = AppSpec("covet_cli_dir_app:app", app_dir=str(tmp_path)).load()
    finally:
        sys.modules.pop("covet_cli_dir_app", None)
    assert loaded.__module__ == "covet_cli_dir_app"
    assert sys.path[0] == str(tmp_path)


def test_a_zero_argument_function_suggests_factory():
    with pytest.raises(AppImportError, match="pass --factory"):
        AppSpec(f"{APPS}.basic:create_app").load()


@pytest.mark.slow
@pytest.mark.parametrize(
    "target, message",
    [
        (
            "no_such_module:app",
            "covet: cannot import module 'no_such_module': No module named 'no_such_module'",
        ),
        (f"{APPS}.basic:missing", f"covet: module '{APPS}.basic' has no attribute 'missing'"),
        (f"{APPS}.basic:number", "is an object of type int, which is not callable"),
        ("no_colon", "covet: the app must be given as 'module:attribute'"),
    ],
)
def test_an_app_that_cannot_be_found_is_one_line_and_exit_2(target, message):
    result = run_covet("serve", target, "--port", str(free_port()))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_an_exception_inside_the_module_is_shown_briefly_and_exit_2():
    result = run_covet("serve", f"{APPS}.broken:app", "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stderr.startswith(f"covet: error while importing module '{APPS}.broken':")
    assert 'raise RuntimeError("boom while importing")' in result.stderr
    assert result.stderr.rstrip().endswith("RuntimeError: boom while importing")
    assert "Traceback" not in result.stderr
    assert "importlib" not in result.stderr


@pytest.mark.slow
def test_reload_with_several_workers_is_refused():
    result = run_covet("serve", f"{APPS}.basic:app", "--reload", "--workers", "2")
    assert result.returncode == 2
    assert result.stderr.startswith("covet: --reload and --workers cannot be combined")


@pytest.mark.slow
def test_a_busy_port_is_one_line_and_exit_1():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_covet("serve", f"{APPS}.basic:app", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip() == f"covet: cannot listen on 127.0.0.1:{port}: Address already in use"


@pytest.mark.slow
def test_serves_a_request_logs_access_and_exits_0_on_sigterm():
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with covet_serve(
        f"{APPS}.basic:app", "--port", str(port), "--access-log", ready=lambda: httpx.get(url)
    ) as server:
        response = httpx.get(url + "pid")
        assert response.text == str(server.pid)  # one process: no supervisor in between
        server.send_signal(signal.SIGTERM)
        assert server.wait() == 0
        log = server.log()
    assert f"CovetPy serving on http://127.0.0.1:{port}" in log
    assert 'method=GET path="/pid" version=1.1 status=200' in log


@pytest.mark.slow
def test_log_level_warning_hides_the_startup_line():
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with covet_serve(
        f"{APPS}.basic:app", "--port", str(port), "--log-level", "warning", ready=lambda: httpx.get(url)
    ) as server:
        server.send_signal(signal.SIGINT)
        assert server.wait() == 0
        assert "serving on" not in server.log()
