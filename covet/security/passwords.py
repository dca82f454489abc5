"""Password hashing: argon2id by default, scrypt as the alternative, upgrades at the next login.

The defaults are the OWASP Password Storage Cheat Sheet's (2023 revision, current):

* argon2id with m=19 MiB (19,456 KiB), t=2, p=1 — the first of the cheat sheet's equivalent
  argon2id configurations (the others trade memory for passes: m=46 MiB/t=1, m=12 MiB/t=3, ...).
* scrypt, "if argon2id is not available", with N=2^17, r=8, p=1 (128 MiB per hash).

Every hash is a PHC-style string that records its scheme and parameters
(``$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>``, ``$scrypt$ln=17,r=8,p=1$<salt>$<hash>``), so
``PasswordHasher.needs_rehash`` can tell when the stored parameters fall behind the configured
ones and ``verify_and_update`` returns a fresh hash at the next successful login.

Hashing is deliberately slow (tens of milliseconds): inside a request handler use the ``a``-prefixed
methods, which run in a worker thread so the event loop keeps serving other requests.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from typing import Optional, Protocol, Union

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from covet.security.errors import InvalidPasswordHash

__all__ = [
    "Argon2idScheme",
    "PasswordHasher",
    "PasswordScheme",
    "ScryptScheme",
]

Password = Union[str, bytes]


class PasswordScheme(Protocol):
    """One hashing scheme: it writes hashes, recognises its own, verifies and judges their parameters."""

    name: str

    def hash(self, password: Password) -> str: ...

    def identifies(self, encoded: str) -> bool:
        """Whether ``encoded`` is a hash of this scheme (by its prefix; it may still be corrupt)."""
        ...

    def verify(self, password: Password, encoded: str) -> bool:
        """True when ``password`` matches; InvalidPasswordHash when ``encoded`` is corrupt."""
        ...

    def needs_rehash(self, encoded: str) -> bool:
        """Whether ``encoded`` was made with other parameters than this scheme's."""
        ...


def _to_bytes(password: Password) -> bytes:
    if isinstance(password, str):
        return password.encode("utf-8")
    if isinstance(password, bytes):
        return password
    raise TypeError(f"a password is str or bytes, not {type(password).__name__}")


class Argon2idScheme:
    """argon2id through argon2-cffi (the reference C implementation), OWASP parameters by default."""

    name = "argon2id"

    def __init__(
        self,
        *,
        memory_cost: int = 19_456,
        time_cost: int = 2,
        parallelism: int = 1,
        hash_len: int = 32,
        salt_len: int = 16,
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=hash_len,
            salt_len=salt_len,
            type=argon2.Type.ID,
        )

    def __repr__(self) -> str:
        h = self._hasher
        return (
            f"Argon2idScheme(memory_cost={h.memory_cost}, time_cost={h.time_cost}, "
            f"parallelism={h.parallelism})"
        )

    def hash(self, password: Password) -> str:
        return self._hasher.hash(_to_bytes(password))

    def identifies(self, encoded: str) -> bool:
        return encoded.startswith("$argon2id$")

    def verify(self, password: Password, encoded: str) -> bool:
        try:
            # argon2-cffi compares in constant time inside libargon2.
            return self._hasher.verify(encoded, _to_bytes(password))
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError) as exc:
            raise InvalidPasswordHash(f"corrupt argon2id hash ({exc or 'cannot be decoded'})") from None

    def needs_rehash(self, encoded: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(encoded)
        except InvalidHashError:
            raise InvalidPasswordHash("corrupt argon2id hash (its parameters cannot be read)") from None


_SCRYPT_HASH = re.compile(
    r"\$scrypt\$ln=(?P<ln>[0-9]{1,2}),r=(?P<r>[0-9]{1,3}),p=(?P<p>[0-9]{1,3})"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)"
)

# A stored hash cannot make verification allocate more than this (ln=20, r=8 needs 1 GiB).
SCRYPT_MAX_MEMORY = 1 << 30


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _scrypt_memory(log_n: int, r: int, p: int) -> int:
    # What OpenSSL asks for: 128 * r * (N + p + 2) bytes, plus slack for its own bookkeeping.
    return 128 * r * ((1 << log_n) + p + 2) + (1 << 20)


