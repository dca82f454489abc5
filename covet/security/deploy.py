"""The deployment check: insecure settings, one finding each (``python -m covet check --deploy``).

``check_deploy(settings)`` reads the attributes named in DeploySettings from any object (the
application's settings, a dataclass, a namespace); an attribute it lacks takes CovetPy's
default, which is the secure one — except ``secret_key`` and ``allowed_hosts``, which have no
safe default and must be set. ``app_deploy_settings(app)`` gathers them from a Covet app: its
``Settings``, debug flag, and the options of its session, CSRF, security-headers, TrustedHost
and CORS middleware. The command prints each finding on one line and exits 1 when there is
any (2 when the app cannot be loaded); run it with the production environment, as
``COVET_ENV=production covet check --deploy main:app``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Union

from covet.security.errors import SecretError
from covet.security.secrets import Secret, secret_weakness

if TYPE_CHECKING:
    from covet.app import Covet

__all__ = ["DeploySettings", "Finding", "add_check_command", "app_deploy_settings", "check_deploy"]

ONE_YEAR = 31_536_000


@dataclass(frozen=True)
class DeploySettings:
    """The settings the deployment check reads, with CovetPy's defaults."""

    debug: bool = False
    secret_key: Union[str, Secret, None] = None
    hsts_max_age: int = ONE_YEAR
    session_cookie_secure: bool = True
    session_cookie_httponly: bool = True
    session_cookie_samesite: Optional[str] = "lax"
    csrf_cookie_secure: bool = True
    allowed_hosts: tuple[str, ...] = ()
    cors_allow_origins: tuple[str, ...] = ()
    cors_allow_credentials: bool = False

    @classmethod
    def from_object(cls, settings: object) -> DeploySettings:
        """The check's view of ``settings``: each attribute it has, the default for each it lacks."""
        if isinstance(settings, DeploySettings):
            return settings
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            if hasattr(settings, spec.name):
                value = getattr(settings, spec.name)
                is_tuple = spec.name in ("allowed_hosts", "cors_allow_origins")
                values[spec.name] = tuple(value) if is_tuple and isinstance(value, Iterable) else value
        return cls(**values)


@dataclass(frozen=True)
class Finding:
    """One insecure setting: a stable ``id`` (to silence it knowingly) and what to do about it."""

    id: str
    message: str

    def __str__(self) -> str:
        return f"{self.id}: {self.message}"


def _secret_findings(secret_key: Union[str, Secret, None]) -> list[Finding]:
    if secret_key is None or len(secret_key) == 0:
        return [Finding("security.secret_key.missing", "no secret key is set; load it with load_secret()")]
    value = secret_key.reveal() if isinstance(secret_key, Secret) else secret_key
    weakness = secret_weakness(value)
    if weakness is not None:
        return [Finding("security.secret_key.weak", f"the secret key is weak: {weakness}")]
    return []


def check_deploy(settings: object) -> list[Finding]:
    """Every insecure setting in ``settings`` for a production deployment; empty when none."""
    s = DeploySettings.from_object(settings)
    findings: list[Finding] = []

    def flag(condition: bool, finding_id: str, message: str) -> None:
        if condition:
            findings.append(Finding(finding_id, message))

    flag(s.debug, "security.debug", "debug is on: clients see tracebacks and internals; set debug=False")
    findings += _secret_findings(s.secret_key)
    flag(
        s.hsts_max_age <= 0,
        "security.hsts.off",
        "HSTS is off; set hsts_max_age to at least 31536000 (a year)",
    )
    flag(
        0 < s.hsts_max_age < ONE_YEAR,
        "security.hsts.short",
        f"HSTS max-age is {s.hsts_max_age} s; use at least 31536000 (a year)",
    )
    flag(
        not s.session_cookie_secure,
        "security.cookie.session_insecure",
        "the session cookie is sent over plain HTTP; set session_cookie_secure=True",
    )
    flag(
        not s.session_cookie_httponly,
        "security.cookie.session_script_readable",
        "scripts can read the session cookie; set session_cookie_httponly=True",
    )
    samesite = (s.session_cookie_samesite or "").lower()
    flag(
        samesite not in ("lax", "strict", "none"),
        "security.cookie.samesite_invalid",
        f"session_cookie_samesite is {s.session_cookie_samesite!r}; use 'lax', 'strict' or 'none'",
    )
    flag(
        not s.csrf_cookie_secure,
        "security.cookie.csrf_insecure",
        "the CSRF cookie is sent over plain HTTP; set csrf_cookie_secure=True",
    )
    flag(
        not s.allowed_hosts,
        "security.allowed_hosts.missing",
        "allowed_hosts is empty: any Host header is accepted; list the host names you serve",
    )
    flag(
        "*" in s.allowed_hosts,
        "security.allowed_hosts.wildcard",
        "allowed_hosts contains '*': any Host header is accepted (cache poisoning, reset-link hijack)",
    )
    flag(
        "*" in s.cors_allow_origins and s.cors_allow_credentials,
        "security.cors.wildcard_credentials",
        "CORS allows every origin with credentials: any site can make authenticated requests; "
        "list the origins instead of '*'",
    )
    return findings


