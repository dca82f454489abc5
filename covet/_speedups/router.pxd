# Cython declarations augmenting router.py (pure-Python mode): the .py stays the one source.

cimport cython

cdef int _KIND_CUSTOM
cdef int _KIND_STR
cdef int _KIND_INT
cdef int _KIND_FLOAT
cdef int _KIND_UUID
cdef int _KIND_SLUG
cdef int _KIND_PATH
cdef dict _BUILTIN_KINDS
cdef object _NO_MATCH
cdef double _INF


cdef class Match:
    cdef readonly object route
    cdef readonly dict params


cdef class MountMatch:
    cdef readonly object mount
    cdef readonly dict params
    cdef readonly str path


cdef class MethodNotAllowed:
    cdef readonly frozenset allowed


cdef class NotFound:
    cdef readonly object redirect


cdef NotFound _NOT_FOUND
cdef str _GET


cdef class _Entry:
    cdef object route
    cdef tuple names
    cdef str template
    cdef bint implicit


cdef class _Node:
    cdef dict statics
    cdef _Node param
    cdef _Node catchall
    cdef int kind
    cdef str converter_name
    cdef object match
    cdef object to_python
    cdef str origin
    cdef dict methods
    cdef _Entry get_entry
    cdef MethodNotAllowed not_allowed
    cdef _Entry mount


@cython.locals(c=Py_UCS4)
cpdef bint is_int_segment(str segment)
@cython.locals(n=Py_ssize_t, i=Py_ssize_t, first=Py_ssize_t)
cpdef bint is_float_segment(str segment)
@cython.locals(i=Py_ssize_t, c=Py_UCS4)
cpdef bint is_uuid_segment(str segment)
@cython.locals(c=Py_UCS4)
cpdef bint is_slug_segment(str segment)

@cython.locals(kind=int, number=double)
cdef object _convert(_Node node, str segment)
@cython.locals(end=Py_ssize_t, segment=str, child=_Node, entry=_Entry)
cdef _Entry _search(_Node node, str path, Py_ssize_t start, Py_ssize_t n, str method, list values)
@cython.locals(end=Py_ssize_t, segment=str, child=_Node)
cdef int _collect(_Node node, str path, Py_ssize_t start, Py_ssize_t n, list leaves) except -1
@cython.locals(end=Py_ssize_t, segment=str, child=_Node, found=MountMatch, entry=_Entry)
cdef MountMatch _find_mount(_Node node, str path, Py_ssize_t start, Py_ssize_t n, list values)
@cython.locals(match=Match)
cdef Match _match(route, dict params)
@cython.locals(params=dict, i=Py_ssize_t)
cdef dict _params(tuple names, list values)


cdef class RouteTable:
    cdef _Node root
    cdef dict static_leaves
    cdef readonly bint redirect_slashes
    cdef bint has_mounts

    @cython.locals(entry=_Entry, n=Py_ssize_t)
    cpdef object lookup(self, str method, str path)
    @cython.locals(leaf=_Node)
    cdef _Entry _static_entry(self, str method, str path)
    @cython.locals(leaf=_Node, n=Py_ssize_t, leaves=list, allowed=set, found=MountMatch, other=str)
    cdef object _miss(self, str method, str path)
    cdef bint _resolves(self, str method, str path) except -1
    @cython.locals(node=_Node, existing=_Entry)
    cpdef add_route(self, str template, list segments, tuple names, methods, route)
    @cython.locals(node=_Node)
    cpdef add_mount(self, str template, list segments, tuple names, mount)
    @cython.locals(node=_Node, child=_Node, kind=int)
    cdef _Node _insert(self, str template, list segments)


@cython.final
cdef class Dispatcher:
    cdef public RouteTable table
    cdef public object app
    cdef public object convert
    cdef public object handle_error
    cdef public object default_headers

    cpdef dispatch(self, request)
    @cython.locals(entry=_Entry, match=Match)
    cpdef route(self, request, str method, str path)
