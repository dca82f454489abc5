"""JWT encode/decode: the RFC 7515 vector, every algorithm, claims with leeway, and attacks."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from covet.security.errors import ExpiredToken, InvalidToken, TokenNotYetValid
from covet.security.jwt import MAX_TOKEN_LENGTH, JWTCodec
from covet.security.keys import Key, KeySet
from tests.security.fakes import NOW, Clock
from tests.security.keyring import b64url, forge, key

# RFC 7515 Appendix A.1: the HS256 example, byte for byte (its header contains a CRLF).
RFC7515_TOKEN = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
RFC7515_JWK = {
    "kty": "oct",
    "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
}


def rfc7515_codec(now: float) -> JWTCodec:
    return JWTCodec(Key.from_jwk(RFC7515_JWK, allow_symmetric=True), clock=lambda: now)


def test_rfc_7515_appendix_a1_token_verifies() -> None:
    claims = rfc7515_codec(1300819370).decode(RFC7515_TOKEN)
    assert claims == {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}


def test_rfc_7515_appendix_a1_token_is_expired_after_its_exp() -> None:
    with pytest.raises(ExpiredToken, match="expired 1 s ago"):
        rfc7515_codec(1300819381).decode(RFC7515_TOKEN)


def test_rfc_7515_token_with_a_flipped_signature_bit_is_refused() -> None:
    head, payload, signature = RFC7515_TOKEN.split(".")
    tampered = f"{head}.{payload}.{'e' if signature[0] != 'e' else 'f'}{signature[1:]}"
    with pytest.raises(InvalidToken, match="signature does not verify"):
        rfc7515_codec(1300819370).decode(tampered)


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"])
def test_each_supported_algorithm_round_trips(algorithm: str) -> None:
    codec = JWTCodec(key(algorithm), clock=Clock())
    token = codec.encode({"sub": "42", "scope": "read"})
    header = JWTCodec(key(algorithm))._jws.get_unverified_header(token)
    assert header == {"alg": algorithm, "typ": "JWT", "kid": key(algorithm).kid}
    claims = codec.decode(token)
    assert claims == {"sub": "42", "scope": "read", "iat": int(NOW), "exp": int(NOW) + 900}


def test_a_tampered_payload_is_refused() -> None:
    codec = JWTCodec(key("ES256"), clock=Clock())
    head, _, signature = codec.encode({"sub": "42", "admin": False}).split(".")
    forged_payload = b64url(b'{"sub":"42","admin":true,"exp":9999999999}')
    with pytest.raises(InvalidToken, match="signature"):
        codec.decode(f"{head}.{forged_payload}.{signature}")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_unsigned_alg_none_tokens_are_refused(alg: str) -> None:
    codec = JWTCodec(key("HS256"), clock=Clock())
    for kid in ({"kid": key("HS256").kid}, {}):
        token = forge({"alg": alg, "typ": "JWT", **kid}, {"sub": "admin", "exp": NOW + 60})
        with pytest.raises(InvalidToken, match="alg 'none'"):
            codec.decode(token)


def test_rsa_public_key_used_as_hmac_secret_is_refused() -> None:
    """Algorithm confusion: the attacker signs HS256 with the server's public RSA key as secret."""
    rsa_key = key("RS256")
    public_pem = rsa_key.verifying_material.public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    codec = JWTCodec(rsa_key, clock=Clock())
    claims = {"sub": "admin", "exp": NOW + 60}
    for header in ({"alg": "HS256", "kid": rsa_key.kid}, {"alg": "HS256"}):
        with pytest.raises(InvalidToken, match="HS256 is not allowed for key 'rs256-1'"):
            codec.decode(forge(header, claims, hmac_secret=public_pem))


def test_an_algorithm_the_key_was_not_built_for_is_refused() -> None:
    ec_token = JWTCodec(key("ES256", kid="shared-kid"), clock=Clock()).encode({"sub": "1"})
    ed_codec = JWTCodec(key("EdDSA", kid="shared-kid"), clock=Clock())
    with pytest.raises(InvalidToken, match="ES256 is not allowed for key 'shared-kid'"):
        ed_codec.decode(ec_token)
    hs384 = Key.hmac(b"s" * 64, kid="hs", algorithm="HS384")
    hs256_token = forge({"alg": "HS256", "kid": "hs"}, {"exp": NOW + 60}, hmac_secret=b"s" * 64)
    with pytest.raises(InvalidToken, match="HS256 is not allowed"):
        JWTCodec(hs384, clock=Clock()).decode(hs256_token)


