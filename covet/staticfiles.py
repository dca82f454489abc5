"""StaticFiles: serve a directory with ``app.mount("/static", StaticFiles(...))``, natively or as ASGI.

Paths are resolved inside the directory and refused when they would leave it: ``..`` segments,
NUL bytes, and symlinks that point outside (unless ``follow_symlink=True``) all answer 404, the
same as a file that is not there, so nothing about the rest of the disk can be learnt.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Optional, Union

from covet.fileresponse import FileResponse
from covet.requests import Request
from covet.responses import PlainTextResponse, RedirectResponse, Response

if TYPE_CHECKING:
    from covet.asgi import Receive, Scope, Send

_METHODS = ("GET", "HEAD")


class StaticFiles:
    """Files under ``directory``; with ``html=True``, ``index.html`` for a directory and ``404.html``.

    ``check_dir`` makes a missing directory an error at start-up rather than on the first request.
    ``cache_control`` is sent with every file (the default, ``no-cache``, has browsers revalidate
    with the ETag each time; give ``"public, max-age=31536000, immutable"`` for fingerprinted
    assets). Conditional requests and ranges are answered by ``FileResponse``.
    """

    def __init__(
        self,
        *,
        directory: Union[str, os.PathLike[str]],
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
        cache_control: Optional[str] = "no-cache",
    ) -> None:
        self.directory = os.path.abspath(os.fspath(directory))
        self.root = os.path.realpath(self.directory)
        self.html = html
        self.follow_symlink = follow_symlink
        self.headers = {"cache-control": cache_control} if cache_control else None
        self._checked = False
        if check_dir:
            self.check_directory()

    def check_directory(self) -> None:
        if not os.path.isdir(self.directory):
            raise RuntimeError(f"StaticFiles directory {self.directory!r} is missing or not a directory")
        self._checked = True

    # -- the two ways in --------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI app: ``scope["path"]`` below ``scope["root_path"]`` is the file's path."""
        if scope["type"] != "http":
            raise RuntimeError(f"StaticFiles serves HTTP requests only, not {scope['type']!r}")
        full_path = scope["path"]
        root_path = scope.get("root_path", "")
        path = full_path[len(root_path) :] if root_path and full_path.startswith(root_path) else full_path
        response = self.get_response(path, scope["method"], full_path)
        await response(scope, receive, send)

    async def handle(self, request: Request, path: str) -> Response:
        """The native way in: the response for ``path`` (below where this app is mounted)."""
        return self.get_response(path, request.method, request.url.path)

    __covet_mount__ = handle  # what app.mount calls: no scope, no Task, FileResponse's sendfile

    # -- finding the file -------------------------------------------------------------------

    def get_response(self, path: str, method: str, request_path: str) -> Response:
        """The response for ``path``; ``request_path`` (as the client asked) is for redirects."""
        if method not in _METHODS:
            return PlainTextResponse("Method Not Allowed", status_code=405, headers={"allow": "GET, HEAD"})
        if not self._checked:
            self.check_directory()
        found = self.lookup(path)
        if found is not None:
            full, result = found
            if stat.S_ISREG(result.st_mode):
                return self.file_response(full, result)
            if stat.S_ISDIR(result.st_mode) and self.html:
                if not request_path.endswith("/"):
                    # Relative, so it holds behind any prefix: "docs" -> "docs/".
                    return RedirectResponse(request_path.rsplit("/", 1)[-1] + "/", status_code=307)
                index = self.lookup(path.rstrip("/") + "/index.html")
                if index is not None and stat.S_ISREG(index[1].st_mode):
                    return self.file_response(*index)
        if self.html:
            missing = self.lookup("404.html")
            if missing is not None and stat.S_ISREG(missing[1].st_mode):
                response = self.file_response(*missing)
                response.status_code = 404
                return response
        return PlainTextResponse("Not Found", status_code=404)

    def lookup(self, path: str) -> Optional[tuple[str, os.stat_result]]:
        """The file or directory at ``path`` inside the directory, or None (missing or refused)."""
        if "\0" in path or "\\" in path:
            return None
        parts = [part for part in path.split("/") if part and part != "."]
        if ".." in parts:
            return None
        full = os.path.join(self.directory, *parts)
        resolved = os.path.realpath(full) if not self.follow_symlink else full
        base = self.root if not self.follow_symlink else self.directory
        if resolved != base and not resolved.startswith(base + os.sep):
            return None  # a symlink out of the directory
        try:
            return full, os.stat(resolved)
        except OSError:  # missing, not a directory, not allowed, or a name too long
            return None

    def file_response(self, full: str, result: os.stat_result) -> FileResponse:
        return FileResponse(full, headers=self.headers, stat_result=result)

    def __repr__(self) -> str:
        return f"StaticFiles(directory={self.directory!r}, html={self.html!r})"

