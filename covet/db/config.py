"""Database settings: one dataclass; the URL's query parameters map onto its fields by name."""

from __future__ import annotations

import dataclasses
from typing import Any, Optional
from urllib.parse import quote

BACKENDS = ("postgresql", "mysql", "sqlite")

ISOLATION_LEVELS = ("READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE")
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
JOURNAL_MODES = ("wal", "delete", "truncate", "persist", "memory", "off")
SYNCHRONOUS_MODES = ("off", "normal", "full", "extra")

# Options that only mean something to some backends; the rest apply to all of them.
BACKEND_OPTIONS: dict[str, tuple[str, ...]] = {
    "prepare_threshold": ("postgresql",),
    "application_name": ("postgresql",),
    "charset": ("mysql",),
    "sslmode": ("postgresql", "mysql"),
    "sslrootcert": ("postgresql", "mysql"),
    "sslcert": ("postgresql", "mysql"),
    "sslkey": ("postgresql", "mysql"),
    "journal_mode": ("sqlite",),
    "synchronous": ("sqlite",),
    "busy_timeout": ("sqlite",),
    "foreign_keys": ("sqlite",),
}

# Fields that come from the URL's authority and path, not from its query string.
LOCATION_FIELDS = ("backend", "database", "host", "port", "user", "password")

DEFAULT_POOL_MAX_SIZE = {"postgresql": 10, "mysql": 10, "sqlite": 5}


def normalize_isolation(level: Optional[str]) -> Optional[str]:
    """``"repeatable_read"`` / ``"Repeatable Read"`` → ``"REPEATABLE READ"``; ValueError if unknown."""
    if level is None:
        return None
    canonical = " ".join(level.replace("_", " ").replace("-", " ").upper().split())
    if canonical not in ISOLATION_LEVELS:
        raise ValueError(f"unknown isolation level {level!r}; expected one of {', '.join(ISOLATION_LEVELS)}")
    return canonical


