"""HTTP/1.1 glue around llhttp: request heads in, response heads out.

llhttp rejects most malformed and smuggling-prone input itself (CL with TE, duplicate
Content-Length, bare CR/LF, obs-fold, whitespace before the colon, control bytes, bad chunk
sizes). It enforces no size limits and accepts a few shapes RFC 9112 lets a server refuse, so
this module counts bytes and checks Host, Transfer-Encoding, Expect and the request target.

One source for both modes: ``http11.pxd`` types it for Cython; interpreted, it is plain Python.
The rules live in ``RequestReader``'s methods either way; only the binding to llhttp differs.
Compiled, the module links llhttp itself (``vendor/llhttp``) and its C callbacks call those
methods directly, so a request costs no Python-level call per header. Interpreted, the same
llhttp drives them through ``httptools.HttpRequestParser``.

Compiled, a head that arrives in one read keeps its header fields as offsets into that read's
bytes: the (name, value) pairs are built the first time ``RequestHead.headers`` is read, so an
app that never looks at a header never pays for its objects. Only the fields the reader checks
(Host, Content-Length, ...) are looked at while parsing.
"""

from http import HTTPStatus
from urllib.parse import unquote

import cython
import httptools

_METHODS = {
    m.encode(): m
    for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT")
}

#: The fields the reader acts on (lower-case); only the values of the last four are read.
_HOST = b"host"
_CONNECTION = b"connection"
_CONTENT_LENGTH = b"content-length"
_TRANSFER_ENCODING = b"transfer-encoding"
_EXPECT = b"expect"
_UPGRADE = b"upgrade"
#: A head is kept as offsets into the read it came in only if that read is at most this long:
#: a head must not keep a large read (a body's first part, say) alive for as long as it runs.
_LAZY_CHUNK_MAX = 16384

_STATUS_LINES = {
    s.value: b"HTTP/1.1 %d %s\r\n" % (s.value, s.phrase.encode("ascii")) for s in HTTPStatus
}

#: Raised inside parser callbacks; ``RequestReader.feed`` turns it into an error status.
class RequestRejected(Exception):
    def __init__(self, status, reason):
        Exception.__init__(self, reason)
        self.status = status
        self.reason = reason


class RequestHead:
    """One parsed request: its head, then its body as it arrives."""

    def __init__(self, method, target, path, raw_path, query_string, headers, http_version,
                 keep_alive, content_length, chunked, expect_continue, upgrade):
        self.method = method
        self.target = target
        self.path = path
        self.raw_path = raw_path
        self.query_string = query_string
        self._headers = headers
        self._raw = None
        self._spans = None
        self.http_version = http_version
        self.keep_alive = keep_alive
        self.content_length = content_length
        self.chunked = chunked
        self.expect_continue = expect_continue
        self.upgrade = upgrade
        self.is_head = method == "HEAD"
        self.http10 = http_version == "1.0"
        self.body = None  # the chunks received and not yet taken; None while there are none
        self.body_size = 0
        self.buffered = 0
        self.complete = False

    @property
    def headers(self):
        """(name, value) byte pairs in arrival order, names lower-case; built on first read."""
        headers = self._headers
        if headers is None:
            headers = self._headers = _headers_from_spans(self._raw, self._spans)
            self._raw = None  # the read the head came in is no longer needed
            self._spans = None
        return headers

    @property
    def has_body(self):
        return self.body_expected()

    def body_expected(self):
        """``has_body`` as a C-level call for the server."""
        return self.chunked or self.content_length > 0

    def take_body(self):
        """Return and forget the body chunks received so far, joined."""
        chunks = self.body
        if not chunks:
            return b""
        self.body = None
        self.buffered = 0
        if len(chunks) == 1:
            return chunks[0]
        return b"".join(chunks)


