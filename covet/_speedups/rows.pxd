# Cython declarations augmenting rows.py (pure-Python mode): the .py stays the one source.

cimport cython
from cpython.list cimport PyList_GET_ITEM
from cpython.object cimport PyObject, PyObject_GenericSetAttr, PyTypeObject
from cpython.ref cimport Py_INCREF, _Py_REFCNT
from cpython.tuple cimport PyTuple_SET_ITEM

cdef extern from "Python.h":
    PyTypeObject PyTuple_Type
    object PyType_GenericAlloc(PyTypeObject* cls, Py_ssize_t nitems)
    void Py_SET_TYPE(PyObject* ob, PyTypeObject* cls)
    Py_ssize_t _Py_SIZE "Py_SIZE" (PyObject* ob)

ctypedef PyTypeObject* PyTypeObject_ptr
ctypedef PyObject* PyObject_ptr

cdef Py_ssize_t _TUPLE_BASICSIZE

cdef object _short_row(tuple names)
@cython.locals(name=object)
cdef tuple _check_names(object names)

cpdef list decode_records(object rows, type cls)

@cython.locals(items=list, target=PyTypeObject_ptr, i=Py_ssize_t, item=PyObject_ptr)
cpdef object records_in_place(object rows, type cls)

cdef bint _plain_record_class(type cls)

@cython.locals(out=list, t=tuple, n=Py_ssize_t, i=Py_ssize_t, record=object, value=object)
cdef list _fill_records(object rows, type cls)

@cython.locals(keys=tuple, out=list, t=tuple, width=Py_ssize_t, n=Py_ssize_t, i=Py_ssize_t, d=dict)
cpdef list decode_dicts(object rows, object names)

@cython.locals(keys=tuple, out=list, t=tuple, width=Py_ssize_t, i=Py_ssize_t, obj=object,
               new=object, count=Py_ssize_t)
cpdef list decode_objects(object rows, object cls, object names)
