"""HOTP/TOTP against the RFC vectors, enrolment URIs, drift, replay protection, recovery codes."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from redis.asyncio import Redis

from covet.security import otp
from covet.security.otp import (
    HOTP,
    TOTP,
    TOTPVerifier,
    consume_recovery_code,
    generate_recovery_codes,
    generate_secret,
    hash_recovery_code,
)
from covet.security.stores import MemoryKeySet, RedisKeySet
from tests.security.conftest import CompareDigestCalls
from tests.security.fakes import Clock

# RFC 4226 Appendix D.
HOTP_SECRET = b"12345678901234567890"
HOTP_VECTORS = [
    "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489",
]  # fmt: skip

# RFC 6238 Appendix B: each algorithm's seed is the ASCII digits repeated to its digest size.
TOTP_SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
TOTP_TABLE = {  # time: (SHA1, SHA256, SHA512), eight digits
    59: ("94287082", "46119246", "90693936"),
    1111111109: ("07081804", "68084774", "25091201"),
    1111111111: ("14050471", "67062674", "99943326"),
    1234567890: ("89005924", "91819424", "93441116"),
    2000000000: ("69279037", "90698825", "38618901"),
    20000000000: ("65353130", "77737706", "47863826"),
}
TOTP_VECTORS = [
    (at, algorithm, codes[i]) for at, codes in TOTP_TABLE.items() for i, algorithm in enumerate(TOTP_SEEDS)
]


@pytest.mark.parametrize("counter", range(10))
def test_hotp_matches_rfc_4226_appendix_d(counter: int) -> None:
    hotp = HOTP(HOTP_SECRET)
    assert hotp.generate(counter) == HOTP_VECTORS[counter]
    assert hotp.verify(HOTP_VECTORS[counter], counter) == counter + 1


@pytest.mark.parametrize(("at", "algorithm", "code"), TOTP_VECTORS)
def test_totp_matches_rfc_6238_appendix_b(at: int, algorithm: otp.OTPAlgorithm, code: str) -> None:
    totp = TOTP(TOTP_SEEDS[algorithm], digits=8, algorithm=algorithm)
    assert totp.now(at) == code
    assert totp.match_step(code, at=at, window=0) == at // 30


def test_secrets_are_random_unpadded_base32_of_the_digest_size() -> None:
    sizes: list[tuple[otp.OTPAlgorithm, int]] = [("SHA1", 20), ("SHA256", 32), ("SHA512", 64)]
    for algorithm, size in sizes:
        secret = generate_secret(algorithm)
        assert "=" not in secret
        assert len(TOTP(secret, algorithm=algorithm).key) == size
    assert generate_secret() != generate_secret()


def test_a_secret_is_read_back_from_its_base32_text_in_any_case_or_grouping() -> None:
    secret = base64.b32encode(HOTP_SECRET).decode()
    assert HOTP(secret).key == HOTP_SECRET
    assert HOTP(secret.lower()).key == HOTP_SECRET
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert HOTP(grouped).generate(0) == HOTP_VECTORS[0]


def test_provisioning_uri_follows_the_key_uri_format() -> None:
    secret = generate_secret()
    uri = TOTP(secret, digits=8, algorithm="SHA256", period=60).provisioning_uri(
        "ada@example.com", issuer="ACME Co: Ops"
    )
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/ACME Co: Ops:ada@example.com"
    assert parts.path.startswith("/ACME%20Co%3A%20Ops:")  # the issuer's own colon is escaped
    query = parse_qs(parts.query)
    assert query == {
        "secret": [secret],
        "issuer": ["ACME Co: Ops"],
        "algorithm": ["SHA256"],
        "digits": ["8"],
        "period": ["60"],
    }


def test_hotp_provisioning_uri_carries_the_counter_and_no_issuer_when_none() -> None:
    uri = HOTP(HOTP_SECRET).provisioning_uri("bob", counter=7)
    parts = urlsplit(uri)
    assert (parts.netloc, parts.path) == ("hotp", "/bob")
    query = parse_qs(parts.query)
    assert query["counter"] == ["7"] and "issuer" not in query


def test_drift_window_accepts_neighbouring_steps_only() -> None:
    totp = TOTP(TOTP_SEEDS["SHA1"])
    at = 1_700_000_000.0
    previous, current, far = totp.now(at - 30), totp.now(at), totp.now(at - 60)
    assert totp.match_step(current, at=at, window=0) == totp.step(at)
    assert totp.match_step(previous, at=at, window=0) is None
    assert totp.match_step(previous, at=at, window=1) == totp.step(at) - 1
    assert totp.match_step(totp.now(at + 30), at=at) == totp.step(at) + 1
    assert totp.match_step(far, at=at, window=1) is None
    assert totp.match_step(far, at=at, window=2) == totp.step(at) - 2


FULLWIDTH_755224 = "\uff17\uff15\uff15\uff12\uff12\uff14"


@pytest.mark.parametrize("code", ["", "75522", "7552244", "75522a", FULLWIDTH_755224, "-55224"])
def test_malformed_codes_never_match(code: str) -> None:
    assert HOTP(HOTP_SECRET).verify(code, 0, look_ahead=5) is None


def test_codes_may_be_typed_with_spaces() -> None:
    assert HOTP(HOTP_SECRET).verify("755 224", 0) == 1


def test_hotp_look_ahead_resynchronises_and_older_codes_stay_dead() -> None:
    hotp = HOTP(HOTP_SECRET)
    assert hotp.verify(HOTP_VECTORS[3], 0) is None
    assert hotp.verify(HOTP_VECTORS[3], 0, look_ahead=5) == 4
    assert hotp.verify(HOTP_VECTORS[2], 4, look_ahead=5) is None


def test_codes_are_compared_in_constant_time_over_the_whole_window(
    compare_digest_calls: CompareDigestCalls,
) -> None:
    totp = TOTP(TOTP_SEEDS["SHA1"])
    at = 1_700_000_000.0
    assert totp.match_step(totp.now(at - 30), at=at, window=2) is not None
    assert len(compare_digest_calls) == 5  # no early exit at the match


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="base32"):
        TOTP("not base32 at all!")
    with pytest.raises(ValueError, match="SHA1, SHA256 or SHA512"):
        TOTP(TOTP_SEEDS["SHA1"], algorithm="MD5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="128 bits"):
        TOTP(b"short")
    with pytest.raises(ValueError, match="period"):
        TOTP(TOTP_SEEDS["SHA1"], period=0)
    with pytest.raises(ValueError, match="window"):
        TOTP(TOTP_SEEDS["SHA1"]).match_step("123456", window=-1)
    with pytest.raises(ValueError, match="look_ahead"):
        HOTP(HOTP_SECRET).verify("123456", 0, look_ahead=-1)


async def test_a_totp_code_is_accepted_once_per_user_and_step() -> None:
    clock = Clock(1_700_000_000.0)
    verifier = TOTPVerifier(MemoryKeySet(), clock=clock)
    totp = TOTP(TOTP_SEEDS["SHA1"])
    code = totp.now(clock.now)
    assert await verifier.verify("alice", totp, code)
    assert not await verifier.verify("alice", totp, code)  # replayed
    assert await verifier.verify("bob", totp, code)  # another user, same secret: their own step
    clock.now += 30
    assert not await verifier.verify("alice", totp, code)  # the same step, now from the window
    assert await verifier.verify("alice", totp, totp.now(clock.now))
    assert not await verifier.verify("alice", totp, "000000")


async def test_replays_are_refused_across_workers_sharing_redis(redis: Redis, redis_prefix: str) -> None:
    clock = Clock(1_700_000_000.0)
    worker_a = TOTPVerifier(RedisKeySet(redis, prefix=redis_prefix), clock=clock)
    worker_b = TOTPVerifier(RedisKeySet(redis, prefix=redis_prefix), clock=clock)
    totp = TOTP(generate_secret())
    code = totp.now(clock.now)
    results = await asyncio.gather(*(w.verify("carol", totp, code) for w in (worker_a, worker_b) * 5))
    assert results.count(True) == 1
    ttl = await redis.pttl(f"{redis_prefix}carol:{totp.step(clock.now)}")
    assert 0 < ttl <= 4 * 30 * 1000


def test_recovery_codes_are_random_formatted_and_stored_hashed() -> None:
    batch = generate_recovery_codes(8)
    assert len(batch.codes) == len(set(batch.codes)) == 8
    for code, stored in zip(batch.codes, batch.hashes, strict=True):
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set(otp._RECOVERY_ALPHABET)
        assert code not in stored and stored == hash_recovery_code(code)
    with pytest.raises(ValueError, match="at least 1"):
        generate_recovery_codes(0)


def test_a_recovery_code_works_once() -> None:
    batch = generate_recovery_codes(3)
    remaining = consume_recovery_code(batch.codes[1].upper().replace("-", " "), batch.hashes)
    assert remaining == [batch.hashes[0], batch.hashes[2]]
    assert consume_recovery_code(batch.codes[1], remaining) is None
    assert consume_recovery_code("aaaa-bbbb-cccc-dddd", remaining) is None
    assert consume_recovery_code(batch.codes[2], remaining) == [batch.hashes[0]]