class RequestReader:
    """The callback target of ``httptools.HttpRequestParser``, with limits and RFC 9112 checks.

    ``feed`` parses bytes; finished heads queue up in ``ready`` in arrival order. On a refusal it
    returns the HTTP status to answer with (``reason`` says why) after which the connection must
    close; on an upgrade request it returns -1 and ``upgrade_offset`` marks the first byte that
    belongs to the new protocol. ``in_head`` is true while a request head is partly received.
    """

    def __init__(self, max_request_line, max_header_bytes, max_header_count, max_body_size):
        self.max_request_line = max_request_line
        self.max_header_bytes = max_header_bytes
        self.max_header_count = max_header_count
        self.max_body_size = max_body_size
        self.max_head = max_request_line + max_header_bytes
        self.ready = []
        self.current = None
        self.reason = ""
        self.upgrade_offset = 0
        self.in_head = False
        self.error = None
        self.field = b""
        self.value = b""
        self._reset_head()
        if cython.compiled:
            self.parser = None
            llhttp_init(cython.address(self.cparser), HTTP_REQUEST, cython.address(_SETTINGS))
            self.cparser.data = cython.cast(cython.p_void, self)
            self.chunk = None
            self.lazy = False
            self.span_count = 0
            self.field_state = 0
            # Four offsets a field (name, its length, value, its length); one spare for the
            # field past the limit, which is recorded before it is counted and refused.
            self.span_buffer = bytearray(16 * (max_header_count + 1))
            self.spans = cython.cast(cython.p_uint, PyByteArray_AS_STRING(self.span_buffer))
        else:
            self.parser = httptools.HttpRequestParser(self)

    def _reset_head(self):
        self.head_bytes = 0
        self.url = b""
        self.headers = None  # made when a field is kept as bytes (always, interpreted)
        self.field_count = 0
        self.header_bytes = 0
        self.host_count = 0
        self.te_count = 0
        self.content_length = -1
        self.chunked = False
        self.expect_continue = False
        self.upgrade = None
        self.transfer_encoding = b""
        self.connection_seen = False

    def feed(self, data):
        """Parse ``data``; 0 when fine, -1 on an upgrade, else the status to refuse with."""
        if self.current is None:
            self.head_bytes += len(data)
        status = self._execute(data) if cython.compiled else self._feed_httptools(data)
        if status:
            return status
        if self.current is None and self.head_bytes > self.max_head:
            # on_url refuses a long target itself, so what overflows here is the header block.
            self.reason = "request header block too large"
            return 431
        return 0

    def _execute(self, data):
        """Compiled binding: run llhttp over ``data``; its C callbacks call the ``on_*`` methods."""
        if type(data) is not bytes:
            data = bytes(data)
        start: cython.p_const_char = data
        self.chunk = data if len(data) <= _LAZY_CHUNK_MAX else None
        self.chunk_start = start
        # Fields become offsets into ``data`` unless some of this head's came earlier (or these
        # are a body's trailer fields).
        self.lazy = self.chunk is not None and self.current is None and self.field_count == 0 \
            and not self.field
        err = llhttp_execute(cython.address(self.cparser), start, len(data))
        if self.lazy and (self.span_count or self.field_state):
            self._keep_fields()  # the head goes on in the next read
        self.chunk = None
        if err == HPE_OK:
            return 0
        if err == HPE_PAUSED_UPGRADE:
            self.upgrade_offset = llhttp_get_error_pos(cython.address(self.cparser)) - start
            llhttp_resume_after_upgrade(cython.address(self.cparser))
            return -1
        error = self.error
        if error is not None:
            self.error = None
            if isinstance(error, RequestRejected):
                return self._refuse(error)
            raise error
        reason = llhttp_get_error_reason(cython.address(self.cparser)).decode("latin-1")
        if err == HPE_INVALID_METHOD:
            return self._malformed("method", reason)
        if err == HPE_INVALID_URL:
            return self._malformed("url", reason)
        return self._malformed("other", reason)

    def _feed_httptools(self, data):
        """Interpreted binding: httptools calls the ``on_*`` methods as Python methods."""
        try:
            self.parser.feed_data(data)
        except RequestRejected as exc:
            return self._refuse(exc)
        except httptools.HttpParserUpgrade as exc:
            self.upgrade_offset = exc.args[0] if exc.args else len(data)
            return -1
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            if isinstance(cause, RequestRejected):
                return self._refuse(cause)
            raise
        except httptools.HttpParserInvalidMethodError as exc:
            return self._malformed("method", str(exc))
        except httptools.HttpParserInvalidURLError as exc:
            return self._malformed("url", str(exc))
        except httptools.HttpParserError as exc:
            return self._malformed("other", str(exc))
        return 0

    def _malformed(self, kind, reason):
        """The status and reason for what llhttp refused (``kind``: method, url or other)."""
        if kind == "method":
            self.reason = "invalid request method"
            return 400
        if kind == "url":
            self.reason = "invalid request target"
            return 400
        self.reason = reason or "malformed request"
        if self.reason == "Invalid HTTP version":
            return 505
        return 400

    def _refuse(self, exc):
        self.reason = exc.reason
        return exc.status

    # -- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self):
        self.in_head = True

    def on_url(self, url):
        if self.url:
            url = self.url + url  # the target came in pieces
        if len(url) > self.max_request_line:
            raise RequestRejected(414, "request target longer than %d bytes" % self.max_request_line)
        self.url = url

    def on_header(self, name, value):
        """One header field; compiled, llhttp's binding hands the name over lower-cased already."""
        if value and (value[-1] == 32 or value[-1] == 9):
            value = value.rstrip(b" \t")  # RFC 9110 5.5: surrounding whitespace is not the value
        if self.current is not None:
            # A trailer field of a chunked body: counted against the limits, then dropped.
            self.header_bytes += len(name) + len(value) + 4
            if self.header_bytes > self.max_header_bytes:
                raise RequestRejected(431, "trailer fields too large")
            return
        self._count_field(len(name) + len(value))
        if not cython.compiled:
            name = name.lower()
        self._check_field(name, value)
        if self.headers is None:
            self.headers = []
        self.headers.append((name, value))

    def _count_field(self, size):
        """Count a header field of ``size`` bytes (name and value) against the limits."""
        if self.field_count >= self.max_header_count:
            raise RequestRejected(431, "more than %d header fields" % self.max_header_count)
        self.field_count += 1
        self.header_bytes += size + 4
        if self.header_bytes > self.max_header_bytes:
            raise RequestRejected(431, "header block larger than %d bytes" % self.max_header_bytes)

    def _check_field(self, name, value):
        """Act on a field whose name (lower-case) the reader cares about; ignore the others.

        The values of Host and Connection are not read (only that they came).
        """
        size = len(name)
        # PERF: the names that matter differ in length, so most fields cost one integer compare.
        if size == 4 and name == b"host":
            self.host_count += 1
        elif size == 14 and name == b"content-length":
            length = int(value)
            if length > self.max_body_size:
                raise RequestRejected(413, "body larger than %d bytes" % self.max_body_size)
            self.content_length = length
        elif size == 17 and name == b"transfer-encoding":
            self.te_count += 1
            self.transfer_encoding = value
        elif size == 6 and name == b"expect":
            if value.strip().lower() != b"100-continue":
                raise RequestRejected(417, "unsupported expectation")
            self.expect_continue = True
        elif size == 7 and name == b"upgrade":
            self.upgrade = value.strip().lower()
        elif size == 10 and name == b"connection":
            self.connection_seen = True

    def _keep_fields(self):
        """The fields recorded as offsets into this read become bytes, the one in progress too.

        Compiled only: called when the head goes on in another read (the offsets would point
        into bytes that are gone), or when llhttp hands over a name or value in two pieces.
        """
        base = self.chunk_start
        spans = self.spans
        if self.headers is None:
            self.headers = []
        _append_fields(self.headers, base, spans, self.span_count)
        i = self.span_count * 4
        if self.field_state >= 1:
            self.field = _lower(base + spans[i], spans[i + 1])
        if self.field_state == 2:
            self.value = PyBytes_FromStringAndSize(base + spans[i + 2], spans[i + 3])
        self.span_count = 0
        self.field_state = 0
        self.lazy = False

    def on_headers_complete(self):
        keep_alive = self._keep_alive()
        version = self._version(keep_alive)
        if version != "1.1" and version != "1.0":
            raise RequestRejected(505, "HTTP version %s not supported" % version)
        if self.host_count != 1 and (version == "1.1" or self.host_count > 1):
            raise RequestRejected(400, "an HTTP/1.1 request needs exactly one Host header")
        if self.te_count:
            if version == "1.0":
                raise RequestRejected(400, "Transfer-Encoding in an HTTP/1.0 request")
            codings = self.transfer_encoding.lower()
            if not codings.rstrip(b" \t").endswith(b"chunked"):
                # RFC 9112 6.3: the body length cannot be known; refuse and close.
                raise RequestRejected(400, "Transfer-Encoding must end with chunked")
            if self.te_count > 1 or codings.strip() != b"chunked":
                raise RequestRejected(501, "only the chunked transfer coding is supported")
            self.chunked = True
        if self.content_length > self.max_body_size:
            raise RequestRejected(413, "body larger than %d bytes" % self.max_body_size)
        method = self._method()
        if len(method) == 7 and method == "CONNECT":  # PERF: the length spares a string compare
            raise RequestRejected(405, "CONNECT is not supported")
        target = self.url
        if target and target[0] == 47 or target == b"*" and method == "OPTIONS":  # 47: "/"
            raw_path = target
        elif target[:7].lower() == b"http://" or target[:8].lower() == b"https://":
            rest = target[target.find(b"://") + 3:]
            slash = rest.find(b"/")
            raw_path = rest[slash:] if slash >= 0 else b"/"
        else:
            raise RequestRejected(400, "invalid request target")
        query = b""
        if b"?" in raw_path:
            mark = raw_path.find(b"?")
            query = raw_path[mark + 1:]
            raw_path = raw_path[:mark]
        if b"%" in raw_path:
            path = unquote(raw_path.decode("latin-1"), "utf-8", "replace")
        else:
            path = raw_path.decode("latin-1")
        head = RequestHead.__new__(RequestHead)
        head.method = method
        head.target = target
        head.path = path
        head.raw_path = raw_path
        head.query_string = query
        if cython.compiled and self.lazy:
            head._raw = self.chunk
            head._spans = PyBytes_FromStringAndSize(
                cython.cast(cython.p_char, self.spans), self.span_count * 16
            )
            self.span_count = 0
            self.lazy = False  # trailer fields, if any, are kept as bytes
        else:
            head._headers = self.headers if self.headers is not None else []
        head.http_version = version
        head.keep_alive = keep_alive
        head.content_length = self.content_length
        head.chunked = self.chunked
        head.expect_continue = self.expect_continue
        head.upgrade = self.upgrade
        if cython.compiled:
            head.is_head = self.cparser.method == 2  # HTTP_HEAD
            head.http10 = self.cparser.http_minor == 0  # the version is 1.0 or 1.1 by now
        else:
            head.is_head = method == "HEAD"
            head.http10 = version == "1.0"
        head.body = None
        head.body_size = 0
        head.buffered = 0
        head.complete = False
        self.current = head
        self.ready.append(head)
        self.in_head = False
        self.header_bytes = 0
        self.head_bytes = 0

    def _keep_alive(self):
        if cython.compiled:
            return llhttp_should_keep_alive(cython.address(self.cparser)) != 0
        return self.parser.should_keep_alive()

    def _version(self, keep_alive):
        if cython.compiled:
            major = self.cparser.http_major
            minor = self.cparser.http_minor
            if major == 1 and (minor == 1 or minor == 0):
                return "1.1" if minor == 1 else "1.0"
            return "%d.%d" % (major, minor)
        if keep_alive and not self.connection_seen:
            # llhttp keeps a connection alive without a Connection header only for HTTP/1.1,
            # so the version string (built afresh by each get_http_version call) is known.
            return "1.1"
        return self.parser.get_http_version()

    def _method(self):
        if cython.compiled:
            return _LLHTTP_METHODS[self.cparser.method]
        raw_method = self.parser.get_method()
        method = _METHODS.get(raw_method)
        return method if method is not None else raw_method.decode("ascii")

    def on_body(self, chunk):
        head = self.current
        head.body_size += len(chunk)
        if head.body_size > self.max_body_size:
            raise RequestRejected(413, "body larger than %d bytes" % self.max_body_size)
        head.buffered += len(chunk)
        if head.body is None:
            head.body = [chunk]
        else:
            head.body.append(chunk)

    def on_message_complete(self):
        head = self.current
        if head is not None:
            head.complete = True
        self.current = None
        self._reset_head()


