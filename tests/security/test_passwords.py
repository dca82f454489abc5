"""Password hashing: OWASP parameters, verification, corrupt hashes, upgrades, async variants."""

from __future__ import annotations

import asyncio
import threading

import pytest

from covet.security import passwords
from covet.security.errors import InvalidPasswordHash
from covet.security.passwords import Argon2idScheme, PasswordHasher, ScryptScheme
from tests.security.conftest import CompareDigestCalls

# Cheap parameters keep the suite fast; the defaults get their own tests.
FAST_ARGON2 = Argon2idScheme(memory_cost=1024, time_cost=1)
FAST_SCRYPT = ScryptScheme(log_n=10)


class SpyScheme:
    """Wraps a scheme and records each verify call and the thread it ran on."""

    def __init__(self, inner: Argon2idScheme) -> None:
        self.inner = inner
        self.name = inner.name
        self.verified: list[str] = []
        self.threads: list[int] = []

    def hash(self, password: passwords.Password) -> str:
        self.threads.append(threading.get_ident())
        return self.inner.hash(password)

    def identifies(self, encoded: str) -> bool:
        return self.inner.identifies(encoded)

    def verify(self, password: passwords.Password, encoded: str) -> bool:
        self.verified.append(encoded)
        self.threads.append(threading.get_ident())
        return self.inner.verify(password, encoded)

    def needs_rehash(self, encoded: str) -> bool:
        return self.inner.needs_rehash(encoded)


def test_default_hash_is_argon2id_at_owasp_parameters() -> None:
    encoded = PasswordHasher().hash("correct horse")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_default_scrypt_records_owasp_parameters_and_verifies() -> None:
    scheme = ScryptScheme()
    encoded = scheme.hash("correct horse")
    assert encoded.startswith("$scrypt$ln=17,r=8,p=1$")
    assert scheme.verify("correct horse", encoded)


@pytest.mark.parametrize("scheme", [FAST_ARGON2, FAST_SCRYPT], ids=["argon2id", "scrypt"])
def test_verify_accepts_the_password_and_rejects_others(scheme: Argon2idScheme) -> None:
    hasher = PasswordHasher([scheme])
    encoded = hasher.hash("s3cret pässword")
    assert hasher.verify("s3cret pässword", encoded)
    assert hasher.verify("s3cret pässword".encode(), encoded)
    assert not hasher.verify("s3cret passwörd", encoded)
    assert not hasher.verify("", encoded)


@pytest.mark.parametrize("scheme", [FAST_ARGON2, FAST_SCRYPT], ids=["argon2id", "scrypt"])
def test_each_hash_gets_its_own_salt(scheme: Argon2idScheme) -> None:
    assert scheme.hash("same") != scheme.hash("same")


def test_scrypt_reads_the_rfc_7914_test_vector() -> None:
    # RFC 7914 section 12: scrypt("password", "NaCl", N=1024, r=8, p=16, dkLen=64).
    derived = bytes.fromhex(
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
    )
    encoded = f"$scrypt$ln=10,r=8,p=16${passwords._b64encode(b'NaCl')}${passwords._b64encode(derived)}"
    assert FAST_SCRYPT.verify("password", encoded)
    assert not FAST_SCRYPT.verify("Password", encoded)
    assert FAST_SCRYPT.needs_rehash(encoded)


def test_scrypt_compares_with_compare_digest(compare_digest_calls: CompareDigestCalls) -> None:
    FAST_SCRYPT.verify("pw", FAST_SCRYPT.hash("pw"))
    assert len(compare_digest_calls) == 1


def test_argon2id_hashes_from_other_libraries_verify_and_ask_for_an_upgrade() -> None:
    # From argon2-cffi's documentation: RFC 9106's low-memory profile (m=64 MiB, t=3, p=4).
    encoded = (
        "$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg"
    )
    hasher = PasswordHasher()
    assert hasher.verify("correct horse battery staple", encoded)
    assert hasher.needs_rehash(encoded)


