"""Run wrk pinned to a core and read its report: requests/s, latency percentiles, errors, CPU used."""

from __future__ import annotations

import dataclasses
import re
import resource
import shutil
import subprocess
import time
from pathlib import Path
from typing import Optional

PIPELINE_SCRIPT = Path(__file__).with_name("pipeline.lua")

#: The Accept headers TFB's wrk sends (toolset/wrk/*.sh), so servers parse what they would there.
ACCEPT = {
    "plaintext": "text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7",
    "json": "application/json,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7",
    "html": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}
#: Which Accept header each test sends.
ACCEPT_FOR = {
    "plaintext": "plaintext",
    "pipelined": "plaintext",
    "json": "json",
    "db": "json",
    "queries": "json",
    "updates": "json",
    "fortunes": "html",
}

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.M)
_PERCENTILE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_AVG = re.compile(r"^\s+Latency\s+([\d.]+)(us|ms|s|m|h)", re.M)
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


@dataclasses.dataclass
class WrkResult:
    requests_per_s: float
    requests: int
    latency_avg_ms: float
    # None where wrk printed 0: its coordinated-omission correction (stats_correct) assumes one
    # response per request sent, so under pipelining it corrupts the histogram; see README.
    p50_ms: Optional[float]
    p75_ms: Optional[float]
    p90_ms: Optional[float]
    p99_ms: Optional[float]
    socket_errors: dict[str, int]
    non_2xx: int
    wrk_cpu: float = 0.0  # share of one core wrk used during the run (1.0 = saturated)

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values()) + self.non_2xx


class WrkError(RuntimeError):
    """wrk failed or printed no report; the message holds its output."""


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_MS[unit]


def parse_report(text: str) -> WrkResult:
    """The numbers in wrk's ``--latency`` report; WrkError when the report is incomplete."""
    rps = _RPS.search(text)
    total = _TOTAL.search(text)
    percentiles = {int(p): _ms(v, u) or None for p, v, u in _PERCENTILE.findall(text)}
    avg = _AVG.search(text)
    if rps is None or total is None or avg is None or set(percentiles) != {50, 75, 90, 99}:
        raise WrkError(f"wrk printed no complete --latency report:\n{text.strip()}")
    socket = _SOCKET.search(text)
    counts = [int(n) for n in socket.groups()] if socket else [0, 0, 0, 0]
    non_2xx = _NON_2XX.search(text)
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        requests=int(total.group(1)),
        latency_avg_ms=_ms(avg.group(1), avg.group(2)),
        p50_ms=percentiles[50],
        p75_ms=percentiles[75],
        p90_ms=percentiles[90],
        p99_ms=percentiles[99],
        socket_errors=dict(zip(("connect", "read", "write", "timeout"), counts, strict=True)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def request_headers(test: str) -> list[str]:
    """The headers besides Host that TFB's wrk sends for ``test``, as "Name: value" lines."""
    return [f"Accept: {ACCEPT[ACCEPT_FOR[test]]}", "Connection: keep-alive"]


def wrk_command(
    url: str,
    test: str,
    duration: int,
    connections: int,
    cpu: Optional[int],
    pipeline_depth: int = 0,
) -> list[str]:
    """The wrk command line for one run; ``pipeline_depth`` > 1 uses TFB's pipelining script."""
    command = [] if cpu is None else ["taskset", "-c", str(cpu)]
    command += [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "8",
        "--latency",
        *(part for header in request_headers(test) for part in ("-H", header)),
        url,
    ]
    if pipeline_depth > 1:
        command += ["-s", str(PIPELINE_SCRIPT), "--", str(pipeline_depth)]
    return command


def run_wrk(command: list[str], duration: int, pipelined: bool = False) -> tuple[WrkResult, str]:
    """Run ``command`` (from ``wrk_command``); the parsed result and wrk's output.

    With ``pipelined`` the latency figures are dropped: wrk records one latency per batch but
    corrects its histogram as if each response were one request, which makes them meaningless.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=False)
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish within {duration + 30:g} s") from exc
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = done.stdout + (("\n" + done.stderr) if done.stderr.strip() else "")
    if done.returncode != 0:
        raise WrkError(f"wrk exited with status {done.returncode}:\n{output.strip()}")
    result = parse_report(done.stdout)
    if pipelined:
        result.p50_ms = result.p75_ms = result.p90_ms = result.p99_ms = None
    cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result.wrk_cpu = cpu_seconds / wall if wall > 0 else 0.0
    return result, output


def missing_tools(pinning: bool) -> list[str]:
    """What this harness needs that is not on PATH."""
    tools = ["wrk", "taskset"] if pinning else ["wrk"]
    return [tool for tool in tools if shutil.which(tool) is None]
