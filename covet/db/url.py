"""Database URLs → :class:`DatabaseConfig`.

::

    postgresql://user:password@host:5432/dbname?pool_max_size=20&acquire_timeout=5
    mysql://root@127.0.0.1:3306/test?charset=utf8mb4
    sqlite:///./covet.db            (relative path)   sqlite:////var/lib/app.db  (absolute)
    sqlite:///:memory:

``postgres://`` and ``mariadb://`` are accepted aliases; a ``+driver`` suffix is accepted when it
names the driver CovetPy uses (``postgresql+psycopg``, ``mysql+aiomysql``, ``sqlite+aiosqlite``).
Every query parameter is a :class:`DatabaseConfig` field; an unknown one is a ValueError naming it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional
from urllib.parse import parse_qsl, unquote, urlsplit

from covet.db.config import DatabaseConfig, check_options

__all__ = ["DEFAULT_URL", "parse_url"]

DEFAULT_URL = "sqlite:///./covet.db"

_SCHEMES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
}
_DRIVERS = {"postgresql": ("psycopg", "psycopg3"), "mysql": ("aiomysql",), "sqlite": ("aiosqlite",)}

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_NONE = ("", "none", "null", "off")


def _convert(name: str, kind: str, raw: str) -> Any:
    optional = kind.startswith("Optional[")
    base = kind[len("Optional[") : -1] if optional else kind
    if optional and raw.strip().lower() in _NONE:
        return None
    try:
        if base == "int":
            return int(raw)
        if base == "float":
            return float(raw)
    except ValueError:
        article = "an" if base == "int" else "a"
        raise ValueError(f"database option {name}={raw!r} is not {article} {base}") from None
    if base == "bool":
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"database option {name}={raw!r} is not a boolean (true/false)")
    return raw


_FIELD_TYPES = {f.name: str(f.type) for f in dataclasses.fields(DatabaseConfig)}


def parse_url(url: str, **overrides: Any) -> DatabaseConfig:
    """Parse ``url`` into a :class:`DatabaseConfig`; ``overrides`` win over the query string."""
    if not isinstance(url, str):
        raise TypeError(f"a database URL must be a str, got {type(url).__name__}")
    parts = urlsplit(url)
    scheme, _, driver = parts.scheme.lower().partition("+")
    if not parts.scheme or "://" not in url:
        raise ValueError(f"not a database URL: {url!r}; expected e.g. postgresql://user@host/dbname")
    backend = _SCHEMES.get(scheme)
    if backend is None:
        raise ValueError(
            f"unsupported database scheme {parts.scheme!r} in URL; expected postgresql, mysql or sqlite"
        )
    if driver and driver not in _DRIVERS[backend]:
        raise ValueError(
            f"driver {driver!r} is not supported for {backend}; CovetPy uses {_DRIVERS[backend][0]}"
        )
    if parts.fragment:
        raise ValueError("a database URL must not have a #fragment")

    fields: dict[str, Any] = {"backend": backend}
    if backend == "sqlite":
        if parts.netloc:
            raise ValueError(
                "sqlite URLs have no host: use sqlite:///relative/path or sqlite:////absolute/path, "
                f"got {url!r}"
            )
        # urlsplit keeps the leading slash of the path: sqlite:///./x.db → "/./x.db".
        fields["database"] = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
    else:
        try:
            port: Optional[int] = parts.port
        except ValueError:
            raise ValueError(f"invalid port in database URL {url!r}") from None
        if parts.hostname:
            fields["host"] = unquote(parts.hostname)
        if port is not None:
            fields["port"] = port
        if parts.username is not None:
            fields["user"] = unquote(parts.username)
        if parts.password is not None:
            fields["password"] = unquote(parts.password)
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if "/" in path:
            raise ValueError(f"the database name in a {backend} URL must not contain '/': {path!r}")
        fields["database"] = unquote(path)

    options: dict[str, Any] = {}
    for name, raw in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if name in options:
            raise ValueError(f"database option {name!r} is given twice in the URL")
        if name not in _FIELD_TYPES or name in ("backend", "database", "user", "password", "host", "port"):
            check_options(backend, {name: raw})  # raises: unknown option, named
            raise ValueError(f"{name!r} belongs in the URL itself, not in its query string")
        options[name] = _convert(name, _FIELD_TYPES[name], raw)
    check_options(backend, options)
    check_options(backend, overrides)
    fields.update(options)
    fields.update(overrides)
    return DatabaseConfig(**fields)
