# Cython declarations augmenting http11.py (pure-Python mode): the .py stays the one source.

cimport cython
from cpython.bytearray cimport PyByteArray_AS_STRING
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t


# The llhttp API (vendor/llhttp, linked into the compiled module): only what the reader uses.
cdef extern from "llhttp.h":
    ctypedef struct llhttp_t:
        void* data
        uint8_t method
        uint8_t http_major
        uint8_t http_minor
        uint8_t upgrade

    ctypedef int (*llhttp_data_cb)(llhttp_t*, const char* at, size_t length) noexcept
    ctypedef int (*llhttp_cb)(llhttp_t*) noexcept

    ctypedef struct llhttp_settings_t:
        llhttp_cb on_message_begin
        llhttp_data_cb on_url
        llhttp_data_cb on_header_field
        llhttp_data_cb on_header_value
        llhttp_cb on_header_value_complete
        llhttp_cb on_headers_complete
        llhttp_data_cb on_body
        llhttp_cb on_message_complete

    ctypedef enum llhttp_errno_t:
        HPE_OK
        HPE_INVALID_METHOD
        HPE_INVALID_URL
        HPE_PAUSED_UPGRADE
        HPE_USER

    ctypedef enum llhttp_type_t:
        HTTP_REQUEST

    void llhttp_settings_init(llhttp_settings_t* settings)
    void llhttp_init(llhttp_t* parser, llhttp_type_t type, const llhttp_settings_t* settings)
    llhttp_errno_t llhttp_execute(llhttp_t* parser, const char* data, size_t length)
    int llhttp_should_keep_alive(const llhttp_t* parser)
    void llhttp_resume_after_upgrade(llhttp_t* parser)
    const char* llhttp_get_error_reason(const llhttp_t* parser)
    const char* llhttp_get_error_pos(const llhttp_t* parser)
    const char* llhttp_method_name(uint8_t method)

cdef llhttp_settings_t _SETTINGS
cdef list _LLHTTP_METHODS

cdef dict _METHODS
cdef bytes _HOST
cdef bytes _CONNECTION
cdef bytes _CONTENT_LENGTH
cdef bytes _TRANSFER_ENCODING
cdef bytes _EXPECT
cdef bytes _UPGRADE
cdef Py_ssize_t _LAZY_CHUNK_MAX
cdef dict _STATUS_LINES
cdef dict _HEAD_CACHE
cdef dict _HEADS
cdef bytes _HEADS_COMMON
cdef Py_ssize_t _LENGTH_LINES_CACHED
cdef list _LENGTH_LINES
cdef Py_ssize_t _HEAD_CACHE_SIZE
cdef Py_ssize_t _CACHED_SHAPE_MAX


cdef class RequestHead:
    cdef public str method
    cdef public bytes target
    cdef public str path
    cdef public bytes raw_path
    cdef public bytes query_string
    cdef list _headers
    cdef bytes _raw  # the read a lazily kept head came in, and its fields' offsets into it
    cdef bytes _spans
    cdef public str http_version
    cdef public bint keep_alive
    cdef public Py_ssize_t content_length
    cdef public bint chunked
    cdef public bint expect_continue
    cdef public object upgrade
    cdef public bint is_head
    cdef public bint http10
    cdef public list body
    cdef public Py_ssize_t body_size
    cdef public Py_ssize_t buffered
    cdef public bint complete

    cpdef bytes take_body(self)
    cpdef bint body_expected(self)


@cython.final
cdef class RequestReader:
    cdef llhttp_t cparser
    cdef public object error
    cdef bytes field
    cdef bytes value
    # The compiled binding's fields kept as offsets (see _keep_fields).
    cdef bytes chunk
    cdef const char* chunk_start
    cdef bint lazy
    cdef Py_ssize_t span_count
    cdef int field_state  # 0: between fields, 1: name recorded, 2: value recorded too
    cdef bytearray span_buffer
    cdef unsigned int* spans
    cdef public Py_ssize_t field_count
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
    @cython.locals(head=RequestHead, keep_alive=bint, mark=Py_ssize_t, slash=Py_ssize_t, method=str,
                   version=str, target=bytes, raw_path=bytes, query=bytes, path=str, rest=bytes)
    cpdef on_headers_complete(self)
    @cython.locals(head=RequestHead)
    cpdef on_body(self, bytes chunk)
    @cython.locals(head=RequestHead)
    cpdef on_message_complete(self)
    cpdef on_header(self, bytes name, bytes value)
    cdef int _count_field(self, Py_ssize_t size) except -1
    @cython.locals(length=object, size=Py_ssize_t)
    cdef int _check_field(self, bytes name, bytes value) except -1
    @cython.locals(base="const char*", spans="unsigned int*", i=Py_ssize_t)
    cdef _keep_fields(self)
    cpdef on_url(self, bytes url)
    cpdef int feed(self, data) except? -2
    @cython.locals(start="const char*", err=llhttp_errno_t)
    cdef int _execute(self, data) except? -2
    cdef int _feed_httptools(self, data) except? -2
    cdef int _malformed(self, str kind, str reason)
    cdef int _refuse(self, exc)
    cdef bint _keep_alive(self)
    @cython.locals(major=int, minor=int)
    cdef str _version(self, bint keep_alive)
    cdef str _method(self)
    cpdef on_message_begin(self)


@cython.locals(reader=RequestReader)
cdef int _on_message_begin(llhttp_t* parser) noexcept
@cython.locals(reader=RequestReader)
cdef int _on_url(llhttp_t* parser, const char* at, size_t length) noexcept
@cython.locals(name=bytes, out="char*", i=size_t, c=char)
cdef bytes _lower(const char* at, size_t length)
@cython.locals(reader=RequestReader, name=bytes, value=bytes)
cdef int _on_header_value_complete(llhttp_t* parser) noexcept
@cython.locals(base="const char*", spans="unsigned int*", i=Py_ssize_t, end="unsigned int",
               name=bytes, value=bytes)
cdef int _field_complete(RequestReader reader) noexcept
@cython.locals(name=bytes, expected="const char*", i=size_t, c=char)
cdef bytes _checked_name(const char* at, size_t length)
@cython.locals(offsets="unsigned int*", headers=list)
cdef list _headers_from_spans(bytes raw, bytes spans)
@cython.locals(i=Py_ssize_t, value=bytes)
cdef int _append_fields(list headers, const char* base, unsigned int* spans, Py_ssize_t count) except -1
@cython.locals(reader=RequestReader, i=Py_ssize_t)
cdef int _on_header_field(llhttp_t* parser, const char* at, size_t length) noexcept
@cython.locals(reader=RequestReader, i=Py_ssize_t)
cdef int _on_header_value(llhttp_t* parser, const char* at, size_t length) noexcept
@cython.locals(reader=RequestReader)
cdef int _on_headers_complete(llhttp_t* parser) noexcept
@cython.locals(reader=RequestReader)
cdef int _on_body(llhttp_t* parser, const char* at, size_t length) noexcept
@cython.locals(reader=RequestReader)
cdef int _on_message_complete(llhttp_t* parser) noexcept


cpdef bytes status_line(status)
cdef bytes _header_lines(status, list headers)
@cython.locals(code=int, variants=dict, variant=long, cacheable=bint)
cpdef bytes encode_response_head(status, list headers, Py_ssize_t content_length,
                                 bint keep_alive, bint http10_keep_alive, bytes common)
