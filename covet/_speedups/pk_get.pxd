# Cython declarations augmenting pk_get.py (pure-Python mode): the .py stays the one source.

cimport cython
from covet._speedups.orm_rows cimport InstanceLayout, load_instance

cdef object _get_database
cdef object _watch

cdef class PkGet:
    cdef readonly object db
    cdef readonly str sql
    cdef readonly object to_db
    cdef readonly InstanceLayout layout
    cdef readonly object model

    @cython.locals(params=tuple)
    cpdef object fetch(self, object db, object value)

cdef class PkLoader:
    cdef readonly PkGet lookup
    cdef readonly object db
    cdef readonly object value
