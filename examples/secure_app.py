"""A login with password + TOTP, a session for the browser, JWTs for the API, and roles.

    python -m covet serve examples.secure_app:app         # then open http://127.0.0.1:8000/

* ``/register`` creates an account (the first one is the admin) and shows the authenticator
  enrolment URI; ``/2fa/confirm`` turns two-factor on with a first code.
* ``/login`` checks the password (argon2id) and a TOTP code (each accepted once), rotates the
  session id and keeps the user in a signed session cookie; at most 5 tries a minute per address.
* Every form carries a CSRF token; ``/admin`` is for the admin role only.
* ``POST /api/token`` trades the same credentials for an access/refresh token pair;
  ``/api/token/refresh`` rotates them (a reused refresh token revokes the login);
  ``/api/me`` and ``/api/admin/users`` take ``Authorization: Bearer <access token>``.

Users live in SQLite through ``covet.db`` (``SECURE_APP_DATABASE``, default ``secure_app.db``);
the signing key comes from ``COVET_SECRET_KEY`` (a random one per process in development).
"""

import contextlib
import dataclasses
import html
import os
from collections.abc import AsyncIterator
from typing import Annotated, Any, Optional

import msgspec

from covet import Covet, Depends, Form, HTMLResponse, JSONResponse, RedirectResponse, Request, Settings
from covet.db import Database, UniqueViolation
from covet.middleware import Middleware
from covet.security.authentication import Authentication, BearerAuth, SessionAuth
from covet.security.csrf import CSRFMiddleware, csrf_input
from covet.security.errors import SecurityError
from covet.security.jwt import JWTCodec
from covet.security.keys import Key
from covet.security.oauth2_login import safe_next_url
from covet.security.otp import TOTP, TOTPVerifier, generate_secret
from covet.security.passwords import PasswordHasher
from covet.security.policies import Authorizer
from covet.security.rbac import RoleRegistry
from covet.security.session_cookies import derive_key
from covet.security.sessions import SessionMiddleware
from covet.security.stores import MemoryKeySet
from covet.security.throttling import RateLimit
from covet.security.tokens import TokenService

ISSUER = "CovetPy secure app"
SCHEMA = """CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    totp_secret TEXT NOT NULL,
    totp_confirmed INTEGER NOT NULL DEFAULT 0,
    role TEXT NOT NULL
)"""


@dataclasses.dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    password_hash: str
    totp_secret: str
    totp_confirmed: bool

    @property
    def roles(self) -> list[str]:  # what RoleRegistry reads
        return [self.role]


class Credentials(msgspec.Struct):
    username: str
    password: str
    code: str


class RefreshRequest(msgspec.Struct):
    refresh_token: str


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}",
        status_code=status_code,
    )


