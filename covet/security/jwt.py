"""JSON Web Tokens (JWS compact serialisation) signed and checked by PyJWT, with a framework's rules on top.

PyJWT does the JOSE work (base64url, the signature algorithms, its own key-confusion guards).
This module decides which key and algorithm a token may use and what its claims must say:

* the ``kid`` in the header picks a key from the KeySet (a dictionary lookup; an unknown kid is
  refused) and that key's own allow-list decides the algorithm: ``alg: none``, an algorithm the
  key was not built for, or an HMAC token checked against an RSA public key never verify;
* ``exp``, ``nbf`` and ``iat`` are checked with a leeway against an injectable clock; ``aud`` and
  ``iss`` against the expected values; required claims must be present.

::

    codec = JWTCodec(KeySet([Key.generate("ES256", kid="k1")]), issuer="https://api.example.com",
                     audience="https://api.example.com", leeway=30)
    token = codec.encode({"sub": "42"}, expires_in=900)
    claims = codec.decode(token)          # InvalidToken / ExpiredToken / TokenNotYetValid otherwise
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping
from datetime import timedelta
from typing import Any, Optional, Union

from jwt.api_jws import PyJWS
from jwt.exceptions import DecodeError, InvalidSignatureError, PyJWTError

from covet.security.errors import ExpiredToken, InvalidToken, TokenNotYetValid
from covet.security.keys import SUPPORTED_ALGORITHMS, Key, KeySet

__all__ = ["MAX_TOKEN_LENGTH", "JWTCodec", "Seconds", "to_seconds"]

# Longer "tokens" are refused before any parsing: a JWT in a header or cookie is far smaller.
MAX_TOKEN_LENGTH = 16_384

Seconds = Union[float, timedelta]


def to_seconds(value: Seconds) -> float:
    """Seconds as a float, from a number or a timedelta."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _numeric(claims: Mapping[str, Any], name: str) -> Optional[float]:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidToken(f"the {name} claim must be a number of seconds since the epoch")
    return float(value)


def _audiences(audience: Union[str, Collection[str], None]) -> frozenset[str]:
    if audience is None:
        return frozenset()
    return frozenset([audience] if isinstance(audience, str) else audience)


