"""Secrets from the environment or from files, never from the repository, and never weak.

``load_secret("SECRET_KEY", production=True)`` reads ``SECRET_KEY``, or the file named by
``SECRET_KEY_FILE`` (Docker and Kubernetes secrets, systemd credentials). In production a
missing secret is a startup error; in development a random one is generated for this process
(sessions and tokens then do not survive a restart). A secret that is short, a well-known
placeholder or one repeated pattern is refused in both modes.

The value comes back wrapped in ``Secret``, whose ``repr`` and ``str`` never show it, so it
cannot leak into logs, tracebacks or error pages by accident; ``reveal()`` gives it out.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

from covet.security.errors import SecretError

__all__ = ["MIN_SECRET_LENGTH", "Secret", "load_secret", "secret_weakness"]

MIN_SECRET_LENGTH = 32
_MIN_DISTINCT_CHARACTERS = 10

# Values seen in tutorials, templates and generated projects; matched as substrings, lower-cased.
_PLACEHOLDERS = (
    "changeme", "change-me", "change_me", "changethis", "replaceme", "replace-me", "replace_me",
    "your-secret", "your_secret", "yoursecret", "secret-key", "secret_key", "secretkey", "mysecret",
    "supersecret", "django-insecure", "insecure", "keyboard cat", "notasecret", "not-a-secret",
    "default", "example", "password", "xxxxxxxx", "dev-secret", "development", "0123456789",
    "abcdefgh", "qwerty",
)  # fmt: skip

_GENERATE_HINT = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
logger = logging.getLogger("covet.security")


class Secret:
    """A secret string that does not show itself; compare with ``==`` (constant-time)."""

    __slots__ = ("_value", "name", "source")

    def __init__(self, value: str, *, name: str = "secret", source: str = "code") -> None:
        self._value = value
        self.name = name
        self.source = source

    def reveal(self) -> str:
        return self._value

    def encode(self) -> bytes:
        """The UTF-8 bytes, for HMAC and signing keys."""
        return self._value.encode("utf-8")

    def __repr__(self) -> str:
        return f"Secret({self.name!r}, from {self.source})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return hmac.compare_digest(self.encode(), other.encode())
        if isinstance(other, str):
            return hmac.compare_digest(self.encode(), other.encode("utf-8"))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal values must not become dictionary keys

    def __len__(self) -> int:
        return len(self._value)


def secret_weakness(value: str, *, min_length: int = MIN_SECRET_LENGTH) -> Optional[str]:
    """Why ``value`` is too weak to be a secret, or None when it is acceptable."""
    if len(value) < min_length:
        return f"it is {len(value)} characters long; use at least {min_length} random characters"
    lowered = value.lower()
    for placeholder in _PLACEHOLDERS:
        if placeholder in lowered:
            return f"it contains the well-known placeholder {placeholder!r}"
    if len(set(value)) < _MIN_DISTINCT_CHARACTERS:
        return f"it uses only {len(set(value))} distinct characters"
    if value in (value + value)[1:-1]:
        return "it is one short pattern repeated"
    return None


def load_secret(
    name: str,
    *,
    production: bool,
    environ: Optional[Mapping[str, str]] = None,
    min_length: int = MIN_SECRET_LENGTH,
) -> Secret:
    """The secret named ``name`` from ``environ`` (default ``os.environ``): ``NAME`` or ``NAME_FILE``.

    Raises SecretError when both are set, the file cannot be read, the secret is weak, or it is
    missing in production. Missing in development: a random secret for this process only.
    """
    env = os.environ if environ is None else environ
    file_variable = f"{name}_FILE"
    if name in env and file_variable in env:
        raise SecretError(f"both {name} and {file_variable} are set; keep one of them")
    if file_variable in env:
        value, source = _read_secret_file(env[file_variable], file_variable), f"file {env[file_variable]}"
    elif name in env:
        value, source = env[name], f"environment variable {name}"
    elif production:
        raise SecretError(
            f"{name} is not set: in production every secret comes from the environment ({name}) "
            f"or a file ({file_variable}); {_GENERATE_HINT}"
        )
    else:
        logger.warning(
            "%s is not set: using a random secret for this process only (set %s or %s to keep "
            "sessions and tokens valid across restarts)",
            name,
            name,
            file_variable,
        )
        return Secret(secrets.token_urlsafe(48), name=name, source="generated for this process")
    weakness = secret_weakness(value, min_length=min_length)
    if weakness is not None:
        raise SecretError(f"{name} (from {source}) is too weak: {weakness}; {_GENERATE_HINT}")
    return Secret(value, name=name, source=source)


def _read_secret_file(path: str, variable: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SecretError(f"cannot read the secret file {path} named by {variable}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SecretError(f"the secret file {path} named by {variable} is not UTF-8 text") from None
    # One trailing newline is what `echo` and editors add; it is not part of the secret.
    return text.removesuffix("\n").removesuffix("\r")
