"""Settings: read from the environment, secure by default, strict in production."""

import logging
import secrets

import pytest

from covet.security.errors import SecretError
from covet.security.settings import ONE_YEAR, Settings

STRONG = secrets.token_urlsafe(48)


def test_the_defaults_are_development_without_debug_with_security_headers():
    settings = Settings.from_env({})
    assert settings.environment == "development" and not settings.production
    assert settings.debug is False
    assert settings.secret_key is None
    assert settings.security_headers is True
    assert settings.hsts_max_age == ONE_YEAR
    assert settings.allowed_hosts == () and settings.trusted_proxies == ()


def test_production_without_a_secret_key_is_an_error_that_says_what_to_set():
    with pytest.raises(SecretError, match="COVET_SECRET_KEY is not set") as caught:
        Settings.from_env({"COVET_ENV": "production"})
    assert "COVET_SECRET_KEY_FILE" in str(caught.value)
    with pytest.raises(SecretError, match="no secret key in production: set COVET_SECRET_KEY"):
        Settings(environment="production")


@pytest.mark.parametrize("environment", ["production", "development"])
def test_a_weak_secret_key_is_refused_in_every_environment(environment):
    with pytest.raises(SecretError, match="too weak"):
        weak = "changeme-changeme-changeme-changeme"
        Settings.from_env({"COVET_ENV": environment, "COVET_SECRET_KEY": weak})
    with pytest.raises(SecretError, match="too weak"):
        Settings(environment=environment, secret_key="short")


def test_the_secret_key_comes_from_the_variable_or_the_file_it_names(tmp_path):
    assert Settings.from_env({"COVET_SECRET_KEY": STRONG}).secret_key == STRONG
    secret_file = tmp_path / "key"
    secret_file.write_text(STRONG + "\n")
    settings = Settings.from_env({"COVET_ENV": "production", "COVET_SECRET_KEY_FILE": str(secret_file)})
    assert settings.production and settings.secret_key == STRONG
    assert STRONG not in repr(settings)


def test_debug_allowed_hosts_and_trusted_proxies_are_read_from_the_environment():
    settings = Settings.from_env(
        {
            "COVET_DEBUG": "yes",
            "COVET_ALLOWED_HOSTS": "example.com, *.example.com,",
            "COVET_TRUSTED_PROXIES": "10.0.0.0/8,::1",
        }
    )
    assert settings.debug is True
    assert settings.allowed_hosts == ("example.com", "*.example.com")
    assert [str(n) for n in settings.trusted_proxy_networks] == ["10.0.0.0/8", "::1/128"]


def test_keyword_arguments_override_the_environment():
    assert Settings.from_env({"COVET_DEBUG": "1"}, debug=False).debug is False


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"COVET_ENV": "staging"}, "COVET_ENV='staging': use 'development' or 'production'"),
        ({"COVET_DEBUG": "maybe"}, "COVET_DEBUG='maybe': use 1/true/yes or 0/false/no"),
        ({"COVET_TRUSTED_PROXIES": "proxy.local"}, "trusted proxy 'proxy.local' is not an IP address"),
    ],
)
def test_unreadable_values_are_errors_naming_the_variable(environ, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("*", r"\*")):
        Settings.from_env(environ)


def test_host_lists_must_be_lists():
    with pytest.raises(TypeError, match="allowed_hosts is a list of names"):
        Settings(allowed_hosts="example.com")


def test_development_makes_one_signing_secret_per_process_and_warns_once(caplog):
    settings = Settings()
    with caplog.at_level(logging.WARNING, logger="covet.security"):
        first, second = settings.signing_secret(), settings.signing_secret()
    assert first is second and len(first) >= 32
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "COVET_SECRET_KEY is not set" in caplog.records[0].message
    assert Settings().signing_secret() != first


def test_a_configured_secret_is_the_signing_secret():
    settings = Settings(secret_key=STRONG)
    assert settings.signing_secret() == STRONG