@dataclasses.dataclass
class DatabaseConfig:
    """Everything a :class:`~covet.db.Database` can be told.

    Durations are in seconds. ``None`` for ``max_idle``, ``max_lifetime``, ``leak_threshold``,
    ``check_after_idle`` or ``prepare_threshold`` turns that feature off.
    """

    backend: str
    database: str = ""  # database name; for SQLite the file path or ":memory:"
    host: Optional[str] = None
    port: Optional[int] = None
    user: Optional[str] = None
    password: Optional[str] = dataclasses.field(default=None, repr=False)

    # Pool.
    pool_min_size: int = 1
    pool_max_size: Optional[int] = None  # None: 10 for servers, 5 for an SQLite file, 1 in memory
    max_idle: Optional[float] = 600.0  # close idle connections above pool_min_size after this
    max_lifetime: Optional[float] = 3600.0  # replace connections older than this
    acquire_timeout: float = 10.0  # PoolTimeout after waiting this long for a connection
    connect_timeout: float = 10.0
    # Ping a connection on checkout when it sat idle at least this long (0: every checkout).
    check_after_idle: Optional[float] = 0.5
    # Log a connection held longer than this as a probable leak, with the stack that took it.
    leak_threshold: Optional[float] = 30.0

    # Statements. PostgreSQL: a statement run more than ``prepare_threshold`` times on a
    # connection becomes a server-side prepared statement (psycopg's prepare_threshold; 0
    # prepares on first use, None never), and at most ``statement_cache_size`` of them stay
    # prepared, least recently used deallocated first (psycopg's prepared_max; 0 prepares none).
    # SQLite: ``statement_cache_size`` is sqlite3's per-connection cache of compiled statements.
    # Behind PgBouncer in transaction mode (before 1.21), set prepare_threshold=None.
    prepare_threshold: Optional[int] = 5
    statement_cache_size: int = 128
    isolation: Optional[str] = None  # default isolation of transactions; None: the server's

    # TLS (PostgreSQL and MySQL), named as libpq names them.
    sslmode: Optional[str] = None
    sslrootcert: Optional[str] = None
    sslcert: Optional[str] = None
    sslkey: Optional[str] = None

    application_name: Optional[str] = None  # PostgreSQL
    charset: str = "utf8mb4"  # MySQL

    # SQLite.
    journal_mode: str = "wal"
    synchronous: str = "normal"
    busy_timeout: float = 5.0
    foreign_keys: bool = True

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(
                f"unknown database backend {self.backend!r}; expected one of {', '.join(BACKENDS)}"
            )
        if self.backend == "sqlite":
            if not self.database:
                raise ValueError("an SQLite database needs a path or :memory: (sqlite:///./covet.db)")
        elif not self.database:
            raise ValueError(f"a {self.backend} URL needs a database name: {self.backend}://user@host/dbname")
        if self.port is not None and not 0 < self.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, got {self.port}")
        if self.pool_min_size < 0:
            raise ValueError(f"pool_min_size must be 0 or more, got {self.pool_min_size}")
        if self.pool_max_size is None:
            self.pool_max_size = 1 if self.is_memory else DEFAULT_POOL_MAX_SIZE[self.backend]
        if self.pool_max_size < 1:
            raise ValueError(f"pool_max_size must be at least 1, got {self.pool_max_size}")
        if self.is_memory and self.pool_max_size != 1:
            raise ValueError("sqlite :memory: uses one shared connection; pool_max_size must be 1")
        if self.pool_min_size > self.pool_max_size:
            raise ValueError(
                f"pool_min_size ({self.pool_min_size}) must not exceed pool_max_size ({self.pool_max_size})"
            )
        for name in ("acquire_timeout", "connect_timeout", "busy_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("max_idle", "max_lifetime", "leak_threshold"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive or None, got {value}")
        if self.check_after_idle is not None and self.check_after_idle < 0:
            raise ValueError(f"check_after_idle must be 0 or more, or None, got {self.check_after_idle}")
        if self.prepare_threshold is not None and self.prepare_threshold < 0:
            raise ValueError(f"prepare_threshold must be 0 or more, or None, got {self.prepare_threshold}")
        if self.statement_cache_size < 0:
            raise ValueError(f"statement_cache_size must be 0 or more, got {self.statement_cache_size}")
        self.isolation = normalize_isolation(self.isolation)
        if self.sslmode is not None and self.sslmode not in SSL_MODES:
            raise ValueError(f"unknown sslmode {self.sslmode!r}; expected one of {', '.join(SSL_MODES)}")
        self.journal_mode = self.journal_mode.lower()
        if self.journal_mode not in JOURNAL_MODES:
            raise ValueError(
                f"unknown journal_mode {self.journal_mode!r}; expected one of {', '.join(JOURNAL_MODES)}"
            )
        self.synchronous = self.synchronous.lower()
        if self.synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(
                f"unknown synchronous {self.synchronous!r}; expected one of {', '.join(SYNCHRONOUS_MODES)}"
            )

    @property
    def is_memory(self) -> bool:
        """True for an in-memory SQLite database (one shared connection)."""
        return self.backend == "sqlite" and self.database == ":memory:"

    @property
    def url(self) -> str:
        """The URL with the password hidden, for logs and error messages."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.database}"
        auth = ""
        if self.user:
            auth = quote(self.user, safe="") + (":***" if self.password else "") + "@"
        host = self.host or "localhost"
        if ":" in host:
            host = f"[{host}]"
        port = f":{self.port}" if self.port else ""
        return f"{self.backend}://{auth}{host}{port}/{quote(self.database, safe='')}"

    def replace(self, **options: Any) -> DatabaseConfig:
        """A copy with ``options`` changed; ValueError names an unknown or inapplicable option."""
        check_options(self.backend, options)
        return dataclasses.replace(self, **options)


def option_names() -> tuple[str, ...]:
    """The names accepted in a URL's query string and as keyword overrides."""
    return tuple(f.name for f in dataclasses.fields(DatabaseConfig) if f.name not in LOCATION_FIELDS)


def check_options(backend: str, options: dict[str, Any]) -> None:
    known = option_names()
    for name in options:
        if name in LOCATION_FIELDS:
            continue
        if name not in known:
            raise ValueError(f"unknown database option {name!r}; known options: {', '.join(sorted(known))}")
        backends = BACKEND_OPTIONS.get(name)
        if backends is not None and backend not in backends:
            raise ValueError(
                f"database option {name!r} does not apply to {backend} (only {', '.join(backends)})"
            )