# -- the compiled binding's llhttp callbacks (C functions; see http11.pxd) ---------------------
# Each hands its piece to the reader's ``on_*`` method; an exception is kept for ``_execute``
# and stops the parser, as httptools does.

def _on_message_begin(parser):
    reader = cython.cast(RequestReader, parser.data)
    reader.on_message_begin()
    reader.lazy = reader.chunk is not None
    return 0


def _on_url(parser, at, length):
    reader = cython.cast(RequestReader, parser.data)
    try:
        reader.on_url(at[:length])
    except BaseException as exc:
        reader.error = exc
        return HPE_USER
    return 0


def _on_header_field(parser, at, length):
    reader = cython.cast(RequestReader, parser.data)
    if reader.lazy:
        if reader.field_state == 0:
            i = reader.span_count * 4
            reader.spans[i] = at - reader.chunk_start
            reader.spans[i + 1] = length
            reader.field_state = 1
            return 0
        reader._keep_fields()  # a name in two pieces: go on with bytes
    if reader.field:
        reader.field = reader.field + _lower(at, length)
    else:
        reader.field = _lower(at, length)
    return 0


def _lower(at, length):
    """``at[:length].lower()`` built in one allocation (field names are compared lower-case)."""
    name = PyBytes_FromStringAndSize(cython.NULL, length)
    out = PyBytes_AS_STRING(name)
    for i in range(length):
        c = at[i]
        out[i] = c + 32 if 65 <= c <= 90 else c
    return name


