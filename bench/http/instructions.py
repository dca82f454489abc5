"""Instructions per request under callgrind: a server cost that other work on the machine can't move.

wrk's requests/s swing by tens of percent when other processes share the cores; the instructions a
server executes per request do not (callgrind counts them, whatever else runs). Each target starts
under ``valgrind --tool=callgrind`` with collection off, is checked and warmed up (wrk), then
64 keep-alive connections are opened, instrumentation is switched on, each connection sends a
fixed number of requests one after another with the headers wrk sends
(``bench/http/fixed_load.py``), and instrumentation goes off once all are answered: no
connection set-up and no request in flight is counted. The count divided by the requests is the
cost per request, event loop and kernel-call wrappers included (the kernel's own work is not
counted). Ratios between targets here predict ratios of throughput on a quiet machine, as long
as wrk is not the limit.

    python -m bench.http.instructions                # covet, covet-asgi, uvicorn, bare: plaintext + json
    python -m bench.http.instructions --only covet --tests json --keep DIR  # keep profiles in DIR

``--keep`` leaves the callgrind file (``callgrind_annotate FILE``) for reading where the
instructions go.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.http.checks import PATHS, check_server
from bench.http.fixed_load import run_counted
from bench.http.processes import ROOT, ServerProcess, free_port
from bench.http.targets import COVET_LAUNCHER, TARGETS
from bench.http.wrk import request_headers, run_wrk, wrk_command
from bench.tfb.spec import dsn as tfb_dsn

_TOTALS = re.compile(r"^(?:totals|summary):\s+(\d+)", re.M)
DEFAULT_TARGETS = ("bare-protocol", "covet", "covet-asgi", "uvicorn-asgi")


def _callgrind_argv(argv: list[str], out_file: Path) -> list[str]:
    return [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out_file}",
        *argv,
    ]


def _control(pid: int, *flags: str) -> None:
    subprocess.run(["callgrind_control", *flags, str(pid)], check=True, capture_output=True, timeout=120)


def _valgrind_pid(server: ServerProcess) -> int:
    """The pid valgrind runs as (the child of ``taskset`` when pinned, which execs, so the same)."""
    return server.process.pid


#: Requests per connection by test: enough for a few seconds under callgrind.
REQUESTS_PER_CONNECTION = {
    "plaintext": 100, "json": 100, "db": 10, "fortunes": 10, "queries": 2, "updates": 2,
}


def measure(name: str, test: str, connections: int, scale: float, keep: Path | None) -> dict[str, object]:
    target = TARGETS[name]
    port = free_port()
    per_connection = max(1, round(REQUESTS_PER_CONNECTION.get(test, 10) * scale))
    with tempfile.TemporaryDirectory(prefix="covet-callgrind-") as tmp:
        out_file = Path(tmp) / "callgrind.out"
        argv = _callgrind_argv(target.command(COVET_LAUNCHER, port), out_file)
        server = ServerProcess(name, argv, port, cpu=0)
        try:
            server.wait_ready(timeout=300)
            problems, _ = check_server(port, [test], 1, tfb_dsn())
            if problems:
                raise RuntimeError(f"{name} fails the {test} check: {'; '.join(problems)}")
            url = server.url + PATHS[test]
            run_wrk(wrk_command(url, test, 2, connections, cpu=1), 2)  # warm up, not counted
            pid = _valgrind_pid(server)

            def counting(on: bool) -> None:
                if on:
                    _control(pid, "-i", "on")
                    _control(pid, "-z")
                else:
                    _control(pid, "-d")
                    _control(pid, "-i", "off")

            requests = run_counted(
                "127.0.0.1", port, PATHS[test], connections, per_connection, counting, request_headers(test)
            )
            time.sleep(0.5)
            instructions = _count(Path(tmp))
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                for dump in Path(tmp).glob("callgrind.out*"):
                    shutil.copy(dump, keep / f"{name}-{test}-{dump.name}")
        finally:
            server.stop()
            server.discard_log()
    return {
        "target": name,
        "test": test,
        "connections": connections,
        "requests": requests,
        "instructions": instructions,
        "per_request": instructions / requests,
    }


def _count(folder: Path) -> int:
    """Instructions in every dump callgrind wrote (``-d`` writes one per request for a dump)."""
    total = 0
    for dump in folder.glob("callgrind.out*"):
        with contextlib.suppress(OSError):
            found = _TOTALS.findall(dump.read_text(errors="replace"))
            total += sum(int(n) for n in found[-1:])
    return total


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(DEFAULT_TARGETS), help="comma-separated targets")
    parser.add_argument("--tests", default="plaintext,json")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="times the requests per connection of each test (1)"
    )
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep callgrind files in")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "instructions.json")
    args = parser.parse_args(argv)
    for tool in ("valgrind", "callgrind_control", "wrk", "taskset"):
        if shutil.which(tool) is None:
            print(f"{tool} is not on PATH (apt-get install valgrind wrk util-linux)", file=sys.stderr)
            return 2
    rows = []
    for test in args.tests.split(","):
        for name in args.only.split(","):
            row = measure(name, test, args.connections, args.scale, args.keep)
            rows.append(row)
            print(
                f"{test:10} {name:14} {row['per_request']:>10,.0f} instructions/request"
                f"  ({row['requests']:,} requests)",
                flush=True,
            )
    base = {r["test"]: r["per_request"] for r in rows if r["target"] == "bare-protocol"}
    for row in rows:
        if row["test"] in base and row["target"] != "bare-protocol":
            ratio = row["per_request"] / base[row["test"]]
            print(f"{row['test']:10} {row['target']:14} {ratio:.2f}x bare-protocol")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
