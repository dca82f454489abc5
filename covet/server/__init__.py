"""CovetPy's HTTP/1.1 server: uvloop + httptools, native CovetPy apps and any ASGI 3 app."""

from covet.server.config import ServerConfig
from covet.server.serve import Server, bind_socket, run

__all__ = ["Server", "ServerConfig", "bind_socket", "run"]
