"""The deployment check: one finding per insecure setting, none for a hardened configuration."""

from __future__ import annotations

import secrets
from types import SimpleNamespace
from typing import Any

import pytest

from covet.security.deploy import DeploySettings, Finding, check_deploy
from covet.security.secrets import Secret

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
