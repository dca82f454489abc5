"""CovetPy: an async web framework and ORM whose hot paths are compiled with Cython."""

from covet._speedups import speedups_enabled
from covet.app import Covet
from covet.background import BackgroundTasks
from covet.dependencies import Depends
from covet.exceptions import ClientDisconnect, HTTPException
from covet.fileresponse import FileResponse
from covet.params import Body, Cookie, File, Form, Header, Path, Query
from covet.requests import Request
from covet.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from covet.security.settings import Settings
from covet.sse import EventSourceResponse, ServerSentEvent
from covet.websockets import WebSocket, WebSocketDisconnect

__version__ = "0.1.0"

__all__ = [
    "BackgroundTasks",
    "Body",
    "ClientDisconnect",
    "Cookie",
    "Covet",
    "Depends",
    "EventSourceResponse",
    "File",
    "FileResponse",
    "Form",
    "HTMLResponse",
    "HTTPException",
    "Header",
    "JSONResponse",
    "Path",
    "PlainTextResponse",
    "Query",
    "RedirectResponse",
    "Request",
    "Response",
    "ServerSentEvent",
    "Settings",
    "StreamingResponse",
    "WebSocket",
    "WebSocketDisconnect",
    "speedups_enabled",
]
