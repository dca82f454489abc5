"""The rule in conftest.py: an unreachable server skips its tests, but fails them when CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_mysql_test_against_a_closed_port(ci: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CI=ci, COVET_TEST_MYSQL_URL="mysql://root@127.0.0.1:1/test")
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
            "tests/db/test_database.py::test_fetch_one_and_fetch_val[mysql]",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_unreachable_server_skips_locally_and_fails_in_ci() -> None:
    local = run_mysql_test_against_a_closed_port(ci="")
    assert local.returncode == 0, local.stdout + local.stderr
    assert "1 skipped" in local.stdout
    assert "mysql server not reachable at mysql://root@127.0.0.1:1/test" in local.stdout

    ci = run_mysql_test_against_a_closed_port(ci="true")
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "1 error" in ci.stdout  # pytest.fail in a fixture: the test errors, the run fails
    assert "CI=true makes an unreachable database a failure" in ci.stdout
