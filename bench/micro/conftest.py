"""The micro-benchmarks run on one form of the kernels, named in the JSON, and never on a database."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from bench.micro.kernels import kernels_form
from covet import _speedups


def pytest_configure(config: pytest.Config) -> None:
    if kernels_form() == "compiled" and not _speedups.speedups_enabled():
        raise pytest.UsageError(
            "bench/micro: the kernels are not all compiled; run `make build` (or set "
            "COVET_NO_EXTENSIONS=1 to time the interpreted form on purpose)"
        )


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    machine_info["covet_kernels"] = kernels_form()  # compare.py refuses to mix up the two files


@pytest.fixture(autouse=True, scope="session")
def no_database() -> Iterator[None]:
    """A benchmark that reached a server or a database file would time it, not the kernel."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"bench/micro must not open connections or databases: {args!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(sqlite3, "connect", refuse)
        yield
