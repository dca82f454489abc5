"""Rows -> ORM model instances: the loop every loaded QuerySet runs once per row.

A model instance (``covet.orm.models``) is its class's ``__new__`` with one slot per column, plus
``_row`` (the tuple of the values as loaded, which change tracking compares with), ``_db`` and
``_extra``. An ``InstanceLayout`` names those slots once per model and backend, with the
converters of the columns the driver returns in another form; ``load_instances`` fills one
instance per row of a result, ``load_instance`` one.

Compiled, an instance is allocated by its type's ``tp_alloc`` and each value is stored straight
into its slot, at the offset the slot's member descriptor gives (checked when the layout is made):
no attribute lookup, no Python call per value unless the column has a converter. Interpreted,
the layout generates its loading loop once (``exec`` of the slot names, which are identifiers):
one tuple-unpacking assignment to the slots per row, the fastest pure-Python form (the
interpreter specialises each slot store). Both forms give the same instances and raise the same
errors. One source for both modes: ``orm_rows.pxd`` types it for Cython.
"""

from types import MemberDescriptorType

import cython

_T_OBJECT_EX = 16  # structmember.h: an object slot, AttributeError when unset
_READONLY = 1


def _slot(cls, name):
    """The member descriptor of ``cls``'s slot ``name`` (TypeError when it is not a plain slot)."""
    for klass in cls.__mro__:
        descriptor = klass.__dict__.get(name)
        if descriptor is not None:
            break
    else:
        descriptor = None
    if type(descriptor) is not MemberDescriptorType:
        raise TypeError(f"{cls.__name__}.{name} is not a slot (declare it in __slots__)")
    if cython.compiled:
        member = cython.cast(cython.pointer(PyMemberDescrObject), descriptor).d_member
        if member.type != _T_OBJECT_EX or member.flags & _READONLY:
            raise TypeError(f"{cls.__name__}.{name} is not a writable object slot")
    return descriptor


def _short_row(layout, width):
    return ValueError(
        f"a row for {layout.cls.__name__} has {width} values; {len(layout.slots)} are needed "
        f"({', '.join(layout.names)})"
    )


class InstanceLayout:
    """Where a row's values go in an instance of ``cls``: the slots ``names`` (in row order), each
    value passed through its converter first (None: stored as it is), and the ``_row``, ``_db``
    and ``_extra`` slots."""

    def __init__(self, cls, names, converters):
        if not isinstance(cls, type):
            raise TypeError(f"an InstanceLayout is made for a class, not {cls!r}")
        if cls.__new__ is not object.__new__ or getattr(cls, "__abstractmethods__", None):
            raise TypeError(f"{cls.__name__} has its own __new__ or is abstract: instances cannot be loaded")
        self.cls = cls
        self.names = tuple(names)
        for name in self.names:
            if type(name) is not str:
                raise TypeError(f"slot names are str, not {type(name).__name__} {name!r}")
        self.slots = tuple([_slot(cls, name) for name in self.names])
        converters = tuple(converters)
        if len(converters) != len(self.names):
            raise ValueError(f"{len(self.names)} names but {len(converters)} converters")
        for converter in converters:
            if converter is not None and not callable(converter):
                raise TypeError(f"a converter must be callable or None, not {converter!r}")
        self.converters = None if all(c is None for c in converters) else converters
        self.row_slot = _slot(cls, "_row")
        self.db_slot = _slot(cls, "_db")
        self.extra_slot = _slot(cls, "_extra")
        self._load_rows = None if cython.compiled else _generated_loader(self)


def load_instance(row, layout, db):
    """One instance of ``layout.cls`` from ``row`` (at least as many values as the layout's slots;
    ``_row`` keeps the first ones, converted), with ``_db`` set to ``db``."""
    if cython.compiled:
        return _fill(row, layout, db)
    return layout._load_rows((row,), db)[0]


def load_instances(rows, layout, db):
    """``load_instance`` for each row of ``rows``, as a list."""
    if cython.compiled:
        out = []
        for row in rows:
            out.append(_fill(row, layout, db))
        return out
    return layout._load_rows(rows, db)


def _generated_loader(layout):
    """Interpreted only: ``load_rows(rows, db)`` for ``layout``, written out for its slots."""
    width = len(layout.names)
    targets = "".join(f"obj.{name}, " for name in layout.names)
    namespace = {"new": object.__new__, "cls": layout.cls, "cut": lambda row: _first_values(row, layout)}
    body = [
        f"if len(row) != {width}:",
        "    row = cut(row)",
        "obj = new(cls)",
        f"{targets}= row",
        "obj._db = db",
        "obj._extra = None",
    ]
    converters = layout.converters if layout.converters is not None else (None,) * width
    for name, converter in zip(layout.names, converters, strict=True):
        if converter is not None:
            namespace[f"convert_{name}"] = converter
            body.append(f"obj.{name} = convert_{name}(obj.{name})")
    body.append(
        f"obj._row = ({targets})"
        if layout.converters
        else "obj._row = row if type(row) is tuple else tuple(row)"
    )
    lines = ["def load_rows(rows, db):", "    out = []", "    append = out.append", "    for row in rows:"]
    lines += [f"        {line}" for line in body] + ["        append(obj)", "    return out"]
    source = "\n".join(lines)
    exec(compile(source, f"<covet loader of {layout.cls.__name__}>", "exec"), namespace)  # noqa: S102 - slot names  # nosec B102
    return namespace["load_rows"]


def _first_values(row, layout):
    width = len(layout.names)
    if len(row) < width:
        raise _short_row(layout, len(row))
    return tuple(row[:width])


def _fill(row, layout, db):
    """Compiled only: one instance, its slots written in place (they are NULL after tp_alloc)."""
    t = row if type(row) is tuple else tuple(row)
    slots = layout.slots
    width = len(slots)
    size = len(t)
    if size < width:
        raise _short_row(layout, size)
    converters = layout.converters
    if converters is not None:
        values = PyTuple_New(width)
        for i in range(width):
            value = t[i]
            converter = converters[i]
            if converter is not None:
                value = converter(value)
            Py_INCREF(value)
            PyTuple_SET_ITEM(values, i, value)
    elif size == width:
        values = t
    else:
        values = t[:width]
    obj = PyType_GenericAlloc(cython.cast(cython.pointer(PyTypeObject), layout.cls), 0)
    base = cython.cast(cython.p_char, cython.cast(cython.pointer(PyObject), obj))
    for i in range(width):
        item = PyTuple_GET_ITEM(values, i)  # borrowed: the slot takes its own reference
        Py_XINCREF(item)
        _put(base, PyTuple_GET_ITEM(slots, i), item)
    _store(base, layout.row_slot, values)
    _store(base, layout.db_slot, db)
    _store(base, layout.extra_slot, None)
    return obj


def _put(base, descriptor, item):
    """Compiled only: write ``item`` (a reference it takes over) into the slot ``descriptor``."""
    offset = cython.cast(cython.pointer(PyMemberDescrObject), descriptor).d_member.offset
    cython.cast(cython.pointer(cython.pointer(PyObject)), base + offset)[0] = item


def _store(base, descriptor, value):
    """Compiled only: put ``value`` into the slot ``descriptor`` describes, with a new reference."""
    item = cython.cast(cython.pointer(PyObject), value)
    Py_XINCREF(item)
    _put(base, cython.cast(cython.pointer(PyObject), descriptor), item)
