"""Exceptions the web layer raises and understands."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Optional


class ClientDisconnect(Exception):
    """The client closed the connection before the request body was read or the response sent."""


class HTTPException(Exception):
    """Raise to answer with ``status_code``; ``detail`` becomes the body."""

    def __init__(
        self,
        status_code: int,
        detail: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        if detail is None:
            try:
                detail = HTTPStatus(status_code).phrase
            except ValueError:
                detail = ""
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers) if headers else {}

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"
