"""The deployment check: insecure settings, one finding each (``python -m covet check --deploy``).

``check_deploy(settings)`` reads the attributes named in DeploySettings from any object (the
application's settings, a dataclass, a namespace); an attribute it lacks takes CovetPy's
default, which is the secure one — except ``secret_key`` and ``allowed_hosts``, which have no
safe default and must be set. The command prints each finding on one line and exits non-zero
when there is any.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Optional, Union

from covet.security.secrets import Secret, secret_weakness

__all__ = ["DeploySettings", "Finding", "check_deploy"]

ONE_YEAR = 31_536_000


@dataclass(frozen=True)
class DeploySettings:
    """The settings the deployment check reads, with CovetPy's defaults."""

    debug: bool = False
    secret_key: Union[str, Secret, None] = None
    hsts_max_age: int = ONE_YEAR
    session_cookie_secure: bool = True
    session_cookie_httponly: bool = True
    session_cookie_samesite: Optional[str] = "lax"
    csrf_cookie_secure: bool = True
    allowed_hosts: tuple[str, ...] = ()
    cors_allow_origins: tuple[str, ...] = ()
    cors_allow_credentials: bool = False

    @classmethod
    def from_object(cls, settings: object) -> DeploySettings:
        """The check's view of ``settings``: each attribute it has, the default for each it lacks."""
        if isinstance(settings, DeploySettings):
            return settings
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            if hasattr(settings, spec.name):
                value = getattr(settings, spec.name)
                is_tuple = spec.name in ("allowed_hosts", "cors_allow_origins")
                values[spec.name] = tuple(value) if is_tuple and isinstance(value, Iterable) else value
        return cls(**values)


@dataclass(frozen=True)
class Finding:
    """One insecure setting: a stable ``id`` (to silence it knowingly) and what to do about it."""

    id: str
    message: str

    def __str__(self) -> str:
        return f"{self.id}: {self.message}"


def _secret_findings(secret_key: Union[str, Secret, None]) -> list[Finding]:
    if secret_key is None or len(secret_key) == 0:
        return [Finding("security.secret_key.missing", "no secret key is set; load it with load_secret()")]
    value = secret_key.reveal() if isinstance(secret_key, Secret) else secret_key
    weakness = secret_weakness(value)
    if weakness is not None:
        return [Finding("security.secret_key.weak", f"the secret key is weak: {weakness}")]
    return []


def check_deploy(settings: object) -> list[Finding]:
    """Every insecure setting in ``settings`` for a production deployment; empty when none."""
    s = DeploySettings.from_object(settings)
    findings: list[Finding] = []

    def flag(condition: bool, finding_id: str, message: str) -> None:
        if condition:
            findings.append(Finding(finding_id, message))

    flag(s.debug, "security.debug", "debug is on: clients see tracebacks and internals; set debug=False")
    findings += _secret_findings(s.secret_key)
    flag(
        s.hsts_max_age <= 0,
        "security.hsts.off",
        "HSTS is off; set hsts_max_age to at least 31536000 (a year)",
    )
    flag(
        0 < s.hsts_max_age < ONE_YEAR,
        "security.hsts.short",
        f"HSTS max-age is {s.hsts_max_age} s; use at least 31536000 (a year)",
    )
    flag(
        not s.session_cookie_secure,
        "security.cookie.session_insecure",
        "the session cookie is sent over plain HTTP; set session_cookie_secure=True",
    )
    flag(
        not s.session_cookie_httponly,
        "security.cookie.session_script_readable",
        "scripts can read the session cookie; set session_cookie_httponly=True",
    )
    samesite = (s.session_cookie_samesite or "").lower()
    flag(
        samesite not in ("lax", "strict", "none"),
        "security.cookie.samesite_invalid",
        f"session_cookie_samesite is {s.session_cookie_samesite!r}; use 'lax', 'strict' or 'none'",
    )
    flag(
        not s.csrf_cookie_secure,
        "security.cookie.csrf_insecure",
        "the CSRF cookie is sent over plain HTTP; set csrf_cookie_secure=True",
    )
    flag(
        not s.allowed_hosts,
        "security.allowed_hosts.missing",
        "allowed_hosts is empty: any Host header is accepted; list the host names you serve",
    )
    flag(
        "*" in s.allowed_hosts,
        "security.allowed_hosts.wildcard",
        "allowed_hosts contains '*': any Host header is accepted (cache poisoning, reset-link hijack)",
    )
    flag(
        "*" in s.cors_allow_origins and s.cors_allow_credentials,
        "security.cors.wildcard_credentials",
        "CORS allows every origin with credentials: any site can make authenticated requests; "
        "list the origins instead of '*'",
    )
    return findings
