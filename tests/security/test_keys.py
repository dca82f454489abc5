"""Keys: algorithm allow-lists that fit the key type, key sets with rotation, JWKS documents."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from covet.security.keys import Key, KeySet, jwk_thumbprint
from tests.security.keyring import key

HS_SECRET = b"k" * 64


def test_hmac_secrets_must_reach_the_hash_size() -> None:
    Key.hmac(b"x" * 32, kid="a")
    with pytest.raises(ValueError, match="at least 32 bytes .*RFC 7518"):
        Key.hmac(b"x" * 31, kid="a")
    with pytest.raises(ValueError, match="at least 64 bytes"):
        Key.hmac(b"x" * 48, kid="a", algorithm="HS512")


def test_a_public_key_cannot_become_an_hmac_secret() -> None:
    pem = key("RS256").verifying_material.public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError, match="asymmetric key"):
        Key.hmac(pem, kid="confused")


@pytest.mark.parametrize(
    ("algorithm", "material", "message"),
    [
        ("HS256", key("RS256").verifying_material, "needs a shared secret"),
        ("RS256", key("ES256").verifying_material, "needs an RSA key"),
        ("ES256", key("EdDSA").verifying_material, "needs an EC key"),
        ("EdDSA", key("RS256").verifying_material, "needs an OKP key"),
        ("none", HS_SECRET, "not supported"),
        ("PS256", key("RS256").verifying_material, "not supported"),
    ],
)
def test_an_algorithm_is_refused_for_another_key_type(algorithm: str, material: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Key("k", algorithm, signing_material=None, verifying_material=material)


def test_weak_asymmetric_keys_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="at least 2048 bits"):
        Key.from_private(small, kid="small", algorithm="RS256")
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ValueError, match="P-256"):
        Key.from_private(p384, kid="p384", algorithm="ES256")


def test_keys_load_from_pem_private_or_public() -> None:
    private = key("ES256").signing_material
    private_pem = private.private_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key("ES256").verifying_material.public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signer = Key.from_pem(private_pem, kid="p", algorithm="ES256")
    verifier = Key.from_pem(public_pem.decode(), kid="v", algorithm="ES256")
    assert signer.can_sign and not verifier.can_sign
    assert verifier.public_jwk() == {**signer.public_jwk(), "kid": "v"}


def test_a_key_never_shows_its_material_in_its_repr() -> None:
    secret = Key.hmac(HS_SECRET, kid="hs")
    assert "kkkk" not in repr(secret) and "symmetric" in repr(secret)
    assert repr(key("EdDSA")) == "Key(kid='eddsa-1', algorithms=['EdDSA'], private)"
    assert "kkkk" not in repr(KeySet([secret]))


def test_jwks_lists_public_keys_only() -> None:
    keys = KeySet([key("RS256"), key("ES256"), key("EdDSA"), Key.hmac(HS_SECRET, kid="hs")])
    document = keys.jwks()
    assert [(k["kid"], k["alg"], k["kty"], k["use"]) for k in document["keys"]] == [
        ("rs256-1", "RS256", "RSA", "sig"),
        ("es256-1", "ES256", "EC", "sig"),
        ("eddsa-1", "EdDSA", "OKP", "sig"),
    ]
    assert not any("d" in k or "k" in k or "p" in k for k in document["keys"])
    with pytest.raises(ValueError, match="never be published"):
        Key.hmac(HS_SECRET, kid="hs").public_jwk()


def test_a_jwks_document_reads_back_as_verify_only_keys() -> None:
    document = KeySet([key("RS256"), key("ES256"), key("EdDSA")]).jwks()
    document["keys"] += [
        {"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0cw", "kid": "shared"},
        {**key("RS256").public_jwk(), "kid": "enc", "use": "enc"},
        {**key("RS256").public_jwk(), "kid": "oaep", "alg": "RSA-OAEP"},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA", "kid": "p384"},
        "not a key",
    ]
    keys = KeySet.from_jwks(document)
    assert sorted(k.kid for k in keys) == ["eddsa-1", "es256-1", "rs256-1"]
    assert not any(k.can_sign for k in keys)
    with pytest.raises(ValueError, match="'keys' list"):
        KeySet.from_jwks({"keys": "nope"})


def test_jwks_keys_without_kid_are_named_by_their_rfc_7638_thumbprint() -> None:
    # RFC 7638 section 3.1's example key and thumbprint.
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
        "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
        "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
        "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
    }
    thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    assert jwk_thumbprint(jwk) == thumbprint
    assert [k.kid for k in KeySet.from_jwks({"keys": [jwk]})] == [thumbprint]


def test_a_published_private_or_symmetric_jwk_is_refused() -> None:
    with pytest.raises(ValueError, match="symmetric"):
        Key.from_jwk({"kty": "oct", "k": "c2VjcmV0"})
    private_jwk = {**key("ES256").public_jwk(), "d": "AAAA"}
    with pytest.raises(ValueError, match="private key"):
        Key.from_jwk(private_jwk)


def test_rotation_signs_with_the_new_key_and_keeps_the_old_until_retired() -> None:
    old, new = Key.generate("EdDSA", kid="2025-01"), Key.generate("EdDSA", kid="2025-07")
    keys = KeySet([old])
    assert keys.signing_key is old
    keys.rotate(new)
    assert keys.signing_key is new and keys.get("2025-01") is old
    with pytest.raises(ValueError, match="rotate to another key"):
        keys.retire("2025-07")
    keys.retire("2025-01")
    assert keys.get("2025-01") is None and "2025-01" not in keys
    with pytest.raises(KeyError):
        keys.retire("2025-01")
    with pytest.raises(ValueError, match="already holds"):
        keys.add(new)


def test_kid_lookup_is_a_plain_dictionary_lookup() -> None:
    keys = KeySet([key("EdDSA")])
    hostile = ("../../../dev/null", "eddsa-1' OR '1'='1", "file:///etc/passwd", "https://evil.example/k", "")
    for kid in hostile:
        assert keys.get(kid) is None
    assert keys.get(["eddsa-1"]) is None  # type: ignore[arg-type]


def test_a_set_of_public_keys_cannot_sign() -> None:
    public_only = KeySet.from_jwks(KeySet([key("ES256")]).jwks())
    with pytest.raises(ValueError, match="no key that can sign"):
        _ = public_only.signing_key
    with pytest.raises(ValueError, match="cannot sign"):
        public_only.use_for_signing("es256-1")
