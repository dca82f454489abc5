# Cython declarations augmenting messages.py (pure-Python mode): the .py stays the one source.

cimport cython

from covet._speedups.http11 cimport RequestHead


cdef class BaseRequest:
    cdef public RequestHead _head
    cdef public object _conn
    cdef public object _source
    cdef public object _body
    cdef public object _query
    cdef public object _headers
    cdef public object _url
    cdef public object _cookies
    cdef public object _state
    cdef public dict _path_params


cdef _init_request(BaseRequest request, head, conn, source)
@cython.locals(request=BaseRequest)
cpdef BaseRequest new_request(type cls, head, conn, source)
cpdef list to_raw_headers(headers)
cpdef content_type_header(media_type, charset)


cdef class BaseResponse:
    cdef public int status_code
    cdef public list headers
    cdef public object body
    cdef public object background
    cdef public object _cookies_pending
