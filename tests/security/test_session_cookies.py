"""CookieBackend: signed or encrypted cookies that cannot be forged, with key rotation."""

import base64
import secrets

import pytest

from covet.security.session_cookies import CookieBackend, derive_key
from covet.security.sessions import SessionRecord

OLD, NEW = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
RECORD = SessionRecord("sid", {"user": 7, "roles": ["editor"]}, 1000.0, 1500.0)


@pytest.mark.parametrize("encrypt", [False, True])
async def test_a_saved_record_loads_back_unchanged(encrypt):
    backend = CookieBackend(NEW, encrypt=encrypt)
    assert await backend.load(await backend.save(RECORD, 60)) == RECORD


@pytest.mark.parametrize("encrypt", [False, True])
async def test_any_altered_byte_makes_the_cookie_worthless(encrypt):
    backend = CookieBackend(NEW, encrypt=encrypt)
    cookie = await backend.save(RECORD, 60)
    for position in range(2, len(cookie), 7):
        flipped = "A" if cookie[position] != "A" else "B"
        assert await backend.load(cookie[:position] + flipped + cookie[position + 1 :]) is None


async def test_a_signed_cookie_is_readable_but_an_encrypted_one_is_not():
    signed = await CookieBackend(NEW).save(RECORD, 60)
    assert b"editor" in base64.urlsafe_b64decode(signed.split(".")[1] + "==")
    encrypted = await CookieBackend(NEW, encrypt=True).save(RECORD, 60)
    assert b"editor" not in base64.urlsafe_b64decode(encrypted.split(".")[1] + "==")
    assert encrypted != await CookieBackend(NEW, encrypt=True).save(RECORD, 60)  # a fresh nonce each time


@pytest.mark.parametrize("encrypt", [False, True])
async def test_a_cookie_from_another_key_is_refused(encrypt):
    cookie = await CookieBackend(OLD, encrypt=encrypt).save(RECORD, 60)
    assert await CookieBackend(NEW, encrypt=encrypt).load(cookie) is None


@pytest.mark.parametrize("encrypt", [False, True])
async def test_a_rotated_out_key_still_verifies_and_marks_the_cookie_for_rewriting(encrypt):
    cookie = await CookieBackend(OLD, encrypt=encrypt).save(RECORD, 60)
    record = await CookieBackend([NEW, OLD], encrypt=encrypt).load(cookie)
    assert record is not None and record.stale and record.data == RECORD.data
    fresh = await CookieBackend([NEW, OLD], encrypt=encrypt).save(record, 60)
    assert await CookieBackend(NEW, encrypt=encrypt).load(fresh) is not None


async def test_switching_to_encryption_rewrites_signed_cookies():
    signed = await CookieBackend(NEW).save(RECORD, 60)
    record = await CookieBackend(NEW, encrypt=True).load(signed)
    assert record is not None and record.stale


@pytest.mark.parametrize(
    "cookie",
    ["", "garbage", "1.", "1..", "1.e30.", "2.", "2.AAAA", "3.abc.def", "1.!!!.@@@", "2." + "A" * 40],
)
async def test_malformed_cookies_load_as_nothing(cookie):
    for backend in (CookieBackend(NEW), CookieBackend(NEW, encrypt=True)):
        assert await backend.load(cookie) is None


async def test_a_validly_signed_payload_of_the_wrong_shape_loads_as_nothing():
    backend = CookieBackend(NEW)
    key = derive_key(NEW, "covet.session.hmac")
    for payload in (b"[]", b'{"i": 1}', b'{"i": "x", "c": "now", "t": 1, "d": {}}', b"not json"):
        signed = "1." + base64.urlsafe_b64encode(payload).decode().rstrip("=")
        tag = base64.urlsafe_b64encode(backend._tag(key, signed)).decode().rstrip("=")
        assert await backend.load(f"{signed}.{tag}") is None


def test_keys_are_required():
    with pytest.raises(ValueError, match="at least one key"):
        CookieBackend([])
    with pytest.raises(ValueError, match="must not be empty"):
        CookieBackend("")


def test_each_purpose_gets_its_own_key():
    assert derive_key(NEW, "covet.session.hmac") != derive_key(NEW, "covet.session.aes-gcm")
    assert len(derive_key(NEW, "x")) == 32


async def test_the_signature_is_compared_in_constant_time(compare_digest_calls):
    backend = CookieBackend(NEW)
    cookie = await backend.save(RECORD, 60)
    assert await backend.load(cookie) is not None
    tag = cookie.rsplit(".", 1)[1].encode()
    assert any(tag in pair for pair in compare_digest_calls)
