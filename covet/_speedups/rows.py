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
    if cython.compiled and _plain_record_class(cls):
        # No fields of its own and tuple's constructor: fill the items in place, one copy.
        return _fill_records(rows, cls)
    return list(map(cls, rows))


def records_in_place(rows, cls):
    """``rows``, a list of driver rows no one else has seen, turned into ``cls`` records in place.

    A tuple referred to by this list alone becomes a record where it stands: its type is switched
    to ``cls`` (same memory layout, nothing copied), which is what makes a fetched record cost what
    its tuple costs. Any other row is replaced by a new record. Returns ``rows``.
    """
    if not issubclass(cls, tuple):
        raise TypeError(f"records are tuples: {cls.__name__} is not a tuple subclass")
    if not cython.compiled or type(rows) is not list or not _plain_record_class(cls):
        rows[:] = map(cls, rows)
        return rows
    items = cython.cast(list, rows)
    target = cython.cast(cython.pointer(PyTypeObject), cls)
    for i in range(len(items)):
        item = PyList_GET_ITEM(items, i)
        if _Py_REFCNT(item) == 1 and item.ob_type == cython.address(PyTuple_Type) and _Py_SIZE(item) > 0:
            # The empty tuple is a shared singleton and any other tuple with a second reference
            # may be seen elsewhere: only exclusively held ones are retyped.
            Py_INCREF(cls)  # an instance of a heap type holds a reference to it
            Py_SET_TYPE(item, target)
        else:
            items[i] = cls(cython.cast(object, item))
    return rows


def _plain_record_class(cls):
    """True for a tuple subclass with no fields and no constructor of its own (a Record shape)."""
    same_layout = cls.__basicsize__ == _TUPLE_BASICSIZE
    return same_layout and cls.__new__ is tuple.__new__ and cls.__init__ is tuple.__init__


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
