"""OpenAPI 3.1 for a CovetPy app: the document at ``/openapi.json`` and Swagger UI at ``/docs``.

``Covet(title=..., version=..., description=..., openapi_url="/openapi.json", docs_url="/docs")``;
``None`` for either URL turns that route off, and ``openapi_url=None`` the docs page too (as in
FastAPI: the page shows the document).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import orjson

from covet.openapi.docs import Assets, docs_page
from covet.openapi.schema import build_document
from covet.requests import Request
from covet.responses import Response

if TYPE_CHECKING:
    from covet.endpoints import RouteOptions
    from covet.routing import Router

__all__ = ["OpenAPI", "build_document"]


class OpenAPI:
    """An app's OpenAPI document, built on first request and rebuilt when the routes change."""

    def __init__(
        self,
        router: Router,
        title: str,
        version: str,
        description: Optional[str],
        openapi_url: Optional[str],
        docs_url: Optional[str],
    ) -> None:
        self.router = router
        self.title = title
        self.version = version
        self.description = description
        self.openapi_url = openapi_url
        self.docs_url = docs_url if openapi_url is not None else None
        self.assets = Assets()
        self._cached: Optional[tuple[Any, dict[str, Any], bytes]] = None

    def add_routes(self, router: Router) -> None:
        """Serve the document and the docs page from ``router`` (left out of the document)."""
        hidden: RouteOptions = {"include_in_schema": False}
        if self.openapi_url is not None:
            router.add_route(self.openapi_url, self.serve_document, ["GET"], "covet:openapi", **hidden)
        if self.docs_url is not None:
            router.add_route(self.docs_url, self.serve_docs, ["GET"], "covet:docs", **hidden)
            assets = self.docs_url + "/assets/{name}"
            router.add_route(assets, self.serve_asset, ["GET"], "covet:docs_asset", **hidden)

    def document(self) -> dict[str, Any]:
        return self._current()[1]

    def _current(self) -> tuple[Any, dict[str, Any], bytes]:
        version = self.router._signature()
        if self._cached is None or self._cached[0] != version:
            document = build_document(self.router.routes, self.title, self.version, self.description)
            self._cached = (version, document, orjson.dumps(document))
        return self._cached

    async def serve_document(self, request: Request) -> Response:
        return Response(self._current()[2], media_type="application/json")

    async def serve_docs(self, request: Request) -> Response:
        assert self.docs_url is not None and self.openapi_url is not None
        return docs_page(f"{self.title} - Swagger UI", request.root_path, self.docs_url, self.openapi_url)

    async def serve_asset(self, request: Request) -> Response:
        return self.assets.response(request.path_params["name"], request.headers.get("if-none-match"))
