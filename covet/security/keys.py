"""Signing keys for JWTs: each key names the algorithms it may be used with, and a KeySet holds them by kid.

The algorithm of a token is decided by the key, never by the token: a key built for RS256
verifies RS256 signatures only, so a token whose header says ``HS256`` (an attacker using the
RSA public key as an HMAC secret) or ``none`` finds no key that accepts it. A ``kid`` is only
ever looked up in the set's own dictionary: it is never a path, a URL or a query.

::

    keys = KeySet([Key.generate("EdDSA", kid="2025-01")])
    keys.rotate(Key.generate("EdDSA", kid="2025-07"))   # signs from now on; 2025-01 still verifies
    keys.retire("2025-01")                              # once its last token has expired
    keys.jwks()                                         # {"keys": [...]} for /.well-known/jwks.json
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Optional, Union, get_args

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt.algorithms import get_default_algorithms
from jwt.api_jwk import PyJWK
from jwt.exceptions import PyJWTError

__all__ = ["SUPPORTED_ALGORITHMS", "Key", "KeySet", "jwk_thumbprint"]

# What each algorithm needs of its key; anything else PyJWT knows is refused.
_HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}  # RFC 7518 3.2: at least the hash size
_ASYMMETRIC = {"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}
SUPPORTED_ALGORITHMS = frozenset(_HMAC_MIN_BYTES) | frozenset(_ASYMMETRIC)

_RSA_MIN_BITS = 2048
_ALGORITHMS = get_default_algorithms()

PrivateKey = Union[
    rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey
]
PublicKey = Union[rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey, ed448.Ed448PublicKey]


def _key_family(material: Any) -> str:
    if isinstance(material, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "RSA"
    if isinstance(material, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return "EC"
    okp = (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey, ed448.Ed448PrivateKey, ed448.Ed448PublicKey)
    if isinstance(material, okp):
        return "OKP"
    if isinstance(material, bytes):
        return "oct"
    raise TypeError(f"unsupported key material {type(material).__name__}")


def _check_fits(algorithm: str, material: Any, kid: str) -> None:
    """Raise ValueError unless ``material`` is a key ``algorithm`` may be used with."""
    if algorithm not in SUPPORTED_ALGORITHMS:
        supported = ", ".join(sorted(SUPPORTED_ALGORITHMS))
        raise ValueError(f"key {kid!r}: algorithm {algorithm!r} is not supported (use one of {supported})")
    family = _key_family(material)
    if algorithm in _HMAC_MIN_BYTES:
        if family != "oct":
            raise ValueError(f"key {kid!r}: {algorithm} needs a shared secret, not an {family} key")
        if len(material) < _HMAC_MIN_BYTES[algorithm]:
            raise ValueError(
                f"key {kid!r}: an {algorithm} secret needs at least {_HMAC_MIN_BYTES[algorithm]} bytes "
                f"(RFC 7518 section 3.2), got {len(material)}; generate one with secrets.token_bytes(64)"
            )
        try:
            # PyJWT's own guard: PEM, SSH, DER or JWK text used as an HMAC secret (key confusion).
            _ALGORITHMS[algorithm].prepare_key(material)
        except PyJWTError as exc:
            raise ValueError(f"key {kid!r}: {exc}") from None
        return
    if family != _ASYMMETRIC[algorithm]:
        raise ValueError(f"key {kid!r}: {algorithm} needs an {_ASYMMETRIC[algorithm]} key, not {family}")
    if family == "RSA" and material.key_size < _RSA_MIN_BITS:
        raise ValueError(f"key {kid!r}: RSA keys need at least {_RSA_MIN_BITS} bits, got {material.key_size}")
    if family == "EC" and not isinstance(material.curve, ec.SECP256R1):
        raise ValueError(f"key {kid!r}: ES256 needs a P-256 key, not {material.curve.name}")


class Key:
    """One key with the algorithms it is allowed to sign and verify with.

    ``signing_material`` is the HMAC secret or the private key (None for a verify-only public
    key); ``verifying_material`` the secret or the public key. Build one with the class methods.
    """

    __slots__ = ("algorithm", "algorithms", "kid", "signing_material", "verifying_material")

    def __init__(
        self,
        kid: str,
        algorithm: str,
        *,
        signing_material: Union[bytes, PrivateKey, None],
        verifying_material: Union[bytes, PublicKey],
        algorithms: Optional[Iterable[str]] = None,
    ) -> None:
        if not isinstance(kid, str) or not kid:
            raise ValueError("a key's kid must be a non-empty string")
        self.kid = kid
        self.algorithm = algorithm
        self.algorithms = frozenset(algorithms) if algorithms is not None else frozenset({algorithm})
        if algorithm not in self.algorithms:
            raise ValueError(f"key {kid!r}: its signing algorithm {algorithm} must be among its algorithms")
        for name in self.algorithms:
            _check_fits(name, verifying_material, kid)
        self.signing_material = signing_material
        self.verifying_material = verifying_material

    def __repr__(self) -> str:
        # Never the material: a repr ends up in logs and tracebacks.
        kind = "symmetric" if self.is_symmetric else ("private" if self.can_sign else "public")
        return f"Key(kid={self.kid!r}, algorithms={sorted(self.algorithms)!r}, {kind})"

    @property
    def is_symmetric(self) -> bool:
        return isinstance(self.verifying_material, bytes)

    @property
    def can_sign(self) -> bool:
        return self.signing_material is not None

    @classmethod
    def hmac(cls, secret: Union[str, bytes], *, kid: str, algorithm: str = "HS256") -> Key:
        """A shared-secret key (HS256/384/512); ``secret`` must be at least the hash size."""
        material = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if algorithm not in _HMAC_MIN_BYTES:
            raise ValueError(f"key {kid!r}: Key.hmac is for HS256, HS384 or HS512, not {algorithm!r}")
        return cls(kid, algorithm, signing_material=material, verifying_material=material)

    @classmethod
    def from_private(cls, private_key: PrivateKey, *, kid: str, algorithm: str) -> Key:
        return cls(kid, algorithm, signing_material=private_key, verifying_material=private_key.public_key())

    @classmethod
    def from_public(cls, public_key: PublicKey, *, kid: str, algorithm: str) -> Key:
        return cls(kid, algorithm, signing_material=None, verifying_material=public_key)

    @classmethod
    def from_pem(
        cls, pem: Union[str, bytes], *, kid: str, algorithm: str, password: Optional[bytes] = None
    ) -> Key:
        """A key from PEM text: a private key (signs and verifies) or a public key (verifies)."""
        data = pem.encode("ascii") if isinstance(pem, str) else pem
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=password)
            if not isinstance(private, get_args(PrivateKey)):
                raise ValueError(f"key {kid!r}: {type(private).__name__} cannot sign JWTs")
            return cls.from_private(private, kid=kid, algorithm=algorithm)
        public = serialization.load_pem_public_key(data)
        if not isinstance(public, get_args(PublicKey)):
            raise ValueError(f"key {kid!r}: {type(public).__name__} cannot verify JWTs")
        return cls.from_public(public, kid=kid, algorithm=algorithm)

    @classmethod
    def generate(cls, algorithm: str, *, kid: str, rsa_key_size: int = 2048) -> Key:
        """A fresh random key for ``algorithm``: RSA (2048 bits), P-256, Ed25519, or a 64-byte secret."""
        if algorithm in _HMAC_MIN_BYTES:
            return cls.hmac(secrets.token_bytes(64), kid=kid, algorithm=algorithm)
        private: PrivateKey
        if algorithm == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=rsa_key_size)
        elif algorithm == "ES256":
            private = ec.generate_private_key(ec.SECP256R1())
        elif algorithm == "EdDSA":
            private = ed25519.Ed25519PrivateKey.generate()
        else:
            supported = ", ".join(sorted(SUPPORTED_ALGORITHMS))
            raise ValueError(f"cannot generate a key for {algorithm!r}; supported: {supported}")
        return cls.from_private(private, kid=kid, algorithm=algorithm)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], *, allow_symmetric: bool = False) -> Key:
        """A verify-only key from a public JWK (RFC 7517); ``alg`` comes from the JWK or its key type.

        Symmetric (``oct``) JWKs are refused unless ``allow_symmetric``: a published key set
        holding a shared secret is a misconfiguration that would let anyone sign tokens.
        """
        data = dict(jwk)
        if data.get("kty") == "oct" and not allow_symmetric:
            raise ValueError("a symmetric (oct) JWK is not accepted from a key set")
        if "d" in data:
            raise ValueError("the JWK holds a private key; a key set must only publish public keys")
        try:
            parsed = PyJWK(data)
        except PyJWTError as exc:
            raise ValueError(f"unusable JWK: {exc}") from None
        kid = data.get("kid") or jwk_thumbprint(data)
        if not isinstance(kid, str):
            raise ValueError("a JWK's kid must be a string")
        if isinstance(parsed.key, bytes):
            return cls.hmac(parsed.key, kid=kid, algorithm=parsed.algorithm_name)
        return cls.from_public(parsed.key, kid=kid, algorithm=parsed.algorithm_name)

    def public_jwk(self) -> dict[str, Any]:
        """This key's public half as a JWK with ``kid``, ``alg`` and ``use``; refused for secrets."""
        if self.is_symmetric:
            raise ValueError(f"key {self.kid!r} is a shared secret and must never be published")
        jwk: dict[str, Any] = _ALGORITHMS[self.algorithm].to_jwk(self.verifying_material, as_dict=True)
        jwk.update(kid=self.kid, alg=self.algorithm, use="sig")
        return jwk


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a JWK (base64url), a stable id for a key without a kid."""
    members = {
        "RSA": ("e", "kty", "n"),
        "EC": ("crv", "kty", "x", "y"),
        "OKP": ("crv", "kty", "x"),
        "oct": ("k", "kty"),
    }.get(str(jwk.get("kty")))
    if members is None or any(m not in jwk for m in members):
        raise ValueError(f"cannot compute a thumbprint for a JWK with kty {jwk.get('kty')!r}")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class KeySet:
    """Keys by kid, one of which signs; the others still verify tokens they signed earlier."""

    def __init__(self, keys: Iterable[Key] = (), *, signing_kid: Optional[str] = None) -> None:
        self._keys: dict[str, Key] = {}
        self._signing_kid: Optional[str] = None
        for key in keys:
            self.add(key)
        if signing_kid is not None:
            self.use_for_signing(signing_kid)
        elif self._signing_kid is None:
            self._signing_kid = next((k.kid for k in self._keys.values() if k.can_sign), None)

    def __repr__(self) -> str:
        return f"KeySet({list(self._keys.values())!r}, signing_kid={self._signing_kid!r})"

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[Key]:
        return iter(self._keys.values())

    def __contains__(self, kid: object) -> bool:
        return isinstance(kid, str) and kid in self._keys

    def add(self, key: Key) -> None:
        if key.kid in self._keys:
            raise ValueError(f"the key set already holds a key with kid {key.kid!r}")
        self._keys[key.kid] = key

    def get(self, kid: str) -> Optional[Key]:
        """The key with this kid, or None: a plain dictionary lookup, nothing else."""
        return self._keys.get(kid) if isinstance(kid, str) else None

    def use_for_signing(self, kid: str) -> None:
        key = self._keys.get(kid)
        if key is None:
            raise KeyError(f"no key with kid {kid!r} in the key set")
        if not key.can_sign:
            raise ValueError(f"key {kid!r} is a public key only and cannot sign")
        self._signing_kid = kid

    def rotate(self, key: Key) -> None:
        """Add ``key`` and sign with it from now on; earlier keys keep verifying until retired."""
        self.add(key)
        self.use_for_signing(key.kid)

    def retire(self, kid: str) -> None:
        """Drop a key: tokens it signed stop verifying. The signing key cannot be retired."""
        if kid == self._signing_kid:
            raise ValueError(f"key {kid!r} signs new tokens; rotate to another key before retiring it")
        if self._keys.pop(kid, None) is None:
            raise KeyError(f"no key with kid {kid!r} in the key set")

    @property
    def signing_key(self) -> Key:
        if self._signing_kid is None:
            raise ValueError("the key set has no key that can sign (only public keys)")
        return self._keys[self._signing_kid]

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JWKS document (RFC 7517 section 5) of the public keys; shared secrets are left out."""
        return {"keys": [key.public_jwk() for key in self._keys.values() if not key.is_symmetric]}

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any]) -> KeySet:
        """Verify-only keys from a provider's JWKS document.

        Keys this module cannot verify with are skipped rather than failing the whole set (a
        provider may publish encryption keys or newer algorithms beside its signing keys), and
        so are shared secrets and private keys, which a published set must never hold.
        """
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise ValueError("a JWKS document is an object with a 'keys' list")
        keys: dict[str, Key] = {}
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = Key.from_jwk(entry)
            except ValueError:
                continue
            keys.setdefault(key.kid, key)
        return cls(keys.values())
