"""Migration files on disk: ``NNNN_name.py`` modules in one directory, applied in name order.

Each file defines ``class Migration(migrations.Migration)`` with ``dependencies`` (the names
of the migrations it follows) and ``operations``.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence
from typing import ClassVar

from covet.orm.errors import ImproperlyConfigured
from covet.orm.migrations.operations import Operation
from covet.orm.migrations.state import ProjectState

__all__ = ["Migration", "load_migrations", "next_name", "replay"]

_FILE = re.compile(r"^(\d{4})_\w+\.py$")


class Migration:
    """Base class of the ``Migration`` in each migration file."""

    name: str = ""
    dependencies: ClassVar[Sequence[str]] = ()
    operations: ClassVar[Sequence[Operation]] = ()

    @property
    def atomic(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<Migration {self.name}>"


def load_migrations(directory: str) -> list[Migration]:
    """The migrations in ``directory`` in order, each checked to follow the ones it depends on."""
    if not os.path.isdir(directory):
        return []
    migrations: list[Migration] = []
    for filename in sorted(os.listdir(directory)):
        if not _FILE.match(filename):
            continue
        name = filename[:-3]
        path = os.path.join(directory, filename)
        spec = importlib.util.spec_from_file_location(f"covet_migration_{name}", path)
        if spec is None or spec.loader is None:
            raise ImproperlyConfigured(f"cannot load the migration file {path}")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise ImproperlyConfigured(f"migration {path} failed to import: {exc}") from exc
        cls = getattr(module, "Migration", None)
        if not (isinstance(cls, type) and issubclass(cls, Migration)):
            raise ImproperlyConfigured(f"{path} defines no `class Migration(migrations.Migration)`")
        migration = cls()
        migration.name = name
        known = {m.name for m in migrations}
        for dependency in cls.dependencies:
            if dependency not in known:
                raise ImproperlyConfigured(
                    f"migration {name} depends on {dependency!r}, which is not an earlier migration "
                    f"in {directory}"
                )
        migrations.append(migration)
    return migrations


def replay(migrations: Sequence[Migration]) -> ProjectState:
    """The schema state the migrations build, from nothing."""
    state = ProjectState()
    for migration in migrations:
        for operation in migration.operations:
            operation.state_forwards(state)
    return state


def next_name(migrations: Sequence[Migration], label: str) -> str:
    number = int(migrations[-1].name[:4]) + 1 if migrations else 1
    slug = re.sub(r"\W+", "_", label).strip("_").lower() or "auto"
    return f"{number:04d}_{slug}"
