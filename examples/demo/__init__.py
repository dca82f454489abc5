"""The CovetPy demo, what ``make serve`` runs: ``python -m covet serve examples.demo:app``.

A to-do API on SQLite through ``covet.orm``, created and migrated at start-up, showing routing
with path converters and an included router, typed handlers validated by msgspec, dependency
injection with a yield dependency, middleware, exception handlers, a WebSocket chat room,
Server-Sent Events, static files and the docs page at ``/docs``. Open http://127.0.0.1:8000/.

Modules: ``app`` (assembly), ``api`` (the JSON routes), ``live`` (WebSocket and SSE),
``pages`` (HTML and static files), ``database`` (lifespan and dependencies), ``models``,
``schemas``, ``migrations/``.
"""

from examples.demo.app import app

__all__ = ["app"]
