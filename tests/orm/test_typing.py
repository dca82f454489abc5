"""Models read as their types to mypy: ``Book.objects`` is ``Manager[Book]``, ``book.title`` a str.

``typing_sample.py`` holds the promises as ``assert_type`` calls; mypy (strict, the project's
configuration) must find it clean, and must still refuse a wrong assignment to a field.
"""

from __future__ import annotations

import subprocess  # nosec B404 - runs mypy, a fixed command
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).with_name("typing_sample.py")


def mypy(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")]
    command += ["--cache-dir", str(ROOT / ".mypy_cache"), "--no-error-summary", *map(str, paths)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # nosec B603


def test_models_managers_and_querysets_carry_the_model_and_field_types() -> None:
    result = mypy(SAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_value_of_the_wrong_type_for_a_field_is_refused(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong_types.py"
    wrong.write_text(
        "from covet.orm import CASCADE, CharField, ForeignKey, IntegerField, Model\n"
        "\n"
        "class Writer(Model):\n"
        "    name = CharField(max_length=50)\n"
        "    age = IntegerField(null=True)\n"
        "\n"
        "class Essay(Model):\n"
        "    writer = ForeignKey(Writer, on_delete=CASCADE)\n"
        "\n"
        "async def edit(writer: Writer, essay: Essay) -> None:\n"
        "    writer.name = 1\n"
        "    writer.name = None\n"
        "    writer.age = None\n"
        "    essay.writer = essay\n"
        "    title: str = await Essay.objects.get(pk=1)\n"
    )
    result = mypy(wrong)
    errors = [line.split(":", 2)[1:] for line in result.stdout.splitlines() if ": error: " in line]
    assert [int(line) for line, _ in errors] == [11, 12, 14, 15], result.stdout
    assert 'matches argument types "Writer", "int"' in errors[0][1]
    assert 'matches argument types "Writer", "None"' in errors[1][1]
    assert 'matches argument types "Essay", "Essay"' in errors[2][1]
    assert 'expression has type "Essay", variable has type "str"' in errors[3][1]
    assert "def __set__(self, instance: Model, value: str) -> None" in result.stdout
