# Cython declarations augmenting orm_rows.py (pure-Python mode): the .py stays the one source.

cimport cython
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF, Py_XINCREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_New, PyTuple_SET_ITEM

cdef extern from "Python.h":
    object PyType_GenericAlloc(PyTypeObject* cls, Py_ssize_t nitems)
    ctypedef struct PyMemberDef:
        Py_ssize_t offset
        int type
        int flags
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member

ctypedef PyMemberDescrObject* PyMemberDescrObject_ptr
ctypedef PyMemberDef* PyMemberDef_ptr

cdef int _T_OBJECT_EX
cdef int _READONLY

@cython.locals(klass=object, descriptor=object, member=PyMemberDef_ptr)
cdef object _slot(object cls, str name)

cdef object _short_row(InstanceLayout layout, Py_ssize_t width)

cdef class InstanceLayout:
    cdef readonly object cls
    cdef readonly tuple names
    cdef readonly tuple slots
    cdef readonly object converters
    cdef readonly object row_slot
    cdef readonly object db_slot
    cdef readonly object extra_slot
    cdef object _load_rows

cpdef object load_instance(object row, InstanceLayout layout, object db)

@cython.locals(out=list)
cpdef list load_instances(object rows, InstanceLayout layout, object db)

ctypedef PyObject* PyObject_ptr

@cython.locals(t=tuple, slots=tuple, width=Py_ssize_t, size=Py_ssize_t, converters=tuple,
               values=tuple, i=Py_ssize_t, value=object, converter=object, obj=object,
               base=cython.p_char, item=PyObject_ptr)
cdef object _fill(object row, InstanceLayout layout, object db)

@cython.locals(offset=Py_ssize_t)
cdef void _put(char* base, PyObject* descriptor, PyObject* item) noexcept

@cython.locals(item=PyObject_ptr)
cdef void _store(char* base, object descriptor, object value) noexcept
