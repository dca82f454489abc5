from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Optional, TypeVar, Union

from covet._speedups.http11 import RequestHead

RawHeaders = list[tuple[bytes, bytes]]

class BaseRequest:
    _head: RequestHead
    _conn: Any
    _source: Any
    _body: Optional[bytes]
    # Caches of covet.requests.Request's accessors (QueryParams, Headers, URL, cookies, State).
    _query: Any
    _headers: Any
    _url: Any
    _cookies: Any
    _state: Any
    path_params: dict[str, Any]
    def __init__(self, head: RequestHead, conn: Any, source: Any) -> None: ...
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query_string(self) -> bytes: ...
    @property
    def http_version(self) -> str: ...
    @property
    def raw_headers(self) -> RawHeaders: ...

R = TypeVar("R", bound=BaseRequest)

def new_request(cls: type[R], head: RequestHead, conn: Any, source: Any) -> R: ...
def to_raw_headers(headers: Union[Mapping[str, str], RawHeaders, None]) -> RawHeaders: ...
def content_type_header(media_type: Optional[str], charset: str) -> Optional[tuple[bytes, bytes]]: ...

class BaseResponse:
    _content_type: Optional[tuple[bytes, bytes]]
    _encoder: Optional[Callable[[Any], bytes]]
    status_code: int
    headers: RawHeaders
    body: Optional[bytes]
    background: Optional[Callable[[], Awaitable[Any]]]
    _cookies_pending: Optional[list[int]]
    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Union[Mapping[str, str], RawHeaders, None] = None,
        media_type: Optional[str] = None,
        background: Optional[Callable[[], Awaitable[Any]]] = None,
    ) -> None: ...
    def render(self, content: Any) -> bytes: ...