def create_app(database_url: Optional[str] = None) -> Covet:
    """The app, its users in ``database_url`` (SQLite)."""
    settings = Settings.from_env()
    db = Database(database_url or os.environ.get("SECURE_APP_DATABASE", "sqlite:///secure_app.db"))
    hasher = PasswordHasher()
    totp_codes = TOTPVerifier(MemoryKeySet())  # a RedisKeySet with several workers
    signing_key = derive_key(settings.signing_secret(), "secure_app.jwt")
    codec = JWTCodec(Key.hmac(signing_key, kid="app-1"), issuer=ISSUER, audience=ISSUER)
    tokens = TokenService(codec, MemoryKeySet())  # a RedisKeySet of revocations with several workers
    roles = RoleRegistry()
    roles.define("member", {"profile:read"})
    roles.define("admin", {"users:*"}, inherits=["member"])
    login_limit = RateLimit("5/minute")

    async def find_user(query: str, value: Any) -> Optional[User]:
        row = await db.fetch_one(query, (value,))
        if row is None:
            return None
        return User(row["id"], row["username"], row["role"], row["password_hash"], row["totp_secret"],
                    bool(row["totp_confirmed"]))  # fmt: skip

    async def load_user(user_id: Any) -> Optional[User]:
        return await find_user("SELECT * FROM users WHERE id = ?", int(user_id))

    async def user_of_token(claims: dict[str, Any]) -> Optional[User]:
        return await load_user(claims["sub"])

    sessions = SessionAuth(load_user)
    web = Authentication([sessions], authorizer=Authorizer(roles), login_url="/login")
    bearer = BearerAuth(tokens, realm="api", load_user=user_of_token)
    api = Authentication([bearer], authorizer=Authorizer(roles))  # the API: bearer tokens only

    async def check_credentials(username: str, password: str, code: str) -> Optional[User]:
        """The user if the password and a fresh TOTP code are right; no hint of which was wrong."""
        user = await find_user("SELECT * FROM users WHERE username = ?", username)
        password_ok = await hasher.averify(password, user.password_hash if user else None)
        if user is None or not password_ok or not user.totp_confirmed:
            return None
        return user if await totp_codes.verify(str(user.id), TOTP(user.totp_secret), code) else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Covet) -> AsyncIterator[None]:
        async with db:
            await db.execute(SCHEMA)
            yield

    app = Covet(
        settings=settings,
        lifespan=lifespan,
        middleware=[
            Middleware(SessionMiddleware, idle_timeout=3600),
            Middleware(CSRFMiddleware, exempt_paths=["/api/"]),  # the API takes bearer tokens, not cookies
        ],
    )

    # -- pages -------------------------------------------------------------------------------

    @app.get("/")
    async def home(
        request: Request, user: Annotated[Optional[User], Depends(web.optional_user)]
    ) -> HTMLResponse:
        if user is None:
            return page("Welcome", '<p><a href="/register">Register</a> or <a href="/login">log in</a>.</p>')
        admin = ' <a href="/admin">Admin</a>' if user.role == "admin" else ""
        logout = f'<form method="post" action="/logout">{csrf_input(request)}<button>Log out</button></form>'
        return page(f"Hello, {user.username}", f"<p>You are a {user.role}.{admin}</p>{logout}")

    @app.get("/register")
    async def register_form(request: Request) -> HTMLResponse:
        return page("Register", f"""<form method="post">{csrf_input(request)}
            <input name="username" placeholder="username"> <input name="password" type="password">
            <button>Register</button></form>""")

    @app.post("/register")
    async def register(
        request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]
    ) -> HTMLResponse:
        if len(password) < 12:
            return page("Register", "<p>Use a password of at least 12 characters.</p>", status_code=400)
        first = await db.fetch_val("SELECT COUNT(*) FROM users") == 0
        secret = generate_secret()
        try:
            created = await db.execute(
                "INSERT INTO users (username, password_hash, totp_secret, role) VALUES (?, ?, ?, ?)",
                (username, await hasher.ahash(password), secret, "admin" if first else "member"),
            )
        except UniqueViolation:
            return page("Register", "<p>That username is taken.</p>", status_code=409)
        request.session["enrolling"] = created.lastrowid
        uri = TOTP(secret).provisioning_uri(username, issuer=ISSUER)
        return page("Set up two-factor authentication", f"""
            <p>Add this account to your authenticator app (scan it as a QR code, or type the key
            <code id="secret">{secret}</code>):</p><p><code id="uri">{html.escape(uri)}</code></p>
            <form method="post" action="/2fa/confirm">{csrf_input(request)}
            <input name="code" placeholder="123456"> <button>Confirm</button></form>""")

    @app.post("/2fa/confirm")
    async def confirm_totp(request: Request, code: Annotated[str, Form()]) -> HTMLResponse:
        user_id = request.session.get("enrolling")
        user = await load_user(user_id) if user_id is not None else None
        if user is None or not await totp_codes.verify(str(user.id), TOTP(user.totp_secret), code):
            return page("Set up two-factor authentication", "<p>That code is not right.</p>", status_code=400)
        await db.execute("UPDATE users SET totp_confirmed = 1 WHERE id = ?", (user.id,))
        del request.session["enrolling"]
        return page("Two-factor authentication is on", '<p>You can <a href="/login">log in</a> now.</p>')

    @app.get("/login")
    async def login_form(request: Request) -> HTMLResponse:
        return page("Log in", f"""<form method="post">{csrf_input(request)}
            <input name="username"> <input name="password" type="password">
            <input name="code" placeholder="123456"> <button>Log in</button></form>""")

    @app.post("/login", dependencies=[login_limit])
    async def login(
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        code: Annotated[str, Form()],
    ) -> Any:
        user = await check_credentials(username, password, code)
        if user is None:
            return page("Log in", "<p>Wrong username, password or code.</p>", status_code=400)
        await login_limit.reset(request)
        sessions.login(request, user.id)  # a new session id: nothing planted before survives
        return RedirectResponse(safe_next_url(request.query_params.get("next")), status_code=303)

    @app.post("/logout")
    async def logout(request: Request) -> RedirectResponse:
        sessions.logout(request)
        return RedirectResponse("/", status_code=303)

    @app.get("/admin", dependencies=[web.require_role("admin")])
    async def admin_page(request: Request) -> HTMLResponse:
        rows = await db.fetch_all("SELECT username, role FROM users ORDER BY id")
        items = "".join(f"<li>{html.escape(r['username'])} ({r['role']})</li>" for r in rows)
        return page("Users", f"<ul>{items}</ul>")

    # -- the API -----------------------------------------------------------------------------

    @app.post("/api/token", dependencies=[login_limit])
    async def issue_tokens(request: Request, body: Credentials) -> JSONResponse:
        user = await check_credentials(body.username, body.password, body.code)
        if user is None:
            return JSONResponse({"error": "invalid_grant", "error_description": "wrong credentials"}, 400)
        await login_limit.reset(request)
        return JSONResponse(tokens.issue(str(user.id), {"roles": user.roles}).as_response())

    @app.post("/api/token/refresh")
    async def refresh_tokens(body: RefreshRequest) -> JSONResponse:
        try:
            pair = await tokens.refresh(body.refresh_token)  # a reused one revokes the whole login
        except SecurityError as exc:
            return JSONResponse({"error": "invalid_grant", "error_description": str(exc)}, 400)
        return JSONResponse(pair.as_response())

    @app.post("/api/logout", dependencies=[Depends(api.current_user)])
    async def api_logout(body: RefreshRequest) -> JSONResponse:
        await tokens.revoke(body.refresh_token)  # the whole login: its access tokens too
        return JSONResponse({"revoked": True})

    @app.get("/api/me")
    async def me(user: Annotated[User, Depends(api.current_user)]) -> dict[str, Any]:
        return {"id": user.id, "username": user.username, "role": user.role}

    @app.get("/api/admin/users", dependencies=[api.requires("users:list")])
    async def list_users() -> list[dict[str, Any]]:
        rows = await db.fetch_all("SELECT id, username, role FROM users ORDER BY id")
        return [dict(row) for row in rows]

    return app


app = create_app()
