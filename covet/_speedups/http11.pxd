# Cython declarations augmenting http11.py (pure-Python mode): the .py stays the one source.

cimport cython

cdef dict _METHODS
cdef dict _STATUS_LINES
cdef dict _HEAD_CACHE
cdef dict _HEADS
cdef bytes _HEADS_COMMON
cdef Py_ssize_t _LENGTH_LINES_CACHED
cdef list _LENGTH_LINES
cdef Py_ssize_t _HEAD_CACHE_SIZE


cdef class RequestHead:
    cdef public str method
    cdef public bytes target
    cdef public str path
    cdef public bytes raw_path
    cdef public bytes query_string
    cdef public list headers
    cdef public str http_version
    cdef public bint keep_alive
    cdef public Py_ssize_t content_length
    cdef public bint chunked
    cdef public bint expect_continue
    cdef public object upgrade
    cdef public list body
    cdef public Py_ssize_t body_size
    cdef public Py_ssize_t buffered
    cdef public bint complete

    cpdef bytes take_body(self)


cdef class RequestReader:
    cdef public Py_ssize_t max_request_line
    cdef public Py_ssize_t max_header_bytes
    cdef public Py_ssize_t max_header_count
    cdef public Py_ssize_t max_body_size
    cdef public Py_ssize_t max_head
    cdef public object parser
    cdef public list ready
    cdef public RequestHead current
    cdef public str reason
    cdef public Py_ssize_t upgrade_offset
    cdef public bint in_head
    cdef public Py_ssize_t head_bytes
    cdef public bytes url
    cdef public list headers
    cdef public Py_ssize_t header_bytes
    cdef public Py_ssize_t host_count
    cdef public Py_ssize_t te_count
    cdef public Py_ssize_t content_length
    cdef public bint chunked
    cdef public bint expect_continue
    cdef public object upgrade
    cdef public bytes transfer_encoding
    cdef public bint connection_seen

    cdef _reset_head(self)
    @cython.locals(head=RequestHead, keep_alive=bint, mark=Py_ssize_t, slash=Py_ssize_t)
    cpdef on_headers_complete(self)
    @cython.locals(head=RequestHead)
    cpdef on_body(self, bytes chunk)
    @cython.locals(head=RequestHead)
    cpdef on_message_complete(self)
    @cython.locals(length=object)
    cpdef on_header(self, bytes name, bytes value)
    cpdef on_url(self, bytes url)
    cpdef int feed(self, data) except? -2
    cdef int _refuse(self, exc)


cpdef bytes status_line(status)
cdef bytes _header_lines(status, list headers)
@cython.locals(code=int)
cpdef bytes encode_response_head(status, list headers, Py_ssize_t content_length,
                                 bint keep_alive, bint http10_keep_alive, bytes common)
