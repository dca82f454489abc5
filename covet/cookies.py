"""Cookies: the ``Cookie`` header as browsers send it, and ``Set-Cookie`` lines built safely."""

from __future__ import annotations


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