@pytest.mark.parametrize("alg", ["PS256", "RS512", "HS1", "ES256K", 7])
def test_algorithms_outside_the_supported_set_are_refused(alg: object) -> None:
    codec = JWTCodec(key("HS256"), clock=Clock())
    with pytest.raises(InvalidToken, match="not accepted|alg 'none'"):
        codec.decode(forge({"alg": alg, "kid": "hs256-1"}, {"exp": NOW + 60}, hmac_secret=b"x" * 32))


HOSTILE_KIDS = ["../../../../dev/null", "' UNION SELECT 'secret", "https://evil.example/k", "nope"]


@pytest.mark.parametrize("kid", HOSTILE_KIDS)
def test_an_unknown_kid_is_refused(kid: str) -> None:
    codec = JWTCodec(KeySet([key("HS256"), key("HS512")]), clock=Clock())
    secret = key("HS256").verifying_material
    token = forge({"alg": "HS256", "kid": kid}, {"exp": NOW + 60}, hmac_secret=secret)  # type: ignore[arg-type]
    with pytest.raises(InvalidToken, match="kid names no known key"):
        codec.decode(token)


@pytest.mark.parametrize("kid", [7, ["hs256-1"], {"$ne": ""}, None])
def test_a_kid_that_is_not_a_string_is_refused(kid: object) -> None:
    codec = JWTCodec(KeySet([key("HS256"), key("HS512")]), clock=Clock())
    token = forge({"alg": "HS256", "kid": kid}, {"exp": NOW + 60}, hmac_secret=b"x" * 32)
    with pytest.raises(InvalidToken, match="Key ID header parameter must be a string|no kid"):
        codec.decode(token)


def test_a_token_without_kid_needs_a_single_key_set() -> None:
    secret = key("HS256").verifying_material
    token = forge({"alg": "HS256"}, {"exp": NOW + 60}, hmac_secret=secret)  # type: ignore[arg-type]
    assert JWTCodec(key("HS256"), clock=Clock()).decode(token) == {"exp": NOW + 60}
    with pytest.raises(InvalidToken, match="no kid and the key set holds several keys"):
        JWTCodec(KeySet([key("HS256"), key("HS512")]), clock=Clock()).decode(token)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig", "x" * (MAX_TOKEN_LENGTH + 1)],
)
def test_malformed_tokens_are_invalid_not_crashes(token: str) -> None:
    with pytest.raises(InvalidToken):
        JWTCodec(key("HS256"), clock=Clock()).decode(token)


def test_a_signed_payload_that_is_not_json_is_refused() -> None:
    secret = key("HS256").verifying_material
    head = b64url(b'{"alg":"HS256"}')
    signing_input = f"{head}.{b64url(b'not json')}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()  # type: ignore[arg-type]
    with pytest.raises(InvalidToken, match="payload is not JSON"):
        JWTCodec(key("HS256"), clock=Clock()).decode(f"{signing_input}.{b64url(signature)}")


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    secret = key("HS256").verifying_material
    for payload in ([1, 2], "sub", 3):
        token = forge({"alg": "HS256"}, payload, hmac_secret=secret)  # type: ignore[arg-type]
        with pytest.raises(InvalidToken, match="not a JSON object"):
            JWTCodec(key("HS256"), clock=Clock()).decode(token)


def test_expiry_is_enforced_with_leeway() -> None:
    clock = Clock()
    codec = JWTCodec(key("HS256"), leeway=timedelta(seconds=30), clock=clock)
    token = codec.encode({"sub": "1"}, expires_in=60)
    clock.now = NOW + 60 + 29
    assert codec.decode(token)["sub"] == "1"
    clock.now = NOW + 60 + 30
    with pytest.raises(ExpiredToken, match="expired 30 s ago .leeway 30 s"):
        codec.decode(token)


