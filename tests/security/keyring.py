"""Keys generated once per test session (RSA generation is slow) and a hand-rolled token forger.

The forger builds compact JWS tokens without PyJWT's guards, the way an attacker would, so
the tests can present ``alg: none`` and key-confusion tokens to the decoder.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from typing import Any

from covet.security.keys import Key


@functools.cache
def key(algorithm: str, kid: str = "") -> Key:
    return Key.generate(algorithm, kid=kid or f"{algorithm.lower()}-1")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def forge(header: dict[str, Any], claims: dict[str, Any], *, hmac_secret: bytes | None = None) -> str:
    """A token with any header; signed with HMAC-SHA256 over ``hmac_secret``, or unsigned."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if hmac_secret is None:
        return signing_input + "."
    signature = hmac.new(hmac_secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"
