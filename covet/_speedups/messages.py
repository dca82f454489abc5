"""The compiled cores of ``covet.Request`` and ``covet.Response``.

The server reads and writes these fields from C; the Python subclasses in ``covet.requests`` and
``covet.responses`` add the convenient API on top without a per-request Python ``__init__``.
"""


class BaseRequest:
    """The parsed head, the connection it came on, and where the body comes from."""

    def __init__(self, head, conn, source):
        _init_request(self, head, conn, source)

    @property
    def path_params(self):
        """The route's path parameters, converted (``{id:int}`` gives an int)."""
        if self._path_params is None:
            self._path_params = {}  # PERF: most routes have none; made only when asked for
        return self._path_params

    @path_params.setter
    def path_params(self, params):
        self._path_params = params

    @property
    def method(self):
        return self._head.method

    @property
    def path(self):
        return self._head.path

    @property
    def query_string(self):
        return self._head.query_string

    @property
    def http_version(self):
        return self._head.http_version

    @property
    def raw_headers(self):
        """(name, value) byte pairs in arrival order; names are lower-case."""
        return self._head.headers


def _init_request(request, head, conn, source):
    request._head = head
    request._conn = conn
    request._source = source
    request._body = None
    # Caches of the accessors in covet.requests, filled on first use: None costs nothing
    # here, where a Python-level slot left unset would cost an exception on first read.
    request._query = None
    request._headers = None
    request._url = None
    request._cookies = None
    request._state = None
    request._path_params = None


def new_request(cls, head, conn, source):
    """``cls(head, conn, source)`` for a ``BaseRequest`` subclass, without the Python-level call.

    The server builds one per request; compiled, this skips argument parsing and ``__init__``.
    """
    request = cls.__new__(cls)
    _init_request(request, head, conn, source)
    return request


def to_raw_headers(headers):
    """Headers as the server wants them: a list of (name, value) byte pairs, names lower-case."""
    if not headers:
        return []
    if isinstance(headers, list):
        return [(bytes(name).lower(), bytes(value)) for name, value in headers]
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


class BaseResponse:
    """Status, raw headers, body and background task, read by the server from C.

    ``body`` is None for a streaming response (the subclass then has ``body_iterator``).
    ``_cookies_pending`` lists the ``set-cookie`` headers that are Secure only if the request is
    HTTPS: the server calls ``apply_scheme`` before sending when it is not None. The
    ``content-type`` header comes from the class's ``_content_type`` unless ``media_type`` or an
    explicit header says otherwise; content that is not bytes goes through ``render``, or
    straight to the class's ``_encoder`` where it has one (a C function such as ``orjson.dumps``
    that is all its ``render`` does: called from here it costs no Python frame).
    """

    _content_type = None
    _encoder = None

    def __init__(self, content=None, status_code=200, headers=None, media_type=None, background=None):
        self.status_code = status_code
        if type(content) is bytes:
            self.body = content
        else:
            encoder = self._encoder
            self.body = encoder(content) if encoder is not None else self.render(content)
        self.background = background
        self._cookies_pending = None
        content_type = self._content_type
        if media_type is not None:
            content_type = content_type_header(media_type, "utf-8")
        if headers is None:
            self.headers = [content_type] if content_type is not None else []
            return
        self.headers = to_raw_headers(headers)
        if content_type is not None:
            for name, _ in self.headers:
                if name == b"content-type":
                    return
            self.headers.append(content_type)

    def render(self, content):
        if content is None:
            return b""
        if isinstance(content, bytes):
            return content
        if isinstance(content, str):
            return content.encode("utf-8")
        if isinstance(content, (bytearray, memoryview)):
            return bytes(content)
        raise TypeError(
            "%s takes bytes or str content, not %s" % (type(self).__name__, type(content).__name__)
        )


def content_type_header(media_type, charset):
    """The content-type header pair for ``media_type``; text types get a charset."""
    if media_type is None:
        return None
    if media_type.startswith("text/") and "charset=" not in media_type:
        media_type += "; charset=" + charset
    return (b"content-type", media_type.encode("latin-1"))