class JWTCodec:
    """Encodes and decodes JWTs against one KeySet with fixed expectations about the claims.

    ``issuer`` is written into new tokens and required of decoded ones; ``audience`` (one value
    or several) likewise — a decoded token must name at least one of them. ``require`` lists
    claims that must be present (``exp`` by default: a token without it never expires).
    ``leeway`` absorbs clock skew between issuer and verifier. ``clock`` returns Unix seconds.
    """

    def __init__(
        self,
        keys: Union[KeySet, Key],
        *,
        issuer: Optional[str] = None,
        audience: Union[str, Collection[str], None] = None,
        leeway: Seconds = 0,
        require: Collection[str] = ("exp",),
        default_expires_in: Optional[Seconds] = timedelta(minutes=15),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys if isinstance(keys, KeySet) else KeySet([keys])
        self.issuer = issuer
        self.audience = _audiences(audience)
        self.leeway = to_seconds(leeway)
        self.require = frozenset(require)
        self.default_expires_in = None if default_expires_in is None else to_seconds(default_expires_in)
        self.clock = clock
        self._jws = PyJWS()

    def __repr__(self) -> str:
        return f"JWTCodec(issuer={self.issuer!r}, audience={sorted(self.audience)!r}, keys={self.keys!r})"

    def encode(
        self,
        claims: Mapping[str, Any],
        *,
        expires_in: Optional[Seconds] = None,
        headers: Optional[Mapping[str, Any]] = None,
    ) -> str:
        """A signed token with ``iat`` (and ``exp``, ``iss``, ``aud`` unless ``claims`` set them).

        ``expires_in`` defaults to ``default_expires_in`` (15 minutes). The signing key's kid and
        algorithm go into the header; ``headers`` may add others (``typ``, ``cty``).
        """
        key = self.keys.signing_key
        if key.signing_material is None:
            raise ValueError(f"key {key.kid!r} is a public key and cannot sign")
        now = int(self.clock())
        payload: dict[str, Any] = {"iat": now}
        lifetime = self.default_expires_in if expires_in is None else to_seconds(expires_in)
        if lifetime is not None:
            payload["exp"] = now + int(lifetime)
        if self.issuer is not None:
            payload["iss"] = self.issuer
        if self.audience:
            payload["aud"] = next(iter(self.audience)) if len(self.audience) == 1 else sorted(self.audience)
        payload.update(claims)
        header = {"typ": "JWT", **(headers or {}), "kid": key.kid}
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return self._jws.encode(body, key.signing_material, algorithm=key.algorithm, headers=header)

    def decode(
        self,
        token: Union[str, bytes],
        *,
        audience: Union[str, Collection[str], None] = None,
        issuer: Optional[str] = None,
        require: Collection[str] = (),
    ) -> dict[str, Any]:
        """The verified claims of ``token``, or InvalidToken (ExpiredToken, TokenNotYetValid) saying why.

        ``audience`` and ``issuer`` override the codec's for this call; ``require`` adds claims.
        """
        header, key = self._header_and_key(token)
        try:
            verified = self._jws.decode_complete(token, key.verifying_material, algorithms=[header["alg"]])
        except InvalidSignatureError:
            raise InvalidToken("token signature does not verify") from None
        except PyJWTError as exc:
            raise InvalidToken(f"malformed token ({exc})") from None
        try:
            claims = json.loads(verified["payload"])
        except ValueError:
            raise InvalidToken("malformed token (the payload is not JSON)") from None
        if not isinstance(claims, dict):
            raise InvalidToken("malformed token (the payload is not a JSON object)")
        self._check_claims(
            claims,
            audience=self.audience if audience is None else _audiences(audience),
            issuer=self.issuer if issuer is None else issuer,
            require=self.require | frozenset(require),
        )
        return claims

    def _header_and_key(self, token: Union[str, bytes]) -> tuple[dict[str, Any], Key]:
        if not isinstance(token, (str, bytes)) or not token:
            raise InvalidToken("no token")
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken(f"token longer than {MAX_TOKEN_LENGTH} bytes")
        try:
            header = self._jws.get_unverified_header(token)
        except DecodeError as exc:
            raise InvalidToken(f"malformed token ({exc})") from None
        except PyJWTError as exc:
            raise InvalidToken(f"token header refused ({exc})") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg.lower() == "none":
            raise InvalidToken("unsigned tokens (alg 'none') are refused")
        if alg not in SUPPORTED_ALGORITHMS:
            raise InvalidToken(f"token algorithm {alg!r} is not accepted")
        kid = header.get("kid")
        key: Optional[Key]
        if kid is None:
            # Only unambiguous: a set of exactly one key.
            key = next(iter(self.keys)) if len(self.keys) == 1 else None
            if key is None:
                raise InvalidToken("token has no kid and the key set holds several keys")
        else:
            key = self.keys.get(kid)
            if key is None:
                raise InvalidToken("token kid names no known key")
        if alg not in key.algorithms:
            raise InvalidToken(f"token algorithm {alg} is not allowed for key {key.kid!r}")
        return header, key

    def _check_claims(
        self,
        claims: Mapping[str, Any],
        *,
        audience: frozenset[str],
        issuer: Optional[str],
        require: frozenset[str],
    ) -> None:
        missing = sorted(name for name in require if name not in claims)
        if missing:
            raise InvalidToken(f"token lacks required claim(s): {', '.join(missing)}")
        now = self.clock()
        expires, not_before, issued = (_numeric(claims, name) for name in ("exp", "nbf", "iat"))
        if expires is not None and now >= expires + self.leeway:
            raise ExpiredToken(f"token expired {now - expires:.0f} s ago (leeway {self.leeway:g} s)")
        if not_before is not None and now < not_before - self.leeway:
            raise TokenNotYetValid(f"token not valid for another {not_before - now:.0f} s (nbf)")
        if issued is not None and now < issued - self.leeway:
            raise TokenNotYetValid(f"token issued {issued - now:.0f} s in the future (iat)")
        if issuer is not None and claims.get("iss") != issuer:
            raise InvalidToken("token issuer (iss) is not the expected one")
        self._check_audience(claims, audience)

    @staticmethod
    def _check_audience(claims: Mapping[str, Any], expected: frozenset[str]) -> None:
        if "aud" not in claims:
            if expected:
                raise InvalidToken("token has no audience (aud) claim")
            return
        aud = claims["aud"]
        values = [aud] if isinstance(aud, str) else aud
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidToken("the aud claim must be a string or a list of strings")
        if not expected:
            # RFC 7519 4.1.3: a recipient that does not identify with the audience must reject.
            raise InvalidToken("token is meant for an audience, and this codec expects none")
        if expected.isdisjoint(values):
            raise InvalidToken("token audience (aud) is not this service")
