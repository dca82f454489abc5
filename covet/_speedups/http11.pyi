from typing import Optional

class RequestRejected(Exception):
    status: int
    reason: str
    def __init__(self, status: int, reason: str) -> None: ...

class RequestHead:
    method: str
    target: bytes
    path: str
    raw_path: bytes
    query_string: bytes
    headers: list[tuple[bytes, bytes]]
    http_version: str
    keep_alive: bool
    content_length: int
    chunked: bool
    expect_continue: bool
    upgrade: Optional[bytes]
    is_head: bool  # the method is HEAD: the response carries no body
    http10: bool  # HTTP/1.0
    body: Optional[list[bytes]]
    body_size: int
    buffered: int
    complete: bool
    def __init__(
        self,
        method: str,
        target: bytes,
        path: str,
        raw_path: bytes,
        query_string: bytes,
        headers: list[tuple[bytes, bytes]],
        http_version: str,
        keep_alive: bool,
        content_length: int,
        chunked: bool,
        expect_continue: bool,
        upgrade: Optional[bytes],
    ) -> None: ...
    @property
    def has_body(self) -> bool: ...
    def take_body(self) -> bytes: ...

class RequestReader:
    ready: list[RequestHead]
    current: Optional[RequestHead]
    reason: str
    upgrade_offset: int
    in_head: bool
    def __init__(
        self, max_request_line: int, max_header_bytes: int, max_header_count: int, max_body_size: int
    ) -> None: ...
    def feed(self, data: bytes) -> int: ...

def status_line(status: int) -> bytes: ...
def encode_response_head(
    status: int,
    headers: list[tuple[bytes, bytes]],
    content_length: int,
    keep_alive: bool,
    http10_keep_alive: bool,
    common: bytes,
) -> bytes: ...
