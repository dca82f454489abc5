"""Decode result rows (tuples from the driver) into records, dicts or objects of a class.

These run once per row of every result, so each form loops in C: compiled, over the rows with
the C API (a record is allocated and filled like a tuple, attributes are set with
``PyObject_GenericSetAttr``); interpreted, through ``map``/``zip``/``itemgetter`` pipelines, so
no Python-level loop runs per row. Both forms give the same results and raise the same errors.

One source for both modes: ``rows.pxd`` types it for Cython; interpreted, it is plain Python.
"""

from collections import deque
from itertools import repeat
from operator import itemgetter

import cython

_TUPLE_BASICSIZE = tuple.__basicsize__


def _short_row(names):
    return ValueError(f"a row has fewer values than the {len(names)} names given: {', '.join(names)}")


def _check_names(names):
    names = tuple(names)
    for name in names:
        if type(name) is not str:
            raise TypeError(f"attribute names must be str, got {type(name).__name__} {name!r}")
    return names


def decode_records(rows, cls):
    """Each row as an instance of ``cls``, a tuple subclass (a :class:`covet.db.Record` shape)."""
    if not issubclass(cls, tuple):
        raise TypeError(f"records are tuples: {cls.__name__} is not a tuple subclass")
    if cython.compiled and cls.__basicsize__ == _TUPLE_BASICSIZE and cls.__new__ is tuple.__new__:
        # No fields of its own and tuple's constructor: fill the items in place, one copy.
        return _fill_records(rows, cls)
    return list(map(cls, rows))


def _fill_records(rows, cls):
    out = []
    for row in rows:
        if type(row) is not tuple:
            out.append(cls(row))
            continue
        t = cython.cast(tuple, row)
        n = len(t)
        record = PyType_GenericAlloc(cython.cast(cython.pointer(PyTypeObject), cls), n)
        for i in range(n):
            value = t[i]
            Py_INCREF(value)
            PyTuple_SET_ITEM(record, i, value)
        out.append(record)
    return out


def decode_dicts(rows, names):
    """Each row as a dict of ``names`` to its values (a name given twice keeps the last value)."""
    keys = tuple(names)
    if not cython.compiled:
        return list(map(dict, map(zip, repeat(keys), rows)))
    out = []
    width = len(keys)
    for row in rows:
        t = row if type(row) is tuple else tuple(row)
        n = min(width, len(t))
        d = {}
        for i in range(n):
            d[keys[i]] = t[i]
        out.append(d)
    return out


def decode_objects(rows, cls, names):
    """Each row as ``cls.__new__(cls)`` with ``names`` set to its values, ``__init__`` not called.

    Values are set as ``object.__setattr__`` sets them: slots, ``__dict__`` entries and data
    descriptors (properties) all work, and a ``__setattr__`` of the class itself is bypassed, so
    change tracking does not see loading. A row may carry more values than ``names`` (the rest
    are ignored), not fewer.
    """
    keys = _check_names(names)
    new = cls.__new__
    if not cython.compiled:
        count = len(rows)
        if count and min(map(len, rows)) < len(keys):
            raise _short_row(keys)
        objects = list(map(new, repeat(cls, count)))
        setter = object.__setattr__
        for i, name in enumerate(keys):  # one C-level pass per column, none per row
            deque(map(setter, objects, repeat(name, count), map(itemgetter(i), rows)), 0)
        return objects
    out = []
    width = len(keys)
    for row in rows:
        t = row if type(row) is tuple else tuple(row)
        if len(t) < width:
            raise _short_row(keys)
        obj = new(cls)
        for i in range(width):
            PyObject_GenericSetAttr(obj, keys[i], t[i])
        out.append(obj)
    return out
