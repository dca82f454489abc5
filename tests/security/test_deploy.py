"""The deployment check: one finding per insecure setting, none for a hardened configuration."""

from __future__ import annotations

import secrets
from types import SimpleNamespace
from typing import Any

import pytest

from covet import Covet
from covet.middleware import Middleware
from covet.middleware.trustedhost import TrustedHostMiddleware
from covet.security.deploy import DeploySettings, Finding, app_deploy_settings, check_deploy
from covet.security.secrets import Secret
from covet.security.sessions import SessionMiddleware
from tests.security.apps import insecure
from tests.server.covet_process import run_covet

HARDENED: dict[str, Any] = {
    "secret_key": secrets.token_urlsafe(48),
    "allowed_hosts": ["example.com", "www.example.com"],
}


def ids(settings: object) -> list[str]:
    return [finding.id for finding in check_deploy(settings)]


def test_a_hardened_configuration_has_no_findings() -> None:
    assert check_deploy(DeploySettings(**{**HARDENED, "allowed_hosts": ("example.com",)})) == []
    assert check_deploy(SimpleNamespace(**HARDENED)) == []
    assert check_deploy(SimpleNamespace(**{**HARDENED, "secret_key": Secret(HARDENED["secret_key"])})) == []


def test_the_defaults_lack_only_what_has_no_safe_default() -> None:
    assert ids(object()) == ["security.secret_key.missing", "security.allowed_hosts.missing"]


@pytest.mark.parametrize(
    ("override", "finding_id"),
    [
        ({"debug": True}, "security.debug"),
        ({"secret_key": ""}, "security.secret_key.missing"),
        ({"secret_key": "changeme-changeme-changeme-changeme"}, "security.secret_key.weak"),
        ({"secret_key": Secret("too-short")}, "security.secret_key.weak"),
        ({"hsts_max_age": 0}, "security.hsts.off"),
        ({"hsts_max_age": 3600}, "security.hsts.short"),
        ({"session_cookie_secure": False}, "security.cookie.session_insecure"),
        ({"session_cookie_httponly": False}, "security.cookie.session_script_readable"),
        ({"session_cookie_samesite": "sometimes"}, "security.cookie.samesite_invalid"),
        ({"csrf_cookie_secure": False}, "security.cookie.csrf_insecure"),
        ({"allowed_hosts": []}, "security.allowed_hosts.missing"),
        ({"allowed_hosts": ["*"]}, "security.allowed_hosts.wildcard"),
        ({"cors_allow_origins": ["*"], "cors_allow_credentials": True}, "security.cors.wildcard_credentials"),
    ],
)
def test_each_insecure_setting_is_one_finding(override: dict[str, Any], finding_id: str) -> None:
    assert ids(SimpleNamespace(**{**HARDENED, **override})) == [finding_id]


def test_wildcard_cors_without_credentials_is_not_a_finding() -> None:
    assert ids(SimpleNamespace(**HARDENED, cors_allow_origins=["*"], cors_allow_credentials=False)) == []


def test_findings_print_as_one_line_each() -> None:
    findings = check_deploy(SimpleNamespace(**{**HARDENED, "debug": True, "hsts_max_age": 0}))
    lines = [str(f) for f in findings]
    assert lines == [
        "security.debug: debug is on: clients see tracebacks and internals; set debug=False",
        "security.hsts.off: HSTS is off; set hsts_max_age to at least 31536000 (a year)",
    ]
    assert all("\n" not in line for line in lines)
    assert findings[0] == Finding("security.debug", findings[0].message)


def test_a_weak_secret_key_is_named_without_being_shown() -> None:
    weak = "changeme-but-long-enough-to-pass-length"
    (finding,) = check_deploy(SimpleNamespace(**{**HARDENED, "secret_key": weak}))
    assert weak not in str(finding) and "placeholder 'changeme'" in str(finding)


# -- a Covet app's settings, and `covet check --deploy` ----------------------------------------------

PRODUCTION = {
    "COVET_ENV": "production",
    "COVET_SECRET_KEY": secrets.token_urlsafe(48),
    "COVET_ALLOWED_HOSTS": "example.com",
}


def test_a_production_app_with_the_defaults_has_no_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)

    app = Covet(middleware=[Middleware(SessionMiddleware)])
    assert check_deploy(app_deploy_settings(app)) == []


def test_an_apps_middleware_options_are_what_the_check_reads() -> None:

    assert ids(app_deploy_settings(insecure.app)) == [
        "security.debug",
        "security.secret_key.missing",
        "security.hsts.off",
        "security.cookie.session_insecure",
        "security.cookie.session_script_readable",
        "security.cookie.samesite_invalid",
        "security.cookie.csrf_insecure",
        "security.allowed_hosts.missing",
        "security.cors.wildcard_credentials",
    ]


def test_trusted_host_middleware_counts_as_allowed_hosts() -> None:

    app = Covet(middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=["example.com"])])
    assert "security.allowed_hosts.missing" not in ids(app_deploy_settings(app))


def test_the_command_prints_one_line_per_finding_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COVET_ENV", raising=False)
    result = run_covet("check", "--deploy", "tests.security.apps.insecure:app")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 9
    assert lines[0] == "security.debug: debug is on: clients see tracebacks and internals; set debug=False"
    assert "security.cors.wildcard_credentials: CORS allows every origin with credentials" in lines[-1]
    assert result.stderr.strip() == "covet check: 9 issue(s) found"


def test_the_command_passes_a_hardened_app_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    result = run_covet("check", "--deploy", "tests.security.apps.hardened:app")
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
    assert result.stderr.strip() == "covet check: no issues found"


def test_the_same_app_without_production_settings_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PRODUCTION:
        monkeypatch.delenv(name, raising=False)
    result = run_covet("check", "--deploy", "tests.security.apps.hardened:app")
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        "security.secret_key.missing",
        "security.cookie.session_insecure",
        "security.cookie.csrf_insecure",
        "security.allowed_hosts.missing",
    ]


@pytest.mark.parametrize(
    "secret, message",
    [
        (None, "COVET_SECRET_KEY is not set: in production every secret comes from the environment"),
        ("changeme-changeme-changeme-changeme", "COVET_SECRET_KEY (from environment variable"),
    ],
)
def test_a_missing_or_weak_production_secret_is_reported_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, secret: str | None, message: str
) -> None:
    monkeypatch.setenv("COVET_ENV", "production")
    if secret is None:
        monkeypatch.delenv("COVET_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("COVET_SECRET_KEY", secret)
    result = run_covet("check", "--deploy", "tests.security.apps.hardened:app")
    assert result.returncode == 1
    assert result.stdout.startswith(f"security.settings.invalid: {message}")


def test_apps_that_cannot_be_checked_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COVET_ENV", raising=False)
    missing = run_covet("check", "--deploy", "tests.security.apps.nowhere:app")
    assert missing.returncode == 2 and "cannot import module 'tests.security.apps.nowhere'" in missing.stderr
    plain = run_covet("check", "--deploy", "tests.security.apps.plain_asgi:app")
    assert plain.returncode == 2 and "is not a Covet app" in plain.stderr


def test_check_without_deploy_loads_the_app_and_its_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COVET_ENV", raising=False)
    result = run_covet("check", "tests.security.apps.insecure:app")
    assert (result.returncode, result.stdout) == (0, "")
