"""Secrets: environment or *_FILE, weak values refused, missing in production fatal, never shown."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import pytest

from covet.security.errors import SecretError
from covet.security.secrets import Secret, load_secret, secret_weakness
from tests.security.conftest import CompareDigestCalls

STRONG = secrets.token_urlsafe(48)


def test_a_secret_comes_from_the_environment() -> None:
    secret = load_secret("SECRET_KEY", production=True, environ={"SECRET_KEY": STRONG})
    assert secret.reveal() == STRONG and secret.source == "environment variable SECRET_KEY"


def test_a_secret_comes_from_the_file_named_by_name_file(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text(STRONG + "\n")
    secret = load_secret("SECRET_KEY", production=True, environ={"SECRET_KEY_FILE": str(path)})
    assert secret.reveal() == STRONG  # the trailing newline is not part of it
    assert secret.source == f"file {path}"


def test_setting_both_the_variable_and_the_file_is_ambiguous(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="both SECRET_KEY and SECRET_KEY_FILE are set"):
        load_secret("SECRET_KEY", production=True, environ={"SECRET_KEY": STRONG, "SECRET_KEY_FILE": "x"})


def test_an_unreadable_secret_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(SecretError, match=f"cannot read the secret file {missing} named by SECRET_KEY_FILE"):
        load_secret("SECRET_KEY", production=True, environ={"SECRET_KEY_FILE": str(missing)})
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe" * 40)
    with pytest.raises(SecretError, match="not UTF-8"):
        load_secret("SECRET_KEY", production=True, environ={"SECRET_KEY_FILE": str(binary)})


def test_a_missing_secret_in_production_is_a_startup_error() -> None:
    with pytest.raises(SecretError, match="SECRET_KEY is not set: in production .*SECRET_KEY_FILE"):
        load_secret("SECRET_KEY", production=True, environ={})


def test_a_missing_secret_in_development_is_random_per_process(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="covet.security"):
        first = load_secret("SECRET_KEY", production=False, environ={})
    second = load_secret("SECRET_KEY", production=False, environ={})
    assert first != second and len(first) >= 32 and secret_weakness(first.reveal()) is None
    assert first.source == "generated for this process"
    assert "SECRET_KEY is not set" in caplog.text


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("short", "5 characters long"),
        ("django-insecure-" + "q" * 40, "placeholder 'django-insecure'"),
        ("changeme" * 5, "placeholder 'changeme'"),
        ("Your-Secret-Key-Goes-Here-And-It-Is-Long", "placeholder 'your-secret'"),
        ("a" * 64, "only 1 distinct characters"),
        ("abc123XYZ!" * 4, "one short pattern repeated"),
    ],
)
def test_weak_secrets_are_refused_in_every_mode(value: str, reason: str) -> None:
    assert reason in (secret_weakness(value) or "")
    for production in (True, False):
        with pytest.raises(
            SecretError, match=f"SECRET_KEY .from environment variable SECRET_KEY. is too weak: .*{reason}"
        ):
            load_secret("SECRET_KEY", production=production, environ={"SECRET_KEY": value})


def test_random_secrets_pass_the_weakness_check() -> None:
    for _ in range(50):
        assert secret_weakness(secrets.token_urlsafe(32)) is None
        assert secret_weakness(secrets.token_hex(16)) is None


def test_the_minimum_length_is_configurable() -> None:
    token = secrets.token_urlsafe(64)
    with pytest.raises(SecretError, match="at least 100"):
        load_secret("API_KEY", production=True, environ={"API_KEY": token}, min_length=100)


def test_a_secret_never_shows_its_value() -> None:
    secret = Secret(STRONG, name="SECRET_KEY", source="environment variable SECRET_KEY")
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret])):
        assert STRONG not in shown
    assert str(secret) == "Secret('SECRET_KEY', from environment variable SECRET_KEY)"
    assert secret.encode() == STRONG.encode()


def test_secrets_compare_in_constant_time(compare_digest_calls: CompareDigestCalls) -> None:
    assert Secret(STRONG) == Secret(STRONG) and Secret(STRONG) == STRONG
    assert Secret(STRONG) != "other"
    assert len(compare_digest_calls) == 3
    assert Secret(STRONG).__eq__(42) is NotImplemented
    with pytest.raises(TypeError):
        hash(Secret(STRONG))