class ScryptScheme:
    """scrypt through OpenSSL (``hashlib.scrypt``), stored as ``$scrypt$ln=,r=,p=$salt$hash``."""

    name = "scrypt"

    def __init__(
        self, *, log_n: int = 17, r: int = 8, p: int = 1, salt_len: int = 16, hash_len: int = 32
    ) -> None:
        if not 1 <= log_n <= 30 or r < 1 or p < 1:
            raise ValueError(f"scrypt needs 1 <= log_n <= 30, r >= 1, p >= 1 (got {log_n=}, {r=}, {p=})")
        if _scrypt_memory(log_n, r, p) > SCRYPT_MAX_MEMORY:
            raise ValueError(f"scrypt with {log_n=}, {r=} needs more than 1 GiB per hash; lower log_n or r")
        self.log_n, self.r, self.p = log_n, r, p
        self.salt_len, self.hash_len = salt_len, hash_len

    def __repr__(self) -> str:
        return f"ScryptScheme(log_n={self.log_n}, r={self.r}, p={self.p})"

    def _derive(self, password: bytes, salt: bytes, log_n: int, r: int, p: int, length: int) -> bytes:
        return hashlib.scrypt(
            password, salt=salt, n=1 << log_n, r=r, p=p, dklen=length, maxmem=_scrypt_memory(log_n, r, p)
        )

    def hash(self, password: Password) -> str:
        salt = secrets.token_bytes(self.salt_len)
        derived = self._derive(_to_bytes(password), salt, self.log_n, self.r, self.p, self.hash_len)
        return f"$scrypt$ln={self.log_n},r={self.r},p={self.p}${_b64encode(salt)}${_b64encode(derived)}"

    def identifies(self, encoded: str) -> bool:
        return encoded.startswith("$scrypt$")

    def _parse(self, encoded: str) -> tuple[int, int, int, bytes, bytes]:
        match = _SCRYPT_HASH.fullmatch(encoded)
        if match is None:
            raise InvalidPasswordHash("corrupt scrypt hash (expected $scrypt$ln=N,r=N,p=N$salt$hash)")
        log_n, r, p = int(match["ln"]), int(match["r"]), int(match["p"])
        if not 1 <= log_n <= 30 or r < 1 or p < 1 or _scrypt_memory(log_n, r, p) > SCRYPT_MAX_MEMORY:
            raise InvalidPasswordHash(f"scrypt hash with unusable parameters ln={log_n}, r={r}, p={p}")
        try:
            salt, expected = _b64decode(match["salt"]), _b64decode(match["hash"])
        except (binascii.Error, ValueError):
            raise InvalidPasswordHash("corrupt scrypt hash (salt or hash is not base64)") from None
        if not expected:
            raise InvalidPasswordHash("corrupt scrypt hash (empty hash)")
        return log_n, r, p, salt, expected

    def verify(self, password: Password, encoded: str) -> bool:
        log_n, r, p, salt, expected = self._parse(encoded)
        derived = self._derive(_to_bytes(password), salt, log_n, r, p, len(expected))
        return hmac.compare_digest(derived, expected)

    def needs_rehash(self, encoded: str) -> bool:
        log_n, r, p, salt, expected = self._parse(encoded)
        current = (self.log_n, self.r, self.p, self.salt_len, self.hash_len)
        return (log_n, r, p, len(salt), len(expected)) != current


class PasswordHasher:
    """Hashes with the first scheme, verifies hashes of any of them, and says when to upgrade.

    ``PasswordHasher()`` is argon2id with scrypt still readable;
    ``PasswordHasher([ScryptScheme(), Argon2idScheme()])`` prefers scrypt instead.
    """

    def __init__(self, schemes: Optional[Sequence[PasswordScheme]] = None) -> None:
        self.schemes: tuple[PasswordScheme, ...] = (
            tuple(schemes) if schemes is not None else (Argon2idScheme(), ScryptScheme())
        )
        if not self.schemes:
            raise ValueError("PasswordHasher needs at least one scheme")
        self.preferred = self.schemes[0]

    def __repr__(self) -> str:
        return f"PasswordHasher({list(self.schemes)!r})"

    def scheme_for(self, encoded: str) -> PasswordScheme:
        """The scheme that wrote ``encoded``, or InvalidPasswordHash naming the ones configured."""
        for scheme in self.schemes:
            if scheme.identifies(encoded):
                return scheme
        names = ", ".join(s.name for s in self.schemes)
        raise InvalidPasswordHash(f"unrecognised password hash format (this hasher reads {names})")

    def hash(self, password: Password) -> str:
        return self.preferred.hash(password)

    @functools.cached_property
    def _dummy_hash(self) -> str:
        return self.preferred.hash(secrets.token_bytes(16))

    def verify(self, password: Password, encoded: Optional[str]) -> bool:
        """True when ``password`` matches ``encoded``.

        Pass ``None`` when there is no stored hash (unknown user, password login disabled): a full
        hash is still computed against a dummy, so the time taken does not tell an attacker
        whether the account exists. A corrupt hash also costs that time, then raises
        InvalidPasswordHash.
        """
        if encoded is None:
            self.preferred.verify(password, self._dummy_hash)
            return False
        try:
            return self.scheme_for(encoded).verify(password, encoded)
        except InvalidPasswordHash:
            self.preferred.verify(password, self._dummy_hash)
            raise

    def needs_rehash(self, encoded: str) -> bool:
        """True when ``encoded`` is not the preferred scheme with the current parameters."""
        scheme = self.scheme_for(encoded)
        return scheme is not self.preferred or scheme.needs_rehash(encoded)

    def verify_and_update(self, password: Password, encoded: Optional[str]) -> tuple[bool, Optional[str]]:
        """``(matches, new_hash)``: ``new_hash`` is set when the login succeeded with an outdated hash.

        Store ``new_hash`` in place of the old one; this is how parameters are upgraded, since
        the plain password is only available at login.
        """
        if not self.verify(password, encoded) or encoded is None:
            return False, None
        return True, (self.hash(password) if self.needs_rehash(encoded) else None)

    async def ahash(self, password: Password) -> str:
        """``hash`` in a worker thread, leaving the event loop free."""
        return await asyncio.to_thread(self.hash, password)

    async def averify(self, password: Password, encoded: Optional[str]) -> bool:
        """``verify`` in a worker thread, leaving the event loop free."""
        return await asyncio.to_thread(self.verify, password, encoded)

    async def averify_and_update(
        self, password: Password, encoded: Optional[str]
    ) -> tuple[bool, Optional[str]]:
        """``verify_and_update`` in a worker thread, leaving the event loop free."""
        return await asyncio.to_thread(self.verify_and_update, password, encoded)
