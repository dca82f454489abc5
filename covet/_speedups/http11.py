"""HTTP/1.1 glue around httptools (llhttp): request heads in, response heads out.

llhttp rejects most malformed and smuggling-prone input itself (CL with TE, duplicate
Content-Length, bare CR/LF, obs-fold, whitespace before the colon, control bytes, bad chunk
sizes). It enforces no size limits and accepts a few shapes RFC 9112 lets a server refuse, so
this module counts bytes and checks Host, Transfer-Encoding, Expect and the request target.

One source for both modes: ``http11.pxd`` types it for Cython; interpreted, it is plain Python.
"""

from http import HTTPStatus
from urllib.parse import unquote

import httptools

_METHODS = {
    m.encode(): m
    for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT")
}

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
        self.headers = headers
        self.http_version = http_version
        self.keep_alive = keep_alive
        self.content_length = content_length
        self.chunked = chunked
        self.expect_continue = expect_continue
        self.upgrade = upgrade
        self.body = []
        self.body_size = 0
        self.buffered = 0
        self.complete = False

    @property
    def has_body(self):
        return self.chunked or self.content_length > 0

    def take_body(self):
        """Return and forget the body chunks received so far, joined."""
        chunks = self.body
        if not chunks:
            return b""
        self.body = []
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
        self.parser = httptools.HttpRequestParser(self)
        self.ready = []
        self.current = None
        self.reason = ""
        self.upgrade_offset = 0
        self.in_head = False
        self._reset_head()

    def _reset_head(self):
        self.head_bytes = 0
        self.url = b""
        self.headers = []
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
        except httptools.HttpParserInvalidMethodError:
            self.reason = "invalid request method"
            return 400
        except httptools.HttpParserInvalidURLError:
            self.reason = "invalid request target"
            return 400
        except httptools.HttpParserError as exc:
            self.reason = str(exc) or "malformed request"
            if self.reason == "Invalid HTTP version":
                return 505
            return 400
        if self.current is None and self.head_bytes > self.max_head:
            # on_url refuses a long target itself, so what overflows here is the header block.
            self.reason = "request header block too large"
            return 431
        return 0

    def _refuse(self, exc):
        self.reason = exc.reason
        return exc.status

    # -- httptools callbacks ----------------------------------------------------------------

    def on_message_begin(self):
        self.in_head = True

    def on_url(self, url):
        url = self.url + url
        if len(url) > self.max_request_line:
            raise RequestRejected(414, "request target longer than %d bytes" % self.max_request_line)
        self.url = url

    def on_header(self, name, value):
        if value and (value[-1] == 32 or value[-1] == 9):
            value = value.rstrip(b" \t")  # RFC 9110 5.5: surrounding whitespace is not the value
        if self.current is not None:
            # A trailer field of a chunked body: counted against the limits, then dropped.
            self.header_bytes += len(name) + len(value) + 4
            if self.header_bytes > self.max_header_bytes:
                raise RequestRejected(431, "trailer fields too large")
            return
        if len(self.headers) >= self.max_header_count:
            raise RequestRejected(431, "more than %d header fields" % self.max_header_count)
        self.header_bytes += len(name) + len(value) + 4
        if self.header_bytes > self.max_header_bytes:
            raise RequestRejected(431, "header block larger than %d bytes" % self.max_header_bytes)
        name = name.lower()
        if name == b"host":
            self.host_count += 1
        elif name == b"content-length":
            length = int(value)
            if length > self.max_body_size:
                raise RequestRejected(413, "body larger than %d bytes" % self.max_body_size)
            self.content_length = length
        elif name == b"transfer-encoding":
            self.te_count += 1
            self.transfer_encoding = value
        elif name == b"expect":
            if value.strip().lower() != b"100-continue":
                raise RequestRejected(417, "unsupported expectation")
            self.expect_continue = True
        elif name == b"upgrade":
            self.upgrade = value.strip().lower()
        elif name == b"connection":
            self.connection_seen = True
        self.headers.append((name, value))

    def on_headers_complete(self):
        parser = self.parser
        keep_alive = parser.should_keep_alive()
        if keep_alive and not self.connection_seen:
            # llhttp keeps a connection alive without a Connection header only for HTTP/1.1,
            # so the version string (built afresh by each get_http_version call) is known.
            version = "1.1"
        else:
            version = parser.get_http_version()
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
        raw_method = parser.get_method()
        method = _METHODS.get(raw_method)
        if method is None:
            method = raw_method.decode("ascii")
        elif method == "CONNECT":
            raise RequestRejected(405, "CONNECT is not supported")
        target = self.url
        if target[:1] == b"/" or target == b"*" and method == "OPTIONS":
            raw_path = target
        elif target[:7].lower() == b"http://" or target[:8].lower() == b"https://":
            rest = target[target.find(b"://") + 3:]
            slash = rest.find(b"/")
            raw_path = rest[slash:] if slash >= 0 else b"/"
        else:
            raise RequestRejected(400, "invalid request target")
        query = b""
        mark = raw_path.find(b"?")
        if mark >= 0:
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
        head.headers = self.headers
        head.http_version = version
        head.keep_alive = keep_alive
        head.content_length = self.content_length
        head.chunked = self.chunked
        head.expect_continue = self.expect_continue
        head.upgrade = self.upgrade
        head.body = []
        head.body_size = 0
        head.buffered = 0
        head.complete = False
        self.current = head
        self.ready.append(head)
        self.in_head = False
        self.header_bytes = 0
        self.head_bytes = 0

    def on_body(self, chunk):
        head = self.current
        head.body_size += len(chunk)
        if head.body_size > self.max_body_size:
            raise RequestRejected(413, "body larger than %d bytes" % self.max_body_size)
        head.buffered += len(chunk)
        head.body.append(chunk)

    def on_message_complete(self):
        head = self.current
        if head is not None:
            head.complete = True
        self.current = None
        self._reset_head()


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
    whole = None
    if len(headers) <= 4:
        # Most responses repeat a few shapes: within one Date second the whole head repeats.
        if common is not _HEADS_COMMON:
            _HEADS.clear()
            _HEADS_COMMON = common
        shape = tuple(headers)
        whole = (status, shape, content_length, keep_alive, http10_keep_alive)
        head = _HEADS.get(whole)
        if head is not None:
            return head
        key = (status, shape)
        lines = _HEAD_CACHE.get(key)
        if lines is None:
            lines = _header_lines(status, headers)
            if len(_HEAD_CACHE) < _HEAD_CACHE_SIZE:
                _HEAD_CACHE[key] = lines
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
    if whole is not None and len(_HEADS) < _HEAD_CACHE_SIZE:
        _HEADS[whole] = head
    return head
