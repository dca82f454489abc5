"""Migrations: ``python -m covet makemigrations`` writes them, ``python -m covet migrate`` applies them.

Migration files import this module as ``migrations`` and use the names below.
"""

from covet.orm.migrations.loader import Migration
from covet.orm.migrations.operations import (
    AddConstraint,
    AddField,
    AddIndex,
    AlterField,
    CreateModel,
    DeleteModel,
    IrreversibleError,
    RemoveConstraint,
    RemoveField,
    RemoveIndex,
    RenameField,
    RunPython,
    RunSQL,
)
from covet.orm.migrations.state import Check, Field, Index, Unique

__all__ = [
    "AddConstraint",
    "AddField",
    "AddIndex",
    "AlterField",
    "Check",
    "CreateModel",
    "DeleteModel",
    "Field",
    "Index",
    "IrreversibleError",
    "Migration",
    "RemoveConstraint",
    "RemoveField",
    "RemoveIndex",
    "RenameField",
    "RunPython",
    "RunSQL",
    "Unique",
]
