"""One-time passwords: HOTP (RFC 4226), TOTP (RFC 6238), replay protection and recovery codes.

The code generation is ``cryptography``'s two-factor primitives; this module adds what a login
flow needs around them::

    secret = generate_secret()                           # store it with the user (base32 text)
    uri = TOTP(secret).provisioning_uri("ada@example.com", issuer="Example")   # show as QR code
    verifier = TOTPVerifier(RedisKeySet(redis, prefix="covet:otp:"))
    if await verifier.verify(user_id, TOTP(secret), code): ...

``TOTPVerifier`` accepts a code once per user and time step (RFC 6238 section 5.2), across
every worker sharing the key set. Six digits are guessable at scale: rate-limit the endpoint
that calls it (``covet.security.ratelimit``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Literal, NamedTuple, Optional, Union
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives.hashes import SHA1, SHA256, SHA512
from cryptography.hazmat.primitives.twofactor.hotp import HOTP as _HOTP
from cryptography.hazmat.primitives.twofactor.hotp import HOTPHashTypes

from covet.security.stores import ExpiringKeySet

__all__ = [
    "HOTP",
    "TOTP",
    "OTPAlgorithm",
    "RecoveryCodes",
    "TOTPVerifier",
    "consume_recovery_code",
    "generate_recovery_codes",
    "generate_secret",
    "hash_recovery_code",
]

OTPAlgorithm = Literal["SHA1", "SHA256", "SHA512"]

_HASHES: dict[str, Callable[[], HOTPHashTypes]] = {"SHA1": SHA1, "SHA256": SHA256, "SHA512": SHA512}
# RFC 4226 section 4 asks for at least 128 bits and recommends 160; RFC 6238's vectors use the
# digest size of each hash, which is what authenticator apps generate too.
_SECRET_BYTES = {"SHA1": 20, "SHA256": 32, "SHA512": 64}


def generate_secret(algorithm: OTPAlgorithm = "SHA1") -> str:
    """A random key as the digest size of ``algorithm``, in unpadded base32 (what apps expect)."""
    return base64.b32encode(secrets.token_bytes(_SECRET_BYTES[algorithm])).decode("ascii").rstrip("=")


def _decode_secret(secret: Union[str, bytes]) -> bytes:
    if isinstance(secret, bytes):
        return secret
    text = secret.replace(" ", "").replace("-", "").upper()
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise ValueError("an OTP secret given as text must be base32 (A-Z, 2-7)") from None


def _normalise_code(code: str, digits: int) -> Optional[bytes]:
    code = code.replace(" ", "")
    if len(code) != digits or not code.isascii() or not code.isdigit():
        return None
    return code.encode("ascii")


class _OneTimePassword:
    """What HOTP and TOTP share: the key, the code format, matching, the Key Uri Format."""

    kind: str

    def __init__(
        self, secret: Union[str, bytes], *, digits: int = 6, algorithm: OTPAlgorithm = "SHA1"
    ) -> None:
        if algorithm not in _HASHES:
            raise ValueError(f"OTP algorithm must be SHA1, SHA256 or SHA512, not {algorithm!r}")
        self.key = _decode_secret(secret)
        self.digits = digits
        self.algorithm = algorithm
        self._hotp = _HOTP(self.key, digits, _HASHES[algorithm]())

    def generate(self, counter: int) -> str:
        """The code for ``counter`` (HOTP) or time step (TOTP)."""
        return self._hotp.generate(counter).decode("ascii")

    def _match(self, code: str, counters: range) -> Optional[int]:
        """The counter in ``counters`` whose code is ``code``; every candidate is compared."""
        candidate = _normalise_code(code, self.digits)
        if candidate is None:
            return None
        matched: Optional[int] = None
        for counter in counters:
            if counter >= 0 and hmac.compare_digest(self._hotp.generate(counter), candidate):
                matched = counter if matched is None else matched
        return matched

    def _uri(self, account: str, issuer: Optional[str], extra: tuple[str, str]) -> str:
        # Key Uri Format: label "Issuer:account", secret unpadded base32, issuer repeated as a parameter.
        label = f"{quote(issuer, safe='')}:{quote(account, safe='')}" if issuer else quote(account, safe="")
        params = [("secret", base64.b32encode(self.key).decode("ascii").rstrip("="))]
        if issuer:
            params.append(("issuer", issuer))
        params += [("algorithm", self.algorithm), ("digits", str(self.digits)), extra]
        return f"otpauth://{self.kind}/{label}?{urlencode(params, quote_via=quote)}"


class HOTP(_OneTimePassword):
    """Counter-based one-time passwords (RFC 4226).

    ``secret`` is base32 text (as stored and shown to the user) or the raw key bytes.
    """

    kind = "hotp"

    def verify(self, code: str, counter: int, *, look_ahead: int = 0) -> Optional[int]:
        """The counter to store next if ``code`` matches ``counter`` .. ``counter + look_ahead``, else None.

        Persist the returned value: it makes every code at or below the matched counter unusable.
        """
        if look_ahead < 0:
            raise ValueError(f"look_ahead must be 0 or more, not {look_ahead}")
        matched = self._match(code, range(counter, counter + look_ahead + 1))
        return None if matched is None else matched + 1

    def provisioning_uri(self, account: str, *, issuer: Optional[str] = None, counter: int = 0) -> str:
        """The ``otpauth://hotp/...`` URI an authenticator app enrols from (usually as a QR code)."""
        return self._uri(account, issuer, ("counter", str(counter)))


