"""CovetPy: an async web framework and ORM whose hot paths are compiled with Cython."""

from covet._speedups import speedups_enabled
from covet.app import Covet
from covet.background import BackgroundTasks
from covet.dependencies import Depends
from covet.exceptions import ClientDisconnect, HTTPException
from covet.params import Body, Cookie, File, Form, Header, Path, Query
from covet.requests import Request
from covet.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from covet.websockets import WebSocket, WebSocketDisconnect

__version__ = "0.1.0"

__all__ = [
    "BackgroundTasks",
    "Body",
    "ClientDisconnect",
    "Cookie",
    "Covet",
    "Depends",
    "File",
    "Form",
    "Header",
    "HTMLResponse",
    "HTTPException",
    "JSONResponse",
    "Path",
    "PlainTextResponse",
    "Query",
    "Request",
    "Response",
    "StreamingResponse",
    "WebSocket",
    "WebSocketDisconnect",
    "speedups_enabled",
]
