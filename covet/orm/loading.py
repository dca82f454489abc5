"""Model instances from result rows: the queried model, the ``select_related`` ones joined below
it (each in its slice of the row), and annotations."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

from covet.db import Database
from covet.orm.query import RelatedNode

__all__ = ["build_instances"]

#: Results at least this long are loaded with the cyclic GC paused (see ``build_instances``).
_PAUSE_GC_ROWS = 1000


def build_instances(
    rows: list[Any], tree: RelatedNode, annotations: list[str], backend: str, db: Database
) -> list[Any]:
    """Instances from rows: the base model, the select_related ones below it, then annotations."""
    model = tree.model
    if not tree.children and not annotations:
        if len(rows) < _PAUSE_GC_ROWS or not gc.isenabled():
            return model._many_loader(backend)(rows, db)
        # PERF: the loader makes no reference cycles, so the collections its allocations would
        # trigger (one per 700 objects) find nothing; they cost a third of loading 10,000 rows.
        gc.disable()
        try:
            return model._many_loader(backend)(rows, db)
        finally:
            gc.enable()
    load = model._loader(backend)
    width = tree.stop
    _prepare_loaders(tree, backend)
    objects = []
    for row in rows:
        obj = load(row[:width], db)
        if tree.children:
            _attach(obj, row, tree, db)
        if annotations:
            extra = obj._extra
            if extra is None:
                extra = obj._extra = {}
            for name, value in zip(annotations, row[len(row) - len(annotations) :], strict=True):
                extra[name] = value
        objects.append(obj)
    return objects


def _prepare_loaders(node: RelatedNode, backend: str) -> None:
    for child in node.children:
        if child.loader is None:
            child.loader = child.model._loader(backend)
        _prepare_loaders(child, backend)


def _attach(obj: Any, row: Sequence[Any], node: RelatedNode, db: Database) -> None:
    for child in node.children:
        part = row[child.start : child.stop]
        related = None if part[0] is None else child.loader(part, db)
        obj._set_extra(child.name, related)
        if related is not None and child.children:
            _attach(related, row, child, db)