def test_needs_rehash_when_parameters_change() -> None:
    old = PasswordHasher([FAST_ARGON2]).hash("pw")
    stronger = PasswordHasher([Argon2idScheme(memory_cost=2048, time_cost=1)])
    assert stronger.verify("pw", old)
    assert stronger.needs_rehash(old)
    assert not stronger.needs_rehash(stronger.hash("pw"))
    assert ScryptScheme(log_n=11).needs_rehash(FAST_SCRYPT.hash("pw"))
    assert not FAST_SCRYPT.needs_rehash(FAST_SCRYPT.hash("pw"))


def test_needs_rehash_when_the_scheme_is_not_the_preferred_one() -> None:
    hasher = PasswordHasher([FAST_ARGON2, FAST_SCRYPT])
    assert hasher.needs_rehash(FAST_SCRYPT.hash("pw"))


def test_verify_and_update_upgrades_an_old_scheme_at_login() -> None:
    hasher = PasswordHasher([FAST_ARGON2, FAST_SCRYPT])
    legacy = FAST_SCRYPT.hash("pw")
    ok, new_hash = hasher.verify_and_update("pw", legacy)
    assert ok and new_hash is not None and new_hash.startswith("$argon2id$")
    assert hasher.verify("pw", new_hash)
    assert hasher.verify_and_update("pw", new_hash) == (True, None)
    assert hasher.verify_and_update("wrong", legacy) == (False, None)


def test_a_missing_hash_is_false_after_a_full_dummy_verification() -> None:
    spy = SpyScheme(FAST_ARGON2)
    hasher = PasswordHasher([spy])
    assert hasher.verify("pw", None) is False
    assert len(spy.verified) == 1 and spy.verified[0].startswith("$argon2id$")
    assert hasher.verify_and_update("pw", None) == (False, None)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plaintext",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt: not configured
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ",  # hash part missing
        "$argon2id$v=19$m=1024,t=1,p=1$!!!!$!!!!",
        "$scrypt$ln=10,r=8,p=1$c2FsdA$",
        "$scrypt$ln=10,r=8,p=1$not*base64$aGFzaA",
        "$scrypt$ln=10,r=8,p=1$c2FsdA$aGFzaA$extra",
        "$scrypt$ln=40,r=8,p=1$c2FsdA$aGFzaA",  # would allocate terabytes
        "$scrypt$ln=0,r=8,p=1$c2FsdA$aGFzaA",
    ],
)
def test_corrupt_or_unknown_hashes_raise_a_clear_error(encoded: str) -> None:
    hasher = PasswordHasher([FAST_ARGON2, FAST_SCRYPT])
    with pytest.raises(InvalidPasswordHash):
        hasher.verify("pw", encoded)


def test_a_corrupt_hash_costs_a_full_verification_before_raising() -> None:
    spy = SpyScheme(FAST_ARGON2)
    with pytest.raises(InvalidPasswordHash, match="unrecognised password hash format .*argon2id"):
        PasswordHasher([spy]).verify("pw", "md5$abc")
    assert len(spy.verified) == 1


def test_needs_rehash_of_a_corrupt_hash_raises() -> None:
    with pytest.raises(InvalidPasswordHash):
        PasswordHasher([FAST_ARGON2]).needs_rehash("$argon2id$garbage")


def test_passwords_must_be_text_or_bytes() -> None:
    with pytest.raises(TypeError, match="str or bytes, not int"):
        FAST_ARGON2.hash(1234)  # type: ignore[arg-type]


def test_configuration_errors_are_reported_at_construction() -> None:
    with pytest.raises(ValueError, match="at least one scheme"):
        PasswordHasher([])
    with pytest.raises(ValueError, match="more than 1 GiB"):
        ScryptScheme(log_n=24)
    with pytest.raises(ValueError, match="log_n"):
        ScryptScheme(log_n=0)


async def test_async_variants_run_off_the_event_loop_thread() -> None:
    spy = SpyScheme(FAST_ARGON2)
    hasher = PasswordHasher([spy])
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        encoded = await hasher.ahash("pw")
        assert await hasher.averify("pw", encoded)
        assert await hasher.averify_and_update("pw", encoded) == (True, None)
    finally:
        task.cancel()
    loop_thread = threading.get_ident()
    assert spy.threads and loop_thread not in spy.threads
    assert ticks > 0
