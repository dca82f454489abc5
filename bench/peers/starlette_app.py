"""Starlette, as TFB's ``starlette`` entry writes it: each route's endpoint is a Response object.

A Response instance is itself an ASGI app, so the entry builds both responses once at import and
Starlette replays them; the JSON is therefore *not* serialised per request (CovetPy's is). This
follows the entry as published, which makes Starlette the faster for it.
"""

from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

routes = [
    Route("/json", JSONResponse({"message": "Hello, World!"})),
    Route("/plaintext", PlainTextResponse(b"Hello, World!")),
]

app = Starlette(routes=routes)
