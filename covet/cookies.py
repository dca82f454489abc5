"""Cookies: the ``Cookie`` header as browsers send it, and ``Set-Cookie`` lines built safely."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate
from typing import Optional, Union


def parse_cookie_header(header: str) -> dict[str, str]:
    """``"a=1; b=2"`` -> ``{"a": "1", "b": "2"}``, as leniently as browsers send it (RFC 6265 5.4).

    Pairs are split on ``;``, then on the first ``=``; a piece without ``=`` is a value with an
    empty name (as browsers treat it); surrounding quotes are dropped. When a name repeats, the
    first value wins: browsers send the cookie with the longest, most specific path first.
    """
    cookies: dict[str, str] = {}
    for piece in header.split(";"):
        name, sep, value = piece.partition("=")
        if not sep:
            name, value = "", name
        name = name.strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if (name or value) and name not in cookies:
            cookies[name] = value
    return cookies


# RFC 6265 4.1.1: cookie-name is a token; cookie-value is cookie-octets, optionally in quotes.
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_OCTETS = r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*"
_VALUE = re.compile(f'{_OCTETS}|"{_OCTETS}"')
_ATTRIBUTE = re.compile(r"[\x20-\x3A\x3C-\x7E]*")  # printable, no ';'
_SAMESITE = {"lax": "Lax", "strict": "Strict", "none": "None"}


def set_cookie_value(
    key: str,
    value: str = "",
    *,
    max_age: Optional[int] = None,
    expires: Union[datetime, int, float, str, None] = None,
    path: Optional[str] = "/",
    domain: Optional[str] = None,
    secure: bool = False,
    httponly: bool = True,
    samesite: Optional[str] = "lax",
    partitioned: bool = False,
) -> bytes:
    """The value of one ``Set-Cookie`` header; ValueError names what a browser would not accept.

    ``expires`` is a datetime, seconds from now, or an HTTP date string. Names and values are
    checked against RFC 6265, so a value cannot smuggle in attributes or a header break.
    """
    if not _NAME.fullmatch(key):
        raise ValueError(f"cookie name {key!r} is not an HTTP token (letters, digits, !#$%&'*+-.^_`|~)")
    if not _VALUE.fullmatch(value):
        raise ValueError(
            f"cookie {key!r}: the value holds characters a cookie cannot carry (space, quote, comma, ';', "
            "backslash, control or non-ASCII); encode it first, e.g. urllib.parse.quote(value)"
        )
    parts = [f"{key}={value}"]
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    if expires is not None:
        parts.append(f"Expires={_http_date(expires)}")
    for name, attribute in (("Path", path), ("Domain", domain)):
        if attribute is not None:
            if not _ATTRIBUTE.fullmatch(attribute):
                raise ValueError(f"cookie {key!r}: {name} {attribute!r} holds ';' or a control character")
            parts.append(f"{name}={attribute}")
    if secure:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if samesite is not None:
        try:
            parts.append(f"SameSite={_SAMESITE[samesite.lower()]}")
        except KeyError:
            raise ValueError(f"samesite must be 'lax', 'strict', 'none' or None, not {samesite!r}") from None
    if partitioned:
        parts.append("Partitioned")
    return "; ".join(parts).encode("ascii")


def needs_secure(key: str, samesite: Optional[str], partitioned: bool) -> bool:
    """Whether browsers drop this cookie unless it is Secure (SameSite=None, Partitioned, prefixes)."""
    return (
        (samesite is not None and samesite.lower() == "none")
        or partitioned
        or key.startswith(("__Secure-", "__Host-"))
    )


def _http_date(expires: Union[datetime, int, float, str]) -> str:
    if isinstance(expires, str):
        return expires
    if isinstance(expires, datetime):
        if expires.tzinfo is None:
            raise ValueError("cookie expires: give an aware datetime (UTC), not a naive one")
        return format_datetime(expires.astimezone(UTC), usegmt=True)
    return formatdate(time.time() + expires, usegmt=True)
