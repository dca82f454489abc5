"""README.md's Python snippets run as they are written, section by section.

Each section's ``python`` blocks run in order in one namespace, in an empty working directory,
with ``await`` allowed at the top level (as in ``python -m asyncio``); a block whose first line
is ``# NAME.py`` is written to that file and imported, as the text around it does; the
``covet makemigrations``/``covet migrate`` lines of ``sh`` blocks are run; and a ``test_*``
function a block defines is called. Files the snippets read are made first (``FIXTURES``).
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import re
import shlex
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from covet.db import Database
from tests.server.covet_process import REPO, covet_env

README = Path(REPO) / "README.md"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
_RUN_COMMAND = re.compile(r"^(?:\.venv/bin/)?python -m covet (makemigrations|migrate)\b(.*)$", re.M)

# What a section's snippets expect to find in the working directory.
FIXTURES: dict[str, dict[str, bytes]] = {
    "Requests and responses": {"report.pdf": b"%PDF-1.4\n", "static/app.css": b"body {}\n"},
}


def sections() -> dict[str, list[tuple[str, str]]]:
    """``{heading: [(language, code), ...]}`` for the sections that hold a Python block."""
    found: dict[str, list[tuple[str, str]]] = {}
    for part in re.split(r"^## ", README.read_text(encoding="utf-8"), flags=re.M)[1:]:
        heading, _, body = part.partition("\n")
        blocks = [(language, code) for language, code in _BLOCK.findall(body) if language in ("python", "sh")]
        if any(language == "python" for language, _ in blocks):
            found[heading.strip()] = blocks
    return found


SECTIONS = sections()


def test_the_readme_has_the_sections_a_user_needs() -> None:
    assert {
        "A minimal app",
        "Requests and responses",
        "Typed handlers, validation and dependency injection",
        "Middleware and exception handlers",
        "WebSockets and the lifespan",
        "Testing with `covet.testing`",
        "The database engine (`covet.db`)",
        "The ORM (`covet.orm`)",
        "Security (`covet.security`)",
    } <= set(SECTIONS)


def run_block(runner: asyncio.Runner, code: str, namespace: dict[str, Any], where: str) -> None:
    before = set(namespace)
    compiled = compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, namespace)  # noqa: S307 - the README's own code
    if inspect.iscoroutine(result):
        runner.run(result)
    for name in sorted(set(namespace) - before):
        if name.startswith("test_") and callable(namespace[name]):
            namespace[name]()


def import_file(code: str, filename: str, namespace: dict[str, Any], cwd: Path) -> None:
    (cwd / filename).write_text(code, encoding="utf-8")
    module = importlib.import_module(filename.removesuffix(".py"))
    namespace.update({name: value for name, value in vars(module).items() if not name.startswith("_")})


def run_commands(code: str, cwd: Path) -> None:
    for command, arguments in _RUN_COMMAND.findall(code):
        argv = [sys.executable, "-m", "covet", command, *shlex.split(arguments, comments=True)]
        done = subprocess.run(argv, cwd=cwd, env=covet_env(), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{shlex.join(argv[1:])}:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("heading", list(SECTIONS))
def test_the_snippets_of_each_section_run(
    heading: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name, content in FIXTURES.get(heading, {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    # A real module, as a script's __main__ is: msgspec and typing look annotations up in it.
    script = types.ModuleType("readme_snippets")
    monkeypatch.setitem(sys.modules, script.__name__, script)
    namespace = vars(script)
    modules_before = set(sys.modules)
    try:
        with asyncio.Runner() as runner:
            try:
                for index, (language, code) in enumerate(SECTIONS[heading]):
                    first_line = code.partition("\n")[0]
                    if language == "sh":
                        run_commands(code, tmp_path)
                    elif re.fullmatch(r"# \w+\.py", first_line):
                        import_file(code, first_line[2:], namespace, tmp_path)
                    else:
                        run_block(runner, code, namespace, f"README.md: {heading}, block {index + 1}")
            finally:
                # A snippet that failed before its disconnect() would leave SQLite's threads
                # running, and they keep the test process from exiting.
                for value in list(namespace.values()):
                    if isinstance(value, Database) and value.is_connected:
                        runner.run(value.disconnect())
    finally:
        for name in set(sys.modules) - modules_before:
            if getattr(sys.modules[name], "__file__", "") and str(tmp_path) in sys.modules[name].__file__:
                del sys.modules[name]