# -- a Covet app's settings, and the command --------------------------------------------------------


def _layer_options(app: Covet, name: str) -> list[Mapping[str, Any]]:
    """The options of each middleware layer of class ``name`` the app adds itself."""
    return [layer.options for layer in app.user_middleware if getattr(layer.cls, "__name__", "") == name]


def _cookie_secure(option: Optional[bool], production: bool) -> bool:
    # None means "Secure on HTTPS", and always Secure in production (see covet.security.sessions).
    return bool(option) if option is not None else production


def app_deploy_settings(app: Covet) -> DeploySettings:
    """What a Covet app's settings and middleware amount to, for ``check_deploy``."""
    settings = app.settings
    values: dict[str, Any] = {
        "debug": app.debug,
        "secret_key": settings.secret_key,
        "allowed_hosts": tuple(settings.allowed_hosts),
        "hsts_max_age": settings.hsts_max_age if settings.security_headers else 0,
    }
    for options in _layer_options(app, "SecurityHeadersMiddleware"):
        values["hsts_max_age"] = options.get("hsts_max_age", ONE_YEAR) if options.get("hsts", True) else 0
    for options in _layer_options(app, "SessionMiddleware"):
        values["session_cookie_secure"] = _cookie_secure(options.get("secure"), settings.production)
        values["session_cookie_httponly"] = options.get("httponly", True)
        values["session_cookie_samesite"] = options.get("samesite", "lax")
    for options in _layer_options(app, "CSRFMiddleware"):
        values["csrf_cookie_secure"] = _cookie_secure(options.get("cookie_secure"), settings.production)
    for options in _layer_options(app, "TrustedHostMiddleware"):
        values["allowed_hosts"] += tuple(options.get("allowed_hosts", ("*",)))
    for options in _layer_options(app, "CORSMiddleware"):
        values["cors_allow_origins"] = tuple(options.get("allow_origins", ()))
        values["cors_allow_credentials"] = options.get("allow_credentials", False)
    return DeploySettings(**values)


def add_check_command(subcommands: Any) -> None:
    """``covet check [--deploy] MODULE:APP``."""
    parser = subcommands.add_parser(
        "check",
        help="load an app and check it; --deploy lists insecure settings for production",
        description="Load the app and compile its routes; with --deploy, list each insecure setting on "
        "one line (exit 1 if there is any). Run it with the production environment "
        "(COVET_ENV=production and the secrets it will have).",
    )
    parser.set_defaults(command=run_check)
    parser.add_argument("app", metavar="MODULE:APP", help="where the app is, e.g. 'main:app'")
    parser.add_argument("--deploy", action="store_true", help="check the settings for a production server")
    parser.add_argument("--factory", action="store_true", help="APP is a function that returns the app")
    parser.add_argument("--app-dir", default=".", metavar="DIR", help="directory put first on sys.path")


def run_check(args: argparse.Namespace) -> int:
    from covet.app import Covet
    from covet.security.settings import Settings
    from covet.server.importer import AppImportError, AppSpec

    if args.deploy:
        try:
            Settings.from_env()  # what the app will read: a bad secret stops it from starting at all
        except (SecretError, ValueError) as exc:
            print(f"security.settings.invalid: {exc}")
            return 1
    try:
        app = AppSpec(args.app, factory=args.factory, app_dir=args.app_dir).load()
    except AppImportError as exc:
        print(f"covet: {exc}", file=sys.stderr)
        return 2
    if not isinstance(app, Covet):
        print(f"covet: {args.app} is not a Covet app; only Covet apps can be checked", file=sys.stderr)
        return 2
    try:
        app.route_table  # noqa: B018 - compiling the routes reports conflicts
    except ValueError as exc:
        print(f"routing: {exc}")
        return 1
    findings = check_deploy(app_deploy_settings(app)) if args.deploy else []
    for finding in findings:
        print(finding)
    if findings:
        print(f"covet check: {len(findings)} issue(s) found", file=sys.stderr)
        return 1
    print("covet check: no issues found", file=sys.stderr)
    return 0
