"""``covet serve --workers N``: forked workers share the socket, are replaced when they die, stop together."""

import os
import signal
import time

import httpx
import pytest

from tests.server.covet_process import APPS, CovetProcess, covet_serve, free_port

pytestmark = pytest.mark.slow


def pid_of_answer(port: int) -> int:
    """The pid of the worker that answers a request on a new connection."""
    response = httpx.get(f"http://127.0.0.1:{port}/pid", timeout=5)
    assert response.status_code == 200
    return int(response.text)


def collect_pids(port: int, count: int, attempts: int = 400) -> set[int]:
    seen: set[int] = set()
    for _ in range(attempts):
        seen.add(pid_of_answer(port))
        if len(seen) >= count:
            break
    return seen


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_exit(pids: set[int], timeout: float = 5) -> set[int]:
    """The pids still running after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(is_running(pid) for pid in pids):
        time.sleep(0.05)
    return {pid for pid in pids if is_running(pid)}


def serve_workers(port: int, *flags: str, app: str = "basic:app"):
    return covet_serve(
        f"{APPS}.{app}",
        "--port",
        str(port),
        "--workers",
        "2",
        *flags,
        ready=lambda: httpx.get(f"http://127.0.0.1:{port}/"),
    )


def test_two_workers_answer_and_stop_together_on_sigterm():
    port = free_port()
    with serve_workers(port) as supervisor:
        workers = collect_pids(port, 2)
        assert len(workers) == 2
        assert supervisor.pid not in workers
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait() == 0
        assert wait_for_exit(workers) == set()


def test_a_killed_worker_is_replaced_and_requests_keep_succeeding():
    port = free_port()
    with serve_workers(port) as supervisor:
        workers = collect_pids(port, 2)
        killed = workers.pop()
        os.kill(killed, signal.SIGKILL)
        assert wait_for_exit({killed}) == set()
        seen: set[int] = set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not seen - workers:
            seen.add(pid_of_answer(port))  # raises if a request fails
        replacement = seen - workers
        assert len(replacement) == 1, f"no replacement worker answered; saw {seen}:\n{supervisor.log()}"
        assert killed not in seen
        assert f"Worker {killed} was killed by SIGKILL" in supervisor.log()
        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait() == 0


def test_sighup_replaces_every_worker():
    port = free_port()
    with serve_workers(port) as supervisor:
        old = collect_pids(port, 2)
        supervisor.send_signal(signal.SIGHUP)
        assert wait_for_exit(old) == set()
        new = collect_pids(port, 2)
        assert len(new) == 2 and not new & old
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait() == 0


def test_workers_dying_at_startup_make_the_supervisor_give_up():
    process = CovetProcess(
        (f"{APPS}.lifecycle:crash_at_startup", "--port", str(free_port()), "--workers", "2"), "."
    )
    try:
        assert process.wait(timeout=15) == 1
        assert "Workers keep dying at startup" in process.log()
    finally:
        process.kill_group()


def test_a_failed_application_startup_stops_the_supervisor_with_exit_3():
    process = CovetProcess(
        (f"{APPS}.lifecycle:startup_fails", "--port", str(free_port()), "--workers", "2"), "."
    )
    try:
        assert process.wait(timeout=10) == 3
        assert "database unreachable" in process.log()
    finally:
        process.kill_group()


def test_a_second_sigterm_kills_workers_stuck_in_shutdown():
    port = free_port()
    with serve_workers(port, app="lifecycle:hangs_at_shutdown") as supervisor:
        workers = collect_pids(port, 2)
        supervisor.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert supervisor.proc.poll() is None  # still waiting for the stuck lifespan shutdown
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=5) == 0
        assert wait_for_exit(workers) == set()
        assert "Stopping now: killing 2 workers" in supervisor.log()
