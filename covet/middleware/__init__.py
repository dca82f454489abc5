"""Middleware: the stack (``Middleware``, ``BaseHTTPMiddleware``) and the built-in layers.

See ``covet.middleware.stack`` for how native and pure ASGI middleware mix, and
``covet.middleware.base`` for writing a native one.
"""

from covet.middleware.base import BaseHTTPMiddleware, Middleware

__all__ = ["BaseHTTPMiddleware", "Middleware"]
