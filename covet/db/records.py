"""Result rows: :class:`Record`, a tuple that also answers to its column names.

One Record subclass is made per distinct column list (cached), carrying the shared
column → index map and a property per column, so a row costs what its tuple costs.

``decode_rows`` is the per-result hot path: its loops over the rows run in the
``covet._speedups.rows`` kernel, which also builds objects of any class for the ORM
(``decode_objects``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any, Optional

from covet._speedups.rows import decode_dicts, decode_objects, decode_records, records_in_place

__all__ = [
    "KIND_DICT",
    "KIND_RECORD",
    "KIND_TUPLE",
    "Record",
    "decode_dicts",
    "decode_objects",
    "decode_records",
    "decode_row",
    "decode_rows",
    "record_class",
]

KIND_TUPLE = 0
KIND_RECORD = 1
KIND_DICT = 2

_MAX_CACHED_SHAPES = 2048


class Record(tuple[Any, ...]):
    """A result row: ``row[0]``, ``row["name"]``, ``row.name``, ``dict(row)``, unpacking.

    Column names that are not identifiers, start with ``_``, or clash with a method of Record
    (``keys``, ``values``, ``items``, ``get``, ``count``, ``index``) are reachable by key only.
    With duplicate column names the first one wins for access by name.
    """

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:
        if key.__class__ is str:
            try:
                key = self._index[key]
            except KeyError:
                raise KeyError(f"no column {key!r} in this row; columns: {', '.join(self._fields)}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> tuple[str, ...]:
        """The column names, in order."""
        return self._fields

    def values(self) -> tuple[Any, ...]:
        return tuple(self)

    def items(self) -> Iterator[tuple[str, Any]]:
        return zip(self._fields, self, strict=False)

    def get(self, key: str, default: Any = None) -> Any:
        index = self._index.get(key)
        return default if index is None else tuple.__getitem__(self, index)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self, strict=False))
        return f"Record({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_record, (self._fields, tuple(self)))


_RESERVED = frozenset(dir(Record))

_shapes: dict[tuple[str, ...], type[Record]] = {}


def record_class(columns: tuple[str, ...]) -> type[Record]:
    """The Record subclass for rows with these column names (one per column list, cached)."""
    cls = _shapes.get(columns)
    if cls is not None:
        return cls
    index: dict[str, int] = {}
    namespace: dict[str, Any] = {"__slots__": (), "_fields": columns, "_index": index}
    for i, name in enumerate(columns):
        if name in index:
            continue
        index[name] = i
        if name.isidentifier() and not name.startswith("_") and name not in _RESERVED:
            namespace[name] = property(itemgetter(i), doc=f"column {i}: {name}")
    cls = type("Record", (Record,), namespace)
    if len(_shapes) >= _MAX_CACHED_SHAPES:
        _shapes.clear()
    _shapes[columns] = cls
    return cls


def _rebuild_record(columns: tuple[str, ...], values: tuple[Any, ...]) -> Record:
    return record_class(columns)(values)


def decode_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], kind: int) -> list[Any]:
    """Rows as the driver returned them → a list of Records, tuples or dicts (``KIND_*``).

    A list of rows becomes a list of Records in place (see ``records_in_place``): pass the
    driver's own result, not a list you still use."""
    if kind == KIND_RECORD:
        if type(rows) is list:
            return records_in_place(rows, record_class(tuple(columns)))
        return decode_records(rows, record_class(tuple(columns)))
    if kind == KIND_TUPLE:
        return rows if type(rows) is list else list(rows)  # every driver gives tuples
    return decode_dicts(rows, columns)


def decode_row(columns: Sequence[str], row: Optional[Sequence[Any]], kind: int) -> Any:
    """One row (or None) → a Record, tuple or dict (``KIND_*``)."""
    if row is None:
        return None
    if kind == KIND_RECORD:
        return record_class(tuple(columns))(row)
    if kind == KIND_TUPLE:
        return row if type(row) is tuple else tuple(row)
    return dict(zip(columns, row, strict=False))