def test_not_before_and_issued_at_in_the_future_are_refused_beyond_leeway() -> None:
    clock = Clock()
    codec = JWTCodec(key("HS256"), leeway=10, clock=clock)
    early = codec.encode({"nbf": NOW + 60})
    with pytest.raises(TokenNotYetValid, match="60 s .nbf"):
        codec.decode(early)
    clock.now = NOW + 51
    assert codec.decode(early)["nbf"] == NOW + 60
    clock.now = NOW
    with pytest.raises(TokenNotYetValid, match="iat"):
        codec.decode(codec.encode({"iat": NOW + 3600}))


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["1700000000", True, None, [1]])
def test_time_claims_must_be_numbers(claim: str, value: object) -> None:
    codec = JWTCodec(key("HS256"), clock=Clock(), require=())
    token = codec.encode({claim: value})
    if value is None:
        codec.decode(token)  # an explicit null is the claim's absence
        return
    with pytest.raises(InvalidToken, match=f"the {claim} claim must be a number"):
        codec.decode(token)


def test_required_claims_must_be_present() -> None:
    codec = JWTCodec(key("HS256"), clock=Clock(), default_expires_in=None)
    with pytest.raises(InvalidToken, match="lacks required claim.*exp"):
        codec.decode(codec.encode({"sub": "1"}))
    lenient = JWTCodec(key("HS256"), clock=Clock(), require=(), default_expires_in=None)
    assert lenient.decode(lenient.encode({"sub": "1"})) == {"sub": "1", "iat": int(NOW)}
    with pytest.raises(InvalidToken, match="jti, sub"):
        lenient.decode(lenient.encode({}), require=("sub", "jti"))


def test_issuer_must_match() -> None:
    ours = JWTCodec(key("EdDSA"), issuer="https://auth.example.com", clock=Clock())
    theirs = JWTCodec(key("EdDSA"), issuer="https://evil.example.com", clock=Clock())
    assert ours.decode(ours.encode({}))["iss"] == "https://auth.example.com"
    with pytest.raises(InvalidToken, match="issuer"):
        ours.decode(theirs.encode({}))
    with pytest.raises(InvalidToken, match="issuer"):
        ours.decode(JWTCodec(key("EdDSA"), clock=Clock()).encode({}))


def test_audience_must_include_this_service() -> None:
    api = JWTCodec(key("EdDSA"), audience="api", clock=Clock())
    other = JWTCodec(key("EdDSA"), audience="billing", clock=Clock())
    plain = JWTCodec(key("EdDSA"), clock=Clock())
    assert api.decode(api.encode({}))["aud"] == "api"
    assert api.decode(plain.encode({"aud": ["billing", "api"]}))
    with pytest.raises(InvalidToken, match="audience .aud. is not this service"):
        api.decode(other.encode({}))
    with pytest.raises(InvalidToken, match="no audience"):
        api.decode(plain.encode({}))
    with pytest.raises(InvalidToken, match="expects none"):
        plain.decode(api.encode({}))
    with pytest.raises(InvalidToken, match="string or a list of strings"):
        api.decode(plain.encode({"aud": 7}))
    assert other.decode(api.encode({}), audience={"api", "admin"})["aud"] == "api"


def test_tokens_signed_by_a_rotated_out_key_verify_until_it_is_retired() -> None:
    keys = KeySet([Key.generate("ES256", kid="old")])
    codec = JWTCodec(keys, clock=Clock())
    old_token = codec.encode({"sub": "1"})
    keys.rotate(Key.generate("ES256", kid="new"))
    new_token = codec.encode({"sub": "1"})
    assert codec._jws.get_unverified_header(new_token)["kid"] == "new"
    assert codec.decode(old_token) and codec.decode(new_token)
    keys.retire("old")
    with pytest.raises(InvalidToken, match="kid names no known key"):
        codec.decode(old_token)


def test_tokens_verify_against_the_published_jwks_alone() -> None:
    signer = JWTCodec(KeySet([key("RS256"), key("EdDSA")], signing_kid="eddsa-1"), clock=Clock())
    verifier = JWTCodec(KeySet.from_jwks(signer.keys.jwks()), clock=Clock())
    assert verifier.decode(signer.encode({"sub": "7"}))["sub"] == "7"
    with pytest.raises(ValueError, match="no key that can sign"):
        verifier.encode({})


def test_extra_headers_cannot_replace_the_kid() -> None:
    codec = JWTCodec(key("HS256"), clock=Clock())
    token = codec.encode({}, headers={"kid": "other", "cty": "x"})
    assert codec._jws.get_unverified_header(token)["kid"] == "hs256-1"