class TOTP(_OneTimePassword):
    """Time-based one-time passwords (RFC 6238): HOTP over the step number ``time // period``.

    ``secret`` is base32 text (as stored and shown to the user) or the raw key bytes.
    """

    kind = "totp"

    def __init__(
        self,
        secret: Union[str, bytes],
        *,
        digits: int = 6,
        algorithm: OTPAlgorithm = "SHA1",
        period: int = 30,
    ) -> None:
        super().__init__(secret, digits=digits, algorithm=algorithm)
        if period < 1:
            raise ValueError(f"TOTP period must be at least one second, not {period}")
        self.period = period

    def step(self, at: float) -> int:
        """The time step (RFC 6238's T) that the Unix time ``at`` falls in."""
        return int(at // self.period)

    def now(self, at: Optional[float] = None) -> str:
        """The code for the time ``at`` (Unix seconds; the current time by default)."""
        return self.generate(self.step(time.time() if at is None else at))

    def match_step(self, code: str, *, at: Optional[float] = None, window: int = 1) -> Optional[int]:
        """The time step ``code`` belongs to, within ``window`` steps of ``at`` either side, else None.

        ``window=1`` (the default) accepts the previous and next 30 s too, for clock drift and
        the time the user takes to type. This alone does not stop replays: see TOTPVerifier.
        """
        if window < 0:
            raise ValueError(f"window must be 0 or more steps, not {window}")
        current = self.step(time.time() if at is None else at)
        return self._match(code, range(current - window, current + window + 1))

    def provisioning_uri(self, account: str, *, issuer: Optional[str] = None) -> str:
        """The ``otpauth://totp/...`` URI an authenticator app enrols from (usually as a QR code)."""
        return self._uri(account, issuer, ("period", str(self.period)))


class TOTPVerifier:
    """Checks TOTP codes and accepts each one once per user and time step.

    ``seen`` records ``(user, step)`` pairs until the step has left every window; use a
    RedisKeySet when several workers serve logins, or a code could be replayed on another one.
    """

    def __init__(
        self, seen: ExpiringKeySet, *, window: int = 1, clock: Callable[[], float] = time.time
    ) -> None:
        self.seen = seen
        self.window = window
        self.clock = clock

    async def verify(self, user_id: str, totp: TOTP, code: str) -> bool:
        """True the first time a valid ``code`` is presented for ``user_id``; False for a replay."""
        step = totp.match_step(code, at=self.clock(), window=self.window)
        if step is None:
            return False
        ttl = (2 * self.window + 2) * totp.period
        return await self.seen.add(f"{user_id}:{step}", ttl)


class RecoveryCodes(NamedTuple):
    """``codes`` to show the user once; ``hashes`` to store in their place."""

    codes: list[str]
    hashes: list[str]


_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def _normalise_recovery_code(code: str) -> str:
    return code.replace("-", "").replace(" ", "").lower()


def hash_recovery_code(code: str) -> str:
    """SHA-256 of the normalised code (case, spaces and dashes ignored).

    A fast hash suffices: each code carries 80 random bits, beyond offline brute force.
    """
    return hashlib.sha256(_normalise_recovery_code(code).encode("utf-8")).hexdigest()


def generate_recovery_codes(count: int = 10) -> RecoveryCodes:
    """``count`` single-use codes like ``k3mq-7zpa-x2cd-fw4e`` (80 bits each, from ``secrets``)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return RecoveryCodes(codes, [hash_recovery_code(code) for code in codes])


def consume_recovery_code(code: str, hashes: Sequence[str]) -> Optional[list[str]]:
    """The stored hashes left once ``code`` is used up, or None when it matches none of them.

    Save the returned list in place of the old one (in the same transaction that logs the user
    in, guarded against a concurrent use of the same code): that is what makes a code single-use.
    """
    candidate = hash_recovery_code(code).encode("utf-8")
    matched: Optional[int] = None
    for index, stored in enumerate(hashes):
        if hmac.compare_digest(stored.encode("utf-8"), candidate) and matched is None:
            matched = index
    if matched is None:
        return None
    return [stored for index, stored in enumerate(hashes) if index != matched]
