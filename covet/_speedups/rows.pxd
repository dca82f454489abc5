# Cython declarations augmenting rows.py (pure-Python mode): the .py stays the one source.

cimport cython
from cpython.object cimport PyObject_GenericSetAttr, PyTypeObject
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_SET_ITEM

cdef extern from "Python.h":
    object PyType_GenericAlloc(PyTypeObject* cls, Py_ssize_t nitems)

cdef Py_ssize_t _TUPLE_BASICSIZE

cdef object _short_row(tuple names)
@cython.locals(name=object)
cdef tuple _check_names(object names)

cpdef list decode_records(object rows, type cls)

@cython.locals(out=list, t=tuple, n=Py_ssize_t, i=Py_ssize_t, record=object, value=object)
cdef list _fill_records(object rows, type cls)

@cython.locals(keys=tuple, out=list, t=tuple, width=Py_ssize_t, n=Py_ssize_t, i=Py_ssize_t, d=dict)
cpdef list decode_dicts(object rows, object names)

@cython.locals(keys=tuple, out=list, t=tuple, width=Py_ssize_t, i=Py_ssize_t, obj=object, new=object,
                count=Py_ssize_t)
cpdef list decode_objects(object rows, type cls, object names)
