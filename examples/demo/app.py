"""The demo application: the routers, the middleware, the exception handlers, the static files."""

from __future__ import annotations

from covet import Covet, HTTPException, JSONResponse, Request
from covet.middleware import Middleware
from covet.middleware.cors import CORSMiddleware
from covet.middleware.gzip import GZipMiddleware
from covet.middleware.requestid import RequestIDMiddleware
from covet.middleware.timing import TimingMiddleware
from covet.orm import ObjectDoesNotExist
from covet.staticfiles import StaticFiles
from examples.demo import api, live, pages
from examples.demo.database import lifespan


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    """``Model.objects.get()`` found nothing: the handler need not check."""
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """``raise HTTPException(409, "...")`` answers ``{"detail": "..."}``, as the rest of the API does."""
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers or None)


app = Covet(
    title="CovetPy demo",
    description="To-do lists on SQLite through covet.orm, with live updates. Source: examples/demo/.",
    lifespan=lifespan,
    # The first is the outermost: the request id is set before anything else runs (and logs it),
    # the timing covers the handler alone.
    middleware=[
        Middleware(RequestIDMiddleware),
        Middleware(
            CORSMiddleware,
            allow_origins=["http://localhost:5173"],  # a front-end dev server, say
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["content-type"],
            expose_headers=["x-request-id"],
        ),
        Middleware(GZipMiddleware, minimum_size=500),
        Middleware(TimingMiddleware),
    ],
    exception_handlers={ObjectDoesNotExist: not_found, HTTPException: http_error},
)
app.include_router(pages.router)
app.include_router(api.router, prefix="/api", name="api")
app.include_router(live.router, prefix="/live", name="live")
app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
