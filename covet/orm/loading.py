"""Model instances from result rows: the queried model (through the compiled ``orm_rows``
kernel), the ``select_related`` ones joined below it, each from its slice of the row, and
annotations."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

from covet._speedups.orm_rows import load_instance, load_instances
from covet.db import Database
from covet.orm.models import expose_extra
from covet.orm.query import RelatedNode

__all__ = ["build_instances"]

#: Results at least this long are loaded with the cyclic GC paused (see ``build_instances``).
_PAUSE_GC_ROWS = 1000


def build_instances(
    rows: list[Any], tree: RelatedNode, annotations: list[str], backend: str, db: Database
) -> list[Any]:
    """Instances from rows: the base model, the select_related ones below it, then annotations."""
    if len(rows) < _PAUSE_GC_ROWS or not gc.isenabled():
        return _load(rows, tree, annotations, backend, db)
    # PERF: loading makes no reference cycles, so the collections its allocations would trigger
    # (one per 700 objects) find nothing; they cost a third of loading 10,000 rows.
    gc.disable()
    try:
        return _load(rows, tree, annotations, backend, db)
    finally:
        gc.enable()


def _load(
    rows: list[Any], tree: RelatedNode, annotations: list[str], backend: str, db: Database
) -> list[Any]:
    objects = load_instances(rows, tree.model._layout(backend), db)  # each keeps its own columns
    if not tree.children and not annotations:
        return objects
    _prepare_layouts(tree, backend)
    for name in annotations:
        expose_extra(tree.model, name)
    first = len(rows[0]) - len(annotations) if rows else 0
    for obj, row in zip(objects, rows, strict=True):
        if tree.children:
            _attach(obj, row, tree, db)
        if annotations:
            extra = obj._extra
            if extra is None:
                extra = obj._extra = {}
            for name, value in zip(annotations, row[first:], strict=True):
                extra[name] = value
    return objects


def _prepare_layouts(node: RelatedNode, backend: str) -> None:
    for child in node.children:
        if child.layout is None:
            child.layout = child.model._layout(backend)
        _prepare_layouts(child, backend)


def _attach(obj: Any, row: Sequence[Any], node: RelatedNode, db: Database) -> None:
    for child in node.children:
        part = row[child.start : child.stop]
        related = None if part[0] is None else load_instance(part, child.layout, db)
        obj._set_extra(child.name, related)
        if related is not None and child.children:
            _attach(related, row, child, db)
