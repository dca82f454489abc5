"""Sessions kept whole in the cookie: signed with HMAC-SHA256, or encrypted with AES-GCM.

::

    CookieBackend(settings.signing_secret())                       # signed: readable, not forgeable
    CookieBackend([new_key, old_key], encrypt=True)                # encrypted, with a key rotation

Signed, the cookie is ``1.<payload>.<tag>``: the client can read (base64 of JSON) but not alter
its session. Encrypted, it is ``2.<nonce + ciphertext>`` (AES-256-GCM, a random 96-bit nonce per
cookie): the client can do neither. The first key signs or encrypts; every key verifies, so a
key is rotated by putting the new one first and dropping the old one once its cookies have
expired; a cookie read with an old key (or in the other format) is written again with the
current one. Keys are never used as they are: HKDF derives one per purpose from each secret.

What a cookie cannot do: forget itself. A copied cookie stays valid until ``max_age`` (or the
idle timeout) ends it, even after ``session.clear()``; when logging out must end a session
everywhere, use a server-side store (``covet.security.session_stores``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence
from typing import Any, Optional, Union

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from covet.security.secrets import Secret
from covet.security.sessions import SessionRecord

__all__ = ["MAX_COOKIE_BYTES", "CookieBackend", "SessionTooLarge", "derive_key"]

#: Browsers keep cookies up to 4096 bytes, name and attributes included: leave room for those.
MAX_COOKIE_BYTES = 3800
_SIGNED, _ENCRYPTED = "1", "2"
_NONCE_BYTES = 12
_AAD = b"covet.session"

KeyMaterial = Union[str, bytes, Secret]


class SessionTooLarge(ValueError):
    """The session does not fit in a cookie."""


def derive_key(secret: KeyMaterial, purpose: str) -> bytes:
    """A 256-bit key for ``purpose`` (``"covet.session.hmac"``, ...) derived from ``secret`` (HKDF-SHA256)."""
    material = secret.encode() if isinstance(secret, (str, Secret)) else bytes(secret)
    if not material:
        raise ValueError("a session key must not be empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode("ascii"))
    return hkdf.derive(material)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CookieBackend:
    """A SessionBackend whose store is the cookie itself; see the module docstring."""

    def __init__(self, keys: Union[KeyMaterial, Sequence[KeyMaterial]], *, encrypt: bool = False) -> None:
        secrets_ = [keys] if isinstance(keys, (str, bytes, Secret)) else list(keys)
        if not secrets_:
            raise ValueError("CookieBackend needs at least one key")
        self.encrypt = encrypt
        self._mac_keys = [derive_key(k, "covet.session.hmac") for k in secrets_]
        self._ciphers = [AESGCM(derive_key(k, "covet.session.aes-gcm")) for k in secrets_]

    def __repr__(self) -> str:
        return f"CookieBackend({len(self._mac_keys)} key(s), encrypt={self.encrypt})"

    async def load(self, cookie: str) -> Optional[SessionRecord]:
        version, _, rest = cookie.partition(".")
        try:
            if version == _SIGNED:
                found = self._verify(rest)
            elif version == _ENCRYPTED:
                found = self._decrypt(rest)
            else:
                return None
        except (binascii.Error, ValueError):
            return None
        if found is None:
            return None
        payload, key_index = found
        record = _record(payload)
        if record is None:
            return None
        current_format = (version == _ENCRYPTED) == self.encrypt
        if key_index or not current_format:
            return SessionRecord(record.id, record.data, record.created_at, record.touched_at, stale=True)
        return record

    async def save(self, record: SessionRecord, ttl: float) -> str:
        try:
            payload = orjson.dumps(
                {"i": record.id, "c": record.created_at, "t": record.touched_at, "d": record.data}
            )
        except TypeError as exc:
            raise TypeError(f"session values must be JSON (str, numbers, lists, dicts...): {exc}") from None
        if self.encrypt:
            nonce = os.urandom(_NONCE_BYTES)
            value = f"{_ENCRYPTED}.{_b64(nonce + self._ciphers[0].encrypt(nonce, payload, _AAD))}"
        else:
            signed = f"{_SIGNED}.{_b64(payload)}"
            value = f"{signed}.{_b64(self._tag(self._mac_keys[0], signed))}"
        if len(value) > MAX_COOKIE_BYTES:
            raise SessionTooLarge(
                f"the session is {len(value)} bytes as a cookie, more than the {MAX_COOKIE_BYTES} a "
                "browser keeps; store less in it (ids, not objects) or use a server-side session store"
            )
        return value

    async def delete(self, session_id: str) -> None:
        """Nothing to delete: the cookie held the whole session, and the middleware drops it."""

    @staticmethod
    def _tag(key: bytes, signed: str) -> bytes:
        return hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest()

    def _verify(self, rest: str) -> Optional[tuple[bytes, int]]:
        encoded, _, tag = rest.partition(".")
        # The tags are compared as text: base64 that decodes alike but reads differently is refused.
        given = tag.encode("ascii")
        signed = f"{_SIGNED}.{encoded}"
        for index, key in enumerate(self._mac_keys):
            if hmac.compare_digest(_b64(self._tag(key, signed)).encode("ascii"), given):
                return _unb64(encoded), index
        return None

    def _decrypt(self, rest: str) -> Optional[tuple[bytes, int]]:
        blob = _unb64(rest)
        if len(blob) <= _NONCE_BYTES or _b64(blob) != rest:
            return None
        nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        for index, cipher in enumerate(self._ciphers):
            try:
                return cipher.decrypt(nonce, ciphertext, _AAD), index
            except InvalidTag:
                continue
        return None


def _record(payload: bytes) -> Optional[SessionRecord]:
    """The record a verified payload holds, or None when its shape is not one this module writes."""
    try:
        data: Any = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    session_id, created, touched, values = data.get("i"), data.get("c"), data.get("t"), data.get("d")
    if not isinstance(session_id, str) or not isinstance(values, dict):
        return None
    if not isinstance(created, (int, float)) or not isinstance(touched, (int, float)):
        return None
    return SessionRecord(session_id, values, float(created), float(touched))