def _on_header_value(parser, at, length):
    reader = cython.cast(RequestReader, parser.data)
    if reader.lazy:
        if reader.field_state == 1:
            i = reader.span_count * 4
            reader.spans[i + 2] = at - reader.chunk_start
            reader.spans[i + 3] = length
            reader.field_state = 2
            return 0
        reader._keep_fields()  # a value in two pieces: go on with bytes
    if reader.value:
        reader.value = reader.value + at[:length]
    else:
        reader.value = at[:length]
    return 0


def _on_header_value_complete(parser):
    reader = cython.cast(RequestReader, parser.data)
    if reader.lazy:
        return _field_complete(reader)
    name = reader.field
    value = reader.value
    reader.field = b""
    reader.value = b""
    try:
        reader.on_header(name, value)
    except BaseException as exc:
        reader.error = exc
        return -1
    return 0


def _field_complete(reader):
    """A field recorded as offsets is whole: count it, and check it if it is one that matters."""
    base = reader.chunk_start
    spans = reader.spans
    i = reader.span_count * 4
    if reader.field_state == 1:  # an empty value: llhttp reports no span for it
        spans[i + 2] = 0
        spans[i + 3] = 0
    end = spans[i + 2] + spans[i + 3]
    while end > spans[i + 2] and (base[end - 1] == 32 or base[end - 1] == 9):
        end -= 1  # RFC 9110 5.5: surrounding whitespace is not the value
    spans[i + 3] = end - spans[i + 2]
    try:
        reader._count_field(spans[i + 1] + spans[i + 3])
        name = _checked_name(base + spans[i], spans[i + 1])
        if name is not None:
            if name is _HOST or name is _CONNECTION:
                value = b""
            else:
                value = PyBytes_FromStringAndSize(base + spans[i + 2], spans[i + 3])
            reader._check_field(name, value)
    except BaseException as exc:
        reader.error = exc
        return -1
    reader.span_count += 1
    reader.field_state = 0
    return 0


