# Cython declarations augmenting connection.py (pure-Python mode): the .py stays the one source.

cimport cython

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.contextvars cimport PyContext_CopyCurrent, PyContext_Enter, PyContext_Exit
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF
from libc.string cimport memcpy

from covet._speedups.http11 cimport RequestHead, RequestReader, encode_response_head
from covet._speedups.messages cimport BaseResponse, new_request
from covet._speedups.router cimport Dispatcher

cdef extern from "Python.h":
    ctypedef enum PySendResult:
        PYGEN_RETURN
        PYGEN_ERROR
        PYGEN_NEXT
    PySendResult PyIter_Send(object, object, PyObject **) except? PYGEN_ERROR

cdef class HttpConnection
cdef class RequestCycle

cdef dict _current_tasks
cdef object _current_task(loop)
cdef _enter(loop, task)
cdef _leave(loop, task)
@cython.locals(size=Py_ssize_t, joined=bytes, out="char*")
cdef bytes _concat(bytes head, body)

cdef class ServerState:
    cdef public set connections
    cdef public set tasks
    cdef public Py_ssize_t active_requests
    cdef public Py_ssize_t total_requests
    cdef public dict lifespan_state
    cdef public bint shutting_down
    cdef public bytes server_line
    cdef public bytes common_headers
    cdef public bytes default_http
    cdef public bytes default_https
    cdef public bytes common_http
    cdef public bytes common_https
    cdef public double now
    cdef public object clock
    cdef public long second

    cpdef refresh_date(self)
    cpdef set_default_headers(self, policy)
    cpdef track(self, task)


cdef bytes _header_block(headers)


cdef class ConnectionInfo:
    cdef public object app
    cdef public object scheme
    cdef public object client
    cdef public object server
    cdef public object root_path


cdef class _Resume:
    cdef object coro
    cdef object yielded
    cdef object context
    cdef object pending
    cdef bint first


cdef _init_cycle(RequestCycle cycle, HttpConnection conn, RequestHead head)
@cython.locals(cycle=RequestCycle)
cdef RequestCycle _new_cycle(HttpConnection conn, RequestHead head)


@cython.final
cdef class RequestCycle:
    cdef public HttpConnection conn
    cdef public RequestHead head
    cdef public object waiter
    cdef public bint keep_alive
    cdef public bint continue_sent
    cdef public bint disconnected
    cdef public bint response_started
    cdef public bint response_complete
    cdef public int status
    cdef public Py_ssize_t sent_bytes
    cdef public double started_at

    cpdef wake(self)


@cython.final
cdef class HttpConnection:
    cdef public object app
    cdef public object handler
    cdef public object config
    cdef public ServerState state
    cdef public object loop
    cdef public RequestReader reader
    cdef public list ready
    cdef public object transport
    cdef object send  # transport.write
    cdef public ConnectionInfo conn
    cdef public RequestCycle cycle
    cdef object out_first
    cdef public list out
    cdef public Py_ssize_t out_size
    cdef public Py_ssize_t write_buffer_high
    cdef public bint dispatching
    cdef public int blocked
    cdef public bint closing
    cdef public bint lingering
    cdef public Py_ssize_t lingered
    cdef public object default_policy
    cdef public object default_names
    cdef public bint tls
    cdef object memo_shape
    cdef int memo_status
    cdef Py_ssize_t memo_length
    cdef bytes memo_common
    cdef bint memo_keep_alive
    cdef bint memo_http10
    cdef bytes memo_head
    cdef public bint eof
    cdef public object refusal
    cdef public object upgrade
    cdef public double deadline
    cdef public bint header_deadline
    cdef public list drain_waiters
    cdef public object worker
    cdef public bint worker_running
    cdef public object wakeup
    cdef public object handoff
    cdef public Py_ssize_t max_pipelined
    cdef public double keep_alive_timeout
    cdef public double header_timeout
    cdef public double body_timeout
    cdef public double body_deadline
    cdef public Py_ssize_t limit_concurrency
    cdef public bint access_log
    cdef public object request_class
    cdef public object asgi_call

    @cython.locals(ready=list, out=list)
    cpdef run_queue(self)
    @cython.locals(state=ServerState, cycle=RequestCycle)
    cdef _start(self, RequestHead head)
    @cython.locals(head=RequestHead)
    cdef _start_native(self, RequestCycle cycle)
    @cython.locals(done=bint, result="PyObject*")
    cdef _run_eagerly(self, RequestCycle cycle, request, coro)
    cpdef completed(self, RequestCycle cycle, request, value)
    cpdef raised(self, RequestCycle cycle, request, exc)
    cpdef handler_returned(self, RequestCycle cycle, request, value)
    cpdef handler_raised(self, RequestCycle cycle, request, exc)
    cpdef handler_failed(self, RequestCycle cycle, exc)
    cpdef bytes common_for(self, list headers)
    cdef _add_missing_defaults(self, list headers)
    @cython.locals(resp=BaseResponse, head=RequestHead, keep_alive=bint, status=int, headers=list,
                   http10_keep_alive=bint, common=bytes, length=Py_ssize_t)
    cpdef respond(self, RequestCycle cycle, response)
    cpdef respond_simple(self, RequestCycle cycle, int status, bytes body, list headers)
    @cython.locals(head=RequestHead)
    cpdef bint keep_alive_for(self, RequestCycle cycle)
    cpdef finish(self, RequestCycle cycle, bint keep_alive)
    cpdef write(self, data)
    cdef _hold(self, data)
    cdef _flush(self)
    cpdef body_wanted(self)
    cdef _block(self, int reason)
    cdef _unblock(self, int reason)
    cdef _refuse_parse(self, int status, str reason)
    cdef _abort_body(self, RequestCycle cycle, int status, str reason)
    cpdef _send_error(self, int status, str reason)
    @cython.locals(cycle=RequestCycle)
    cpdef check_deadline(self, double now)
    cpdef close(self)
    cdef _close_transport(self)
    cpdef shutdown(self)
    cdef _switch_protocol(self, RequestHead head)
