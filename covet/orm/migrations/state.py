"""The schema as migrations see it: tables of typed columns, indexes and constraints — no model classes.

``ProjectState.from_models()`` reads the declared models; replaying the operations of the
migration files gives the recorded state; the autodetector compares the two. Columns are keyed
by their column name (``author_id``), because a migration is about the database.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Optional

from covet.orm.fields import NOT_PROVIDED
from covet.orm.fields import Field as ModelField
from covet.orm.relations import ForeignKey

if TYPE_CHECKING:
    from covet.orm.expressions import Q
    from covet.orm.models import Model

__all__ = ["Check", "Field", "Index", "ModelState", "ProjectState", "Unique", "index_name"]


class Field:
    """A column: its kind (a field class name: ``"CharField"``), and the options that shape it.

    ``Field("CharField", max_length=200, null=True)``; a foreign key also names the table it
    references: ``Field("ForeignKey", to="author", target=Field("BigAutoField"))``.
    """

    def __init__(self, kind: str, **options: Any) -> None:
        self.internal_type = kind
        self.options = options

    # What covet.orm.backends reads to pick a column type (duck-typing a model field).
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.options.get(name, _DEFAULTS.get(name))

    @property
    def target_field(self) -> Field:
        target: Field = self.options["target"]
        return target

    @property
    def auto(self) -> bool:
        return self.internal_type in ("AutoField", "BigAutoField")

    @property
    def has_default(self) -> bool:
        return "default" in self.options

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Field) and (self.internal_type, self.options) == (
            other.internal_type,
            other.options,
        )

    def __hash__(self) -> int:
        return hash(self.internal_type)

    def __repr__(self) -> str:
        options = "".join(f", {key}={value!r}" for key, value in sorted(self.options.items()))
        return f"Field({self.internal_type!r}{options})"

    @classmethod
    def from_field(cls, field: ModelField) -> Field:
        kind, options = field.deconstruct()
        if kind in ("AutoField", "BigAutoField"):
            options["primary_key"] = True
        if "target_type" in options:
            target_kind, target_options = options.pop("target_type")
            target_options.pop("primary_key", None)
            options["target"] = Field(target_kind, **target_options)
            options["to_column"] = field.target_field.column  # type: ignore[attr-defined]
        options.pop("db_column", None)  # the column name is the key
        if "default" in options and options["default"] is NOT_PROVIDED:
            del options["default"]
        return cls(kind, **options)


_DEFAULTS: dict[str, Any] = {
    "null": False,
    "unique": False,
    "index": False,
    "primary_key": False,
    "db_constraint": True,
}


@dataclasses.dataclass
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclasses.dataclass
class Unique:
    name: str
    columns: tuple[str, ...]


@dataclasses.dataclass
class Check:
    """``CHECK (condition)``: ``condition`` is a Q over the table's own columns."""

    name: str
    condition: Q

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Check) and (self.name, repr(self.condition)) == (
            other.name,
            repr(other.condition),
        )


def index_name(table: str, columns: Iterable[str], suffix: str) -> str:
    """A name for an unnamed index or constraint that fits every backend (63 bytes at most)."""
    base = f"{table}_{'_'.join(c.lstrip('-') for c in columns)}"
    name = f"{base}_{suffix}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{base[: 63 - len(suffix) - 10]}_{digest}_{suffix}"


@dataclasses.dataclass
class ModelState:
    """One table: its columns in order, indexes and constraints."""

    table: str
    fields: list[tuple[str, Field]]
    indexes: list[Index] = dataclasses.field(default_factory=list)
    constraints: list[Any] = dataclasses.field(default_factory=list)

    def field(self, column: str) -> Field:
        for name, field in self.fields:
            if name == column:
                return field
        raise KeyError(f"table {self.table!r} has no column {column!r} in the migration state")

    @property
    def columns(self) -> list[str]:
        return [name for name, _ in self.fields]

    @property
    def primary_key(self) -> Optional[str]:
        for name, field in self.fields:
            if field.primary_key:
                return name
        return None

    def references(self) -> set[str]:
        return {field.to for _, field in self.fields if field.to is not None}

    @classmethod
    def from_model(cls, model: type[Model]) -> ModelState:
        meta = model._meta
        columns = {f.name: f.column for f in meta.fields}
        fields = [(f.column, Field.from_field(f)) for f in meta.fields]
        for _, state in fields:
            state.options.pop("index", None)
        indexes = [
            Index(index_name(meta.db_table, [f.column], "idx"), (f.column,))
            for f in meta.fields
            if f.index and not f.unique
        ]
        indexes += [
            Index(
                index.name or index_name(meta.db_table, index.fields, "idx"),
                tuple(
                    ("-" if n.startswith("-") else "") + columns.get(n.lstrip("-"), n.lstrip("-"))
                    for n in index.fields
                ),
                index.unique,
            )
            for index in meta.indexes
        ]
        for f in meta.fields:
            if isinstance(f, ForeignKey) and not f.unique:
                indexes.append(Index(index_name(meta.db_table, [f.column], "idx"), (f.column,)))
        constraints: list[Any] = []
        for constraint in meta.constraints:
            if hasattr(constraint, "check"):
                constraints.append(Check(constraint.name, constraint.check))
            else:
                constraints.append(
                    Unique(constraint.name, tuple(columns.get(n, n) for n in constraint.fields))
                )
        return cls(meta.db_table, fields, _dedupe(indexes), constraints)

    def clone(self) -> ModelState:
        return copy.deepcopy(self)


def _dedupe(indexes: list[Index]) -> list[Index]:
    seen: dict[str, Index] = {}
    for index in indexes:
        seen.setdefault(index.name, index)
    return list(seen.values())


class ProjectState:
    """Every table, by name."""

    def __init__(self, models: Optional[dict[str, ModelState]] = None) -> None:
        self.models: dict[str, ModelState] = models or {}

    @classmethod
    def from_models(cls, models: Iterable[type[Model]]) -> ProjectState:
        return cls({model._meta.db_table: ModelState.from_model(model) for model in models})

    def clone(self) -> ProjectState:
        return ProjectState({name: state.clone() for name, state in self.models.items()})

    def __getitem__(self, table: str) -> ModelState:
        try:
            return self.models[table]
        except KeyError:
            raise KeyError(f"no table {table!r} in the migration state") from None
