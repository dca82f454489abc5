"""The application's security settings, read from the environment with secure defaults.

::

    app = Covet()                                   # Settings.from_env(): the variables below
    app = Covet(settings=Settings(allowed_hosts=["example.com"], secret_key=load_secret(...)))

``Settings.from_env()`` reads

* ``COVET_ENV`` — ``development`` (the default) or ``production``;
* ``COVET_SECRET_KEY`` or ``COVET_SECRET_KEY_FILE`` — the key that signs sessions and CSRF
  tokens (see ``covet.security.secrets``). In production a missing or weak one is an error at
  start-up; in development a random key is made for the process the first time one is needed;
* ``COVET_DEBUG`` — ``1``/``true``/``yes`` turns the traceback page on (off by default);
* ``COVET_ALLOWED_HOSTS`` — comma-separated host names; when set, requests for other hosts get
  400 (``TrustedHostMiddleware``);
* ``COVET_TRUSTED_PROXIES`` — comma-separated addresses or networks of reverse proxies whose
  ``X-Forwarded-For`` names the client (rate limits key on it); none by default.

Security headers are on by default: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options:
DENY``, ``Referrer-Policy: strict-origin-when-cross-origin``, and HSTS on HTTPS responses.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Optional, Union

from covet.security.errors import SecretError
from covet.security.secrets import Secret, load_secret, secret_weakness

__all__ = ["ONE_YEAR", "Environment", "Settings"]

ONE_YEAR = 31_536_000
Environment = Literal["development", "production"]
SECRET_KEY_VARIABLE = "COVET_SECRET_KEY"  # noqa: S105 - the variable's name, not a secret
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})
logger = logging.getLogger("covet.security")

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name}={value!r}: use 1/true/yes or 0/false/no")


def _names(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and CIDR networks (``10.0.0.0/8``, ``::1``) as networks; ValueError names a bad one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"trusted proxy {entry!r} is not an IP address or network (CIDR)") from None
    return tuple(networks)


@dataclass(frozen=True)
class Settings:
    """What the application's security depends on; every default is the secure choice.

    ``secret_key`` is None when none is configured: ``signing_secret()`` then makes one for
    this process in development and refuses in production (``__post_init__`` already does).
    """

    environment: Environment = "development"
    debug: bool = False
    secret_key: Optional[Secret] = None
    allowed_hosts: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    security_headers: bool = True
    hsts_max_age: int = ONE_YEAR
    hsts_include_subdomains: bool = True
    content_security_policy: Optional[str] = None
    _generated: list[Secret] = field(init=False, default_factory=list, repr=False, compare=False)
    _networks: tuple[Network, ...] = field(init=False, default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.environment not in ("development", "production"):
            raise ValueError(f"environment is 'development' or 'production', not {self.environment!r}")
        if isinstance(self.secret_key, str):
            object.__setattr__(self, "secret_key", Secret(self.secret_key, name="secret_key"))
        for name in ("allowed_hosts", "trusted_proxies"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"{name} is a list of names, not the string {value!r}")
            object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "_networks", parse_networks(self.trusted_proxies))
        if self.hsts_max_age < 0:
            raise ValueError(f"hsts_max_age is seconds, at least 0; got {self.hsts_max_age}")
        if self.secret_key is not None:
            weakness = secret_weakness(self.secret_key.reveal())
            if weakness is not None:
                raise SecretError(f"the secret key ({self.secret_key.source}) is too weak: {weakness}")
        elif self.production:
            raise SecretError(
                f"no secret key in production: set {SECRET_KEY_VARIABLE} (or {SECRET_KEY_VARIABLE}_FILE "
                "naming a file that holds it); generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None, **overrides: object) -> Settings:
        """Settings from ``environ`` (default ``os.environ``, see the module docstring); keyword
        arguments override what the environment says."""
        env = os.environ if environ is None else environ
        environment = env.get("COVET_ENV", "development").strip().lower() or "development"
        if environment not in ("development", "production"):
            raise ValueError(f"COVET_ENV={env['COVET_ENV']!r}: use 'development' or 'production'")
        values: dict[str, object] = {"environment": environment}
        if "COVET_DEBUG" in env:
            values["debug"] = _flag("COVET_DEBUG", env["COVET_DEBUG"])
        configured = SECRET_KEY_VARIABLE in env or f"{SECRET_KEY_VARIABLE}_FILE" in env
        if configured or environment == "production":
            values["secret_key"] = load_secret(SECRET_KEY_VARIABLE, production=True, environ=env)
        if "COVET_ALLOWED_HOSTS" in env:
            values["allowed_hosts"] = _names(env["COVET_ALLOWED_HOSTS"])
        if "COVET_TRUSTED_PROXIES" in env:
            values["trusted_proxies"] = _names(env["COVET_TRUSTED_PROXIES"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def replace(self, **changes: object) -> Settings:
        """A copy with ``changes`` (``settings.replace(debug=True)``)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def signing_secret(self) -> Secret:
        """The secret key; in development without one, a random key made once for this process."""
        if self.secret_key is not None:
            return self.secret_key
        with _GENERATE_LOCK:
            if not self._generated:
                logger.warning(
                    "%s is not set: signing sessions and CSRF tokens with a random key for this process "
                    "only (they stop being valid on restart and differ between workers)",
                    SECRET_KEY_VARIABLE,
                )
                generated = secrets.token_urlsafe(48)
                source = "generated for this process"
                self._generated.append(Secret(generated, name=SECRET_KEY_VARIABLE, source=source))
            return self._generated[0]

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        """``trusted_proxies`` parsed, for ``covet.security.throttling.client_ip``."""
        return self._networks


_GENERATE_LOCK = threading.Lock()
