"""``python -m bench.http``: CovetPy against its peers on TFB plaintext, JSON and pipelined plaintext.

``--suite tfb`` runs TechEmpower's six tests instead (pipelined plaintext, JSON, and the database
tests db, queries=20, fortunes, updates=20) against whole apps: CovetPy's ORM and raw apps and the
asyncpg peers. It sets up the database of ``COVET_TFB_DSN`` first (``bench.tfb.setup``) and
vacuums it before each server, whose answers are checked against it before measuring.

Each round starts every selected server in turn (rotating the order from round to round, so drift
on a shared machine hits all of them alike), pinned to the server core; checks its answers; warms
it up; runs wrk pinned to the client core once per test; stops it. Results are medians over rounds,
ratios are medians of same-round ratios. Exit status: 0 when every floor in bench/floors.json that
this run could judge holds (or with --no-fail / COVET_BENCH_NO_FAIL=1), 1 when one does not,
2 when the harness cannot run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

from bench.http.chart import render_svg
from bench.http.checks import PATHS, check_date_moves, check_server
from bench.http.floors import FLOORS_PATH, evaluate, floors_for, load_floors
from bench.http.processes import ROOT, ServerFailed, ServerProcess, core_busy_seconds, free_port
from bench.http.report import format_tables, format_verdicts, to_json, write_atomic, write_json
from bench.http.results import Measurement, Outcome
from bench.http.targets import ALL_TESTS, COVET_LAUNCHER, DB_TESTS, RATIO_BASE, SUITES, TARGETS
from bench.http.wrk import WrkError, missing_tools, run_wrk, wrk_command
from bench.tfb import setup as tfb_setup
from bench.tfb.spec import dsn as tfb_dsn

RESULTS_DIR = ROOT / "bench" / "results"
PACKAGES = (
    "uvicorn",
    "starlette",
    "fastapi",
    "blacksheep",
    "granian",
    "uvloop",
    "httptools",
    "orjson",
    "msgspec",
    "asyncpg",
    "psycopg",
    "jinja2",
)
#: Per suite: (rounds, seconds per run, warm-up seconds) when not given. The HTTP suite's
#: floors against the bare protocol have the least room, and one round in three on this shared
#: machine can be off by 20%: five rounds keep one such round from deciding the median. The tfb
#: suite runs twice as many tests, so fewer and shorter rounds keep ``make bench`` within its time.
SUITE_DEFAULTS = {"http": (5, 5, 2), "tfb": (2, 4, 1)}


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_no_fail() -> bool:
    return os.environ.get("COVET_BENCH_NO_FAIL", "").strip().lower() not in ("", "0", "false", "no")


def no_fail_requested(argv: list[str]) -> bool:
    """Whether ``argv`` or the environment asks to report without failing."""
    return "--no-fail" in argv or _env_no_fail()


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    names = ", ".join(f"{t.name}{'' if t.default else ' (opt-in)'}" for t in TARGETS.values())
    parser = argparse.ArgumentParser(
        prog="python -m bench.http",
        description="CovetPy vs its peers on TFB plaintext/JSON, wrk and server pinned to separate cores.",
    )
    parser.add_argument(
        "--suite",
        choices=tuple(SUITES),
        default="http",
        help="http: servers on plaintext/JSON (default); tfb: whole TFB apps, database tests included",
    )
    parser.add_argument(
        "--only", type=_csv, help=f"comma-separated targets (default: the suite's, not opt-in): {names}"
    )
    parser.add_argument(
        "--tests", type=_csv, help=f"comma-separated, of {','.join(ALL_TESTS)} (default: the suite's)"
    )
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 5; tfb 4)")
    parser.add_argument("--rounds", type=int, help="runs per target and test; medians reported (5; tfb 2)")
    parser.add_argument("--warmup", type=int, help="seconds of wrk before measuring each server (2; tfb 1)")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c (64)")
    parser.add_argument("--depth", type=int, default=16, help="requests per write in the pipelined test (16)")
    parser.add_argument("--server-cpu", type=int, default=0, help="core the servers are pinned to (0)")
    parser.add_argument("--client-cpu", type=int, default=1, help="core wrk is pinned to (1)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin (for machines with one core)")
    parser.add_argument(
        "--covet-launcher",
        choices=("cli", "inline"),
        default=COVET_LAUNCHER,
        help=f"start CovetPy with 'python -m covet serve' or covet.server.run (default {COVET_LAUNCHER})",
    )
    parser.add_argument("--floors", type=Path, default=FLOORS_PATH, help="floors file (bench/floors.json)")
    parser.add_argument(
        "--output-dir", type=Path, default=RESULTS_DIR, help="where SUITE.json, SUITE.svg go (bench/results)"
    )
    parser.add_argument(
        "--no-fail",
        action="store_true",
        default=_env_no_fail(),
        help="report missed floors but exit 0 (also COVET_BENCH_NO_FAIL=1)",
    )
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args(argv)
    rounds, duration, warmup = SUITE_DEFAULTS[args.suite]
    args.rounds = rounds if args.rounds is None else args.rounds
    args.duration = duration if args.duration is None else args.duration
    args.warmup = warmup if args.warmup is None else args.warmup
    args.tests = list(SUITES[args.suite]) if args.tests is None else args.tests
    unknown = [n for n in (args.only or []) if n not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    bad_tests = [t for t in args.tests if t not in ALL_TESTS]
    if bad_tests:
        parser.error(f"unknown test(s) {', '.join(bad_tests)}; choose from {', '.join(ALL_TESTS)}")
    for name in ("duration", "rounds", "connections", "depth"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    return args


def _pinning(args: argparse.Namespace) -> tuple[Optional[int], Optional[int]]:
    """The (server, client) cores, or (None, None) when pinning is off or impossible."""
    if args.no_pin:
        return None, None
    available = os.sched_getaffinity(0)
    wanted = {args.server_cpu, args.client_cpu}
    if len(wanted) < 2 or not wanted <= available:
        print(
            f"warning: cannot pin server to core {args.server_cpu} and wrk to core {args.client_cpu} "
            f"(cores available: {sorted(available)}); running unpinned, numbers will be noisier",
            file=sys.stderr,
        )
        return None, None
    return args.server_cpu, args.client_cpu


def _metadata(
    args: argparse.Namespace, server_cpu: Optional[int], client_cpu: Optional[int]
) -> dict[str, Any]:
    versions = {}
    for package in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    versions["wrk"] = (wrk_version.stdout + wrk_version.stderr).strip().splitlines()[0]
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    git = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    try:
        from covet._speedups import speedups_enabled

        compiled: Any = speedups_enabled()
    except Exception as exc:  # noqa: BLE001 - recorded, not fatal
        compiled = f"unknown: {exc}"
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "versions": versions,
        "cpu": cpu_model,
        "cpus": os.cpu_count(),
        "git": git.stdout.strip() or None,
        "covet_speedups_compiled": compiled,
        "covet_launcher": args.covet_launcher,
        "suite": args.suite,
        "settings": {
            "duration": args.duration,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "connections": args.connections,
            "threads": 1,
            "depth": args.depth,
            "server_cpu": server_cpu,
            "client_cpu": client_cpu,
        },
        "loadavg_start": os.getloadavg(),
    }


class Bench:
    def __init__(
        self, args: argparse.Namespace, server_cpu: Optional[int], client_cpu: Optional[int]
    ) -> None:
        self.args = args
        self.server_cpu = server_cpu
        self.client_cpu = client_cpu
        self.outcome = Outcome()

    def _busy(self) -> float:
        cores = [c for c in (self.server_cpu, self.client_cpu) if c is not None]
        return sum(core_busy_seconds(c) for c in cores)

    def measure_target(self, name: str, round_: int) -> None:
        args, outcome = self.args, self.outcome
        tests = outcome.planned[name]
        keep_log = False
        if _uses_database(tests):
            try:  # every server starts on tables without the dead rows of the last one's updates
                asyncio.run(tfb_setup.vacuum(tfb_dsn()))
            except Exception as exc:  # noqa: BLE001 - reported as the target's failure
                outcome.broken[name] = f"VACUUM before starting it failed: {exc}"
                print(f"  {name}: BROKEN: {outcome.broken[name]}", flush=True)
                return
        try:
            server = self._start(name)
        except ServerFailed as exc:
            outcome.broken[name] = str(exc)
            print(f"  {name}: BROKEN: {exc}", flush=True)
            return
        try:
            problems, date = check_server(server.port, list(tests), args.depth, tfb_dsn())
            date_seen = time.monotonic()
            if problems:
                outcome.broken[name] = "; ".join(problems)
                print(f"  {name}: BROKEN, not measured: {outcome.broken[name]}", flush=True)
                return
            if args.warmup:
                warmup = "db" if _uses_database(tests) else "plaintext"  # prepares statements too
                with contextlib.suppress(WrkError):
                    run_wrk(
                        wrk_command(
                            server.url + PATHS[warmup],
                            warmup,
                            args.warmup,
                            args.connections,
                            self.client_cpu,
                        ),
                        args.warmup,
                    )
            for test in tests:
                self._measure(server, name, test, round_)
                if server.process.poll() is not None:
                    raise ServerFailed(
                        f"{name} exited with status {server.process.returncode} during the {test} test"
                        f"{server.last_words()}\n{server.log_tail()}"
                    )
            problem = check_date_moves(server.port, date, date_seen)
            if problem:
                outcome.broken[name] = problem
                print(f"  {name}: BROKEN: {problem}", flush=True)
        except ServerFailed as exc:
            keep_log = True
            outcome.broken[name] = str(exc)
            print(f"  {name}: BROKEN: {exc}", flush=True)
        finally:
            server.stop()
            if keep_log:
                print(f"  ({name} log kept at {server.log.name})", flush=True)
            else:
                server.discard_log()

    def _start(self, name: str, attempts: int = 2) -> ServerProcess:
        """A server that answers on its port; a second try on a new port covers a lost port race."""
        for attempt in range(attempts):
            port = free_port()
            server = ServerProcess(
                name, TARGETS[name].command(self.args.covet_launcher, port), port, self.server_cpu
            )
            try:
                server.wait_ready()
                return server
            except ServerFailed as exc:
                server.stop()
                if attempt == attempts - 1:
                    raise ServerFailed(f"{exc}\n(log: {server.log.name})") from None
                server.discard_log()
        raise AssertionError("unreachable")

    def _measure(self, server: ServerProcess, name: str, test: str, round_: int) -> None:
        args = self.args
        depth = args.depth if test == "pipelined" else 0
        command = wrk_command(
            server.url + PATHS[test], test, args.duration, args.connections, self.client_cpu, depth
        )
        measurement = Measurement(name, test, round_, None, loadavg=os.getloadavg()[0])
        cpu_before, busy_before, started = server.cpu_seconds(), self._busy(), time.monotonic()
        try:
            result, output = run_wrk(command, args.duration, pipelined=depth > 1)
        except WrkError as exc:
            measurement.failure = str(exc)
            self.outcome.measurements.append(measurement)
            print(
                f"  round {round_ + 1}  {name:<18} {test:<9} wrk failed: {str(exc).splitlines()[0]}",
                flush=True,
            )
            return
        wall = time.monotonic() - started
        server_cpu = (server.cpu_seconds() - cpu_before) / wall
        others = (self._busy() - busy_before) / wall - server_cpu - result.wrk_cpu
        measurement.result, measurement.wrk_output = result, output
        measurement.server_cpu, measurement.others_cpu = server_cpu, max(0.0, others)
        self.outcome.measurements.append(measurement)
        errors = f"  ! {result.errors} errors" if result.errors else ""
        print(
            f"  round {round_ + 1}  {name:<18} {test:<9} {result.requests_per_s:>11,.0f} req/s"
            f"  p50 {_ms(result.p50_ms):>7}  p99 {_ms(result.p99_ms):>7}"
            f"  (wrk {result.wrk_cpu:.0%}, server {server_cpu:.0%},"
            f" others {measurement.others_cpu:.0%}){errors}",
            flush=True,
        )

    def run(self, names: list[str]) -> None:
        for round_ in range(self.args.rounds):
            for name in round_order(names, round_):
                if name not in self.outcome.broken and self.outcome.planned[name]:
                    self.measure_target(name, round_)


#: Targets measured right beside another: the ratio between the two is a floor with little room
#: (the bare protocol, the raw TFB app) or is judged against its own peer (the ASGI pair), and on a
#: shared machine drift moves two neighbouring runs least.
BESIDE = {"bare-protocol": "covet", "covet-raw": "covet", "uvicorn-asgi": "covet-asgi"}


def round_order(names: list[str], round_: int) -> list[str]:
    """The order round ``round_`` measures the targets in: rotated, so none is always first, but
    with each target of ``BESIDE`` next to its partner, the first of the two alternating."""
    groups: list[list[str]] = []
    for name in names:
        if BESIDE.get(name) in names:
            continue  # measured in its partner's group
        groups.append([name, *(twin for twin in names if BESIDE.get(twin) == name)])
    shift = round_ % len(groups)
    ordered = groups[shift:] + groups[:shift]
    return [name for group in ordered for name in (group if round_ % 2 == 0 else group[::-1])]


def _uses_database(tests: tuple[str, ...]) -> bool:
    return any(test in DB_TESTS for test in tests)


def _prepare_database() -> Optional[str]:
    """Set up the TFB database (idempotent); why it failed, or None."""
    try:
        done = asyncio.run(tfb_setup.prepare_database(tfb_dsn()))
    except Exception as exc:  # noqa: BLE001 - reported; the run cannot go on without it
        return f"{type(exc).__name__}: {exc}"
    print(f"TFB database {tfb_dsn()}: {'; '.join(done) if done else 'in place'}; vacuumed", flush=True)
    return None


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    if args.list:
        for target in TARGETS.values():
            flag = "" if target.default else "  (opt-in)"
            print(
                f"{target.name:<18} {'+'.join(target.suites):<8} {','.join(target.tests):<50}"
                f" {target.description}{flag}"
            )
        return 0
    missing = missing_tools(pinning=not args.no_pin)
    if missing:
        print(f"error: {', '.join(missing)} not found on PATH", file=sys.stderr)
        return 2
    server_cpu, client_cpu = _pinning(args)
    previous_cpus = os.sched_getaffinity(0)
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})  # keep this process off the server's core
    try:
        return _run(args, server_cpu, client_cpu)
    finally:
        # `python -m bench` runs the TFB suite in this process next: give it every core back.
        os.sched_setaffinity(0, previous_cpus)


def _run(args: argparse.Namespace, server_cpu: Optional[int], client_cpu: Optional[int]) -> int:
    floors = floors_for(load_floors(args.floors), args.suite)
    names = args.only or [t.name for t in TARGETS.values() if t.default and args.suite in t.suites]
    order = list(SUITES[args.suite]) + [t for t in ALL_TESTS if t not in SUITES[args.suite]]
    tests = [t for t in order if t in args.tests]
    bench = Bench(args, server_cpu, client_cpu)
    bench.outcome.planned = {n: tuple(t for t in tests if t in TARGETS[n].tests) for n in names}
    if any(_uses_database(planned) for planned in bench.outcome.planned.values()):
        problem = _prepare_database()
        if problem:
            print(f"error: cannot set up the TFB database {tfb_dsn()}: {problem}", file=sys.stderr)
            return 2
    meta = _metadata(args, server_cpu, client_cpu)
    runs = sum(len(v) for v in bench.outcome.planned.values())
    estimate = args.rounds * (runs * (args.duration + 0.3) + len(names) * (args.warmup + 1.5))
    print(
        f"{args.suite.upper()}: {len(names)} servers, {runs} measurements × {args.rounds} rounds"
        f" × {args.duration} s"
        f" (about {estimate / 60:.1f} min); server on core {server_cpu}, wrk on core {client_cpu};"
        f" CovetPy via {args.covet_launcher}; speedups compiled: {meta['covet_speedups_compiled']}",
        flush=True,
    )
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"note: load average is {load:.2f} before starting: other work shares these cores", flush=True)
    started = time.monotonic()
    try:
        bench.run(names)
    except KeyboardInterrupt:
        print("\ninterrupted: reporting what was measured so far", file=sys.stderr)
    outcome = bench.outcome
    verdicts = evaluate(outcome, floors)
    print(format_tables(outcome, names, tests, RATIO_BASE, meta["settings"]))
    print(format_verdicts(verdicts))
    meta["elapsed_s"] = round(time.monotonic() - started, 1)
    meta["loadavg_end"] = os.getloadavg()
    data = to_json(outcome, verdicts, names, tests, RATIO_BASE, meta)
    json_path, svg_path = args.output_dir / f"{args.suite}.json", args.output_dir / f"{args.suite}.svg"
    write_json(json_path, data)
    write_atomic(svg_path, render_svg(outcome, names, tests, RATIO_BASE, floors))
    print(f"\nwrote {_relative(json_path)} and {_relative(svg_path)} ({meta['elapsed_s']:.0f} s)")
    failed = [v for v in verdicts if v.failed]
    if failed:
        summary = f"{len(failed)} of {len([v for v in verdicts if v.status != 'SKIP'])} floors missed"
        if args.no_fail:
            print(f"{summary} (not failing: --no-fail)")
            return 0
        print(f"{summary}: failing")
        return 1
    return 0


def _ms(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.2f} ms"


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
