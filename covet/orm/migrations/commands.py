"""``covet makemigrations`` and ``covet migrate``: the command-line side of migrations.

Both import the modules that declare the models (``--models myapp.models``, repeatable, or
``COVET_MODELS=myapp.models,other.models``) and use one directory of migration files
(``--migrations``, default ``./migrations``). ``migrate`` connects to ``--database`` (or
``COVET_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, Optional

__all__ = ["add_makemigrations_command", "add_migrate_command", "make_migrations", "run_migrate"]

Subcommands = Any  # argparse's private _SubParsersAction


def _common(parser: argparse.ArgumentParser, *, models: bool) -> None:
    if models:
        parser.add_argument(
            "--models",
            action="append",
            metavar="MODULE",
            help="a module declaring models (repeatable; default: $COVET_MODELS, comma-separated)",
        )
    parser.add_argument(
        "--migrations", default="migrations", metavar="DIR", help="the migration files (default: %(default)s)"
    )
    parser.add_argument(
        "--app-dir", default=".", metavar="DIR", help="put DIR first on sys.path (default: .)"
    )


def add_makemigrations_command(subcommands: Subcommands) -> None:
    parser = subcommands.add_parser(
        "makemigrations",
        help="write a migration file for the changes in your models",
        description="Compare the models with the state the migration files build and write the difference "
        "as a new migration file.",
    )
    parser.set_defaults(command=run_makemigrations)
    _common(parser, models=True)
    parser.add_argument("--name", default=None, help="the migration's name after its number")
    parser.add_argument(
        "--empty", action="store_true", help="write an empty migration (for RunPython/RunSQL)"
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a migration is needed")


def add_migrate_command(subcommands: Subcommands) -> None:
    parser = subcommands.add_parser(
        "migrate",
        help="apply (or roll back) migrations",
        description="Apply pending migrations in order, or migrate back to TARGET ('zero' undoes all).",
    )
    parser.set_defaults(command=run_migrate)
    _common(parser, models=False)
    parser.add_argument("target", nargs="?", default=None, help="a migration name (or its number), or 'zero'")
    parser.add_argument("--database", default=None, metavar="URL", help="default: $COVET_DATABASE_URL")
    parser.add_argument("--plan", action="store_true", help="show the steps and their SQL; change nothing")


def _import_models(args: argparse.Namespace) -> list[Any]:
    """Import the models modules; the concrete models they declare (link tables included)."""
    from covet.orm import registry

    sys.path.insert(0, os.path.abspath(args.app_dir))
    modules = args.models or [m for m in os.environ.get("COVET_MODELS", "").split(",") if m.strip()]
    if not modules:
        raise SystemExit("covet: name the modules declaring your models with --models (or COVET_MODELS)")
    for name in modules:
        try:
            importlib.import_module(name.strip())
        except ImportError as exc:
            raise SystemExit(f"covet: cannot import models module {name!r}: {exc}") from None
    wanted = {name.strip() for name in modules}
    return [model for model in registry.all_models() if model.__module__ in wanted]


def make_migrations(
    directory: str, models: Sequence[Any], *, name: Optional[str] = None, empty: bool = False
) -> Optional[str]:
    """Write the next migration file for ``models``; its path, or None when nothing changed."""
    from covet.orm import registry
    from covet.orm.migrations.autodetector import detect_changes
    from covet.orm.migrations.loader import load_migrations, next_name, replay
    from covet.orm.migrations.state import ProjectState
    from covet.orm.migrations.writer import render_migration

    missing = registry.unresolved()
    if missing:
        raise SystemExit(f"covet: relations point at undeclared models: {', '.join(missing)}")
    migrations = load_migrations(directory)
    operations = [] if empty else detect_changes(replay(migrations), ProjectState.from_models(models))
    if not operations and not empty:
        return None
    label = name or ("initial" if not migrations else "auto")
    filename = next_name(migrations, label)
    dependencies = [migrations[-1].name] if migrations else []
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{filename}.py")
    with open(path, "w", encoding="utf-8") as out:
        out.write(render_migration(filename, dependencies, operations))
    return path


def run_makemigrations(args: argparse.Namespace) -> int:
    models = _import_models(args)
    if args.check:
        from covet.orm.migrations.autodetector import detect_changes
        from covet.orm.migrations.loader import load_migrations, replay
        from covet.orm.migrations.state import ProjectState

        changes = detect_changes(replay(load_migrations(args.migrations)), ProjectState.from_models(models))
        for operation in changes:
            print(f"  - {operation.describe()}")
        print("Migrations needed." if changes else "No changes detected.")
        return 1 if changes else 0
    path = make_migrations(args.migrations, models, name=args.name, empty=args.empty)
    if path is None:
        print("No changes detected.")
        return 0
    from covet.orm.migrations.loader import load_migrations

    migration = load_migrations(args.migrations)[-1]
    print(f"Wrote {path}:")
    for operation in migration.operations:
        print(f"  - {operation.describe()}")
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    sys.path.insert(0, os.path.abspath(args.app_dir))  # RunPython functions may import the app
    url = args.database or os.environ.get("COVET_DATABASE_URL")
    if not url:
        print("covet: give the database with --database URL (or COVET_DATABASE_URL)", file=sys.stderr)
        return 2
    return asyncio.run(_migrate(url, args.migrations, args.target, args.plan))


async def _migrate(url: str, directory: str, target: Optional[str], plan_only: bool) -> int:
    from covet.db import Database, DatabaseError
    from covet.orm.errors import ImproperlyConfigured
    from covet.orm.migrations.executor import MigrationExecutor
    from covet.orm.migrations.loader import load_migrations
    from covet.orm.migrations.operations import IrreversibleError

    try:
        migrations = load_migrations(directory)
    except ImproperlyConfigured as exc:
        print(f"covet: {exc}", file=sys.stderr)
        return 2
    async with Database(url, pool_min_size=1, pool_max_size=1) as db:
        executor = MigrationExecutor(db, migrations)
        try:
            if plan_only:
                steps = await executor.plan(target)
                if not steps:
                    print("No migrations to apply.")
                for step in steps:
                    print(f"{'Unapply' if step[1] else 'Apply'} {step[0].name}:")
                    for sql in await executor.sql_for(step):
                        print(f"    {sql};")
                return 0
            await executor.migrate(target)
        except (ImproperlyConfigured, IrreversibleError, DatabaseError) as exc:
            print(f"covet: migrate failed: {exc}", file=sys.stderr)
            for note in getattr(exc, "__notes__", ()):
                print(f"  {note}", file=sys.stderr)
            return 1
    return 0
