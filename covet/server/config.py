"""Server settings: one object, defaults in line with nginx and gunicorn."""

from __future__ import annotations

import dataclasses
import ssl
from typing import Optional

KIB = 1024
MIB = 1024 * KIB


@dataclasses.dataclass
class ServerConfig:
    """Everything the HTTP server can be told; the CLI flags map onto these fields."""

    host: str = "127.0.0.1"
    port: int = 8000
    uds: Optional[str] = None
    backlog: int = 2048
    workers: int = 1
    reload: bool = False
    reload_dirs: tuple[str, ...] = ()
    ssl_certfile: Optional[str] = None
    ssl_keyfile: Optional[str] = None
    ssl_keyfile_password: Optional[str] = None
    log_level: str = "info"
    access_log: bool = False
    root_path: str = ""
    server_header: str = "covet"

    # Limits: llhttp enforces none of these, the protocol counts bytes itself.
    max_request_line: int = 8 * KIB
    max_header_bytes: int = 32 * KIB
    max_header_count: int = 100
    max_body_size: int = 16 * MIB
    max_pipelined: int = 64
    limit_concurrency: Optional[int] = None
    retry_after: int = 1

    # Timeouts, in seconds.
    timeout_header: float = 30.0
    timeout_keep_alive: float = 5.0
    # A handler waiting for its request's body gets a 408 (and the connection closes) when no byte
    # of it arrives for this long: a client cannot hold a request open by stalling its body.
    timeout_body: float = 60.0
    timeout_graceful_shutdown: float = 30.0

    # Flow control: pause reading above the high-water mark of the write buffer.
    write_buffer_high: int = 256 * KIB
    write_buffer_low: int = 64 * KIB

    # WebSockets.
    ws_max_message_size: int = 16 * MIB
    ws_ping_interval: Optional[float] = 20.0
    ws_ping_timeout: Optional[float] = 20.0

    def __post_init__(self) -> None:
        for name in (
            "max_request_line",
            "max_header_bytes",
            "max_header_count",
            "max_body_size",
            "max_pipelined",
            "backlog",
            "workers",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"ServerConfig.{name} must be at least 1, got {getattr(self, name)!r}")
        if self.limit_concurrency is not None and self.limit_concurrency < 1:
            raise ValueError(
                f"ServerConfig.limit_concurrency must be at least 1 or None, got {self.limit_concurrency!r}"
            )
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("TLS needs both ssl_certfile and ssl_keyfile")
        if self.write_buffer_low > self.write_buffer_high:
            raise ValueError("write_buffer_low must not exceed write_buffer_high")

    @property
    def is_ssl(self) -> bool:
        return self.ssl_certfile is not None

    def ssl_context(self) -> Optional[ssl.SSLContext]:
        """A server-side TLS context (TLS 1.2+, HTTP/1.1 ALPN), or None without certificates."""
        if self.ssl_certfile is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile, self.ssl_keyfile_password)
        context.set_alpn_protocols(["http/1.1"])
        return context