def _checked_name(at, length):
    """The lower-case constant for a field name the reader acts on, or None (no allocation)."""
    if length == 4:
        name = _HOST
    elif length == 10:
        name = _CONNECTION
    elif length == 14:
        name = _CONTENT_LENGTH
    elif length == 17:
        name = _TRANSFER_ENCODING
    elif length == 6:
        name = _EXPECT
    elif length == 7:
        name = _UPGRADE
    else:
        return None
    expected = PyBytes_AS_STRING(name)
    for i in range(length):
        c = at[i]
        if (c + 32 if 65 <= c <= 90 else c) != expected[i]:
            return None
    return name


def _headers_from_spans(raw, spans):
    """The (name, value) pairs of a head kept as offsets into ``raw`` (compiled only)."""
    headers = []
    offsets = cython.cast(cython.p_uint, PyBytes_AS_STRING(spans))
    _append_fields(headers, PyBytes_AS_STRING(raw), offsets, len(spans) // 16)
    return headers


def _append_fields(headers, base, spans, count):
    """Append the ``count`` fields recorded in ``spans`` (offsets into ``base``) as byte pairs."""
    for i in range(0, count * 4, 4):
        value = PyBytes_FromStringAndSize(base + spans[i + 2], spans[i + 3])
        headers.append((_lower(base + spans[i], spans[i + 1]), value))


def _on_headers_complete(parser):
    reader = cython.cast(RequestReader, parser.data)
    try:
        reader.on_headers_complete()
    except BaseException as exc:
        reader.error = exc
        return -1
    # An upgrade has no body here: llhttp stops after the head with HPE_PAUSED_UPGRADE.
    return 1 if parser.upgrade else 0


def _on_body(parser, at, length):
    reader = cython.cast(RequestReader, parser.data)
    try:
        reader.on_body(at[:length])
    except BaseException as exc:
        reader.error = exc
        return HPE_USER
    return 0


def _on_message_complete(parser):
    reader = cython.cast(RequestReader, parser.data)
    reader.on_message_complete()
    return 0


if cython.compiled:
    llhttp_settings_init(cython.address(_SETTINGS))
    _SETTINGS.on_message_begin = _on_message_begin
    _SETTINGS.on_url = _on_url
    _SETTINGS.on_header_field = _on_header_field
    _SETTINGS.on_header_value = _on_header_value
    _SETTINGS.on_header_value_complete = _on_header_value_complete
    _SETTINGS.on_headers_complete = _on_headers_complete
    _SETTINGS.on_body = _on_body
    _SETTINGS.on_message_complete = _on_message_complete
    #: llhttp's method numbers (``llhttp_method_t``, 0..46) to their names, the common ones shared.
    _LLHTTP_METHODS = []
    for _number in range(47):
        _name = llhttp_method_name(_number)
        _LLHTTP_METHODS.append(_METHODS.get(_name, _name.decode("ascii")))


def status_line(status):
    line = _STATUS_LINES.get(status)
    if line is None:
        if status < 100 or status > 999:
            raise ValueError("invalid HTTP status code %r" % (status,))
        line = b"HTTP/1.1 %d \r\n" % status
    return line


_LENGTH_LINES_CACHED = 4096
_LENGTH_LINES = [b"content-length: %d\r\n" % n for n in range(_LENGTH_LINES_CACHED)]
_HEAD_CACHE = {}
_HEADS = {}
_HEADS_COMMON = b""
_HEAD_CACHE_SIZE = 512
# Responses with up to this many headers have their head lines cached (validated once).
_CACHED_SHAPE_MAX = 8


def _header_lines(status, headers):
    """Status line and header lines, validated; CR, LF or NUL would split the response."""
    parts = [status_line(status)]
    for name, value in headers:
        if b"\r" in value or b"\n" in value or b"\0" in value or b"\r" in name or b"\n" in name \
                or b":" in name or b"\0" in name or not name:
            raise ValueError("response header %r holds a forbidden character" % (name,))
        if name == b"content-length" or name == b"transfer-encoding" or name == b"connection":
            continue
        parts.append(name + b": " + value + b"\r\n")
    return b"".join(parts)


def encode_response_head(status, headers, content_length, keep_alive, http10_keep_alive, common):
    """Serialise a response head.

    ``headers`` holds (name, value) byte pairs with lower-case names; ``content_length`` is the
    body size, -1 for a chunked body or -2 for one that ends when the connection closes;
    ``common`` is the pre-encoded Server and Date lines. Heads of the common shapes (a few
    fixed headers) are rendered once and reused: the template cache is keyed by their values.
    """
    global _HEADS_COMMON
    if type(status) is not int or status < 100 or status > 999:
        raise ValueError("invalid HTTP status code %r" % (status,))
    code = status
    variants = None
    variant = 0
    if len(headers) <= _CACHED_SHAPE_MAX:
        # Most responses repeat a few shapes: within one Date second the whole head repeats.
        # PERF: keyed by the header pairs (the content type alone, commonly: no copy), then by
        # one integer for the rest, rather than by a tuple of everything hashed per response.
        if common is not _HEADS_COMMON:
            _HEADS.clear()
            _HEADS_COMMON = common
        shape = headers[0] if len(headers) == 1 else tuple(headers)
        if -2 <= content_length < _LENGTH_LINES_CACHED:
            variants = _HEADS.get(shape)
            variant = ((content_length + 2) * 1000 + code) * 4 + keep_alive * 2 + http10_keep_alive
            if variants is not None:
                head = variants.get(variant)
                if head is not None:
                    return head
        key = (status, shape)
        lines = _HEAD_CACHE.get(key)
        if lines is None:
            lines = _header_lines(status, headers)
            if len(_HEAD_CACHE) < _HEAD_CACHE_SIZE:
                _HEAD_CACHE[key] = lines
        cacheable = -2 <= content_length < _LENGTH_LINES_CACHED
        if variants is None and cacheable and len(_HEADS) < _HEAD_CACHE_SIZE:
            variants = _HEADS[shape] = {}
    else:
        lines = _header_lines(status, headers)
    if content_length >= 0:
        if code >= 200 and code != 204 and code != 304:
            if content_length < _LENGTH_LINES_CACHED:
                length = _LENGTH_LINES[content_length]
            else:
                length = b"content-length: %d\r\n" % content_length
        else:
            length = b""
    elif content_length == -1:
        length = b"transfer-encoding: chunked\r\n"
    else:
        length = b""
    if not keep_alive:
        end = b"connection: close\r\n\r\n"
    elif http10_keep_alive:
        end = b"connection: keep-alive\r\n\r\n"
    else:
        end = b"\r\n"
    head = b"".join((lines, common, length, end))
    if variants is not None and len(variants) < _HEAD_CACHE_SIZE:
        variants[variant] = head
    return head
