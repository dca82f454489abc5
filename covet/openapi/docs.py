"""The interactive docs page (Swagger UI), served from files shipped in the package — no CDN.

``/docs`` is a small HTML page; Swagger UI's script, style sheet and icon are served under
``/docs/assets/`` with their content types, an ETag and ``Cache-Control: no-cache`` (a
browser revalidates and gets 304 while the files are unchanged).
"""

from __future__ import annotations

import hashlib
import html
import importlib.resources
from typing import Optional

import orjson

from covet.responses import HTMLResponse, PlainTextResponse, Response

SWAGGER_UI_VERSION = "5.35.0"

ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "covet-docs.js": "text/javascript; charset=utf-8",
    "oauth2-redirect.html": "text/html; charset=utf-8",
    "oauth2-redirect.js": "text/javascript; charset=utf-8",
}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script id="covet-docs-config" type="application/json">{config}</script>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/covet-docs.js"></script>
</body>
</html>
"""


def docs_page(title: str, root_path: str, docs_url: str, openapi_url: str) -> HTMLResponse:
    """The docs page; every URL in it is a path on this server (``root_path`` first)."""
    assets = html.escape(root_path + docs_url + "/assets")
    config = orjson.dumps(
        {
            "openapiUrl": root_path + openapi_url,
            "oauth2RedirectUrl": root_path + docs_url + "/assets/oauth2-redirect.html",
        }
    ).decode()
    # Inside <script> only "</" could end the element early; JSON allows writing it "<\/".
    page = _PAGE.format(title=html.escape(title), assets=assets, config=config.replace("</", "<\\/"))
    return HTMLResponse(page)


class Assets:
    """The shipped files, read on first request and then kept in memory with their ETags."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, bytes]] = {}

    def _load(self, name: str) -> tuple[bytes, bytes]:
        loaded = self._files.get(name)
        if loaded is None:
            data = (importlib.resources.files(__package__) / "static" / name).read_bytes()
            etag = b'"' + hashlib.sha256(data).hexdigest()[:32].encode() + b'"'
            loaded = self._files[name] = (data, etag)
        return loaded

    def response(self, name: str, if_none_match: Optional[str]) -> Response:
        media_type = ASSET_TYPES.get(name)
        if media_type is None:
            return PlainTextResponse("Not Found", status_code=404)
        data, etag = self._load(name)
        headers = [(b"etag", etag), (b"cache-control", b"no-cache")]
        if if_none_match is not None and etag.decode() in (t.strip() for t in if_none_match.split(",")):
            return Response(b"", 304, headers)
        return Response(data, 200, [*headers, (b"content-type", media_type.encode())])

