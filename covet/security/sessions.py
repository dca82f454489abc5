"""Sessions: ``request.session``, kept in a signed (or encrypted) cookie or on the server.

::

    app.add_middleware(SessionMiddleware)                                   # signed cookie
    app.add_middleware(SessionMiddleware, backend=CookieBackend(keys, encrypt=True))
    app.add_middleware(SessionMiddleware, backend=RedisSessionStore(redis), idle_timeout=1800)

    @app.post("/login")
    async def login(request):
        ...                                  # check the password
        request.session.rotate()             # a new session id: a planted one is worthless now
        request.session["user_id"] = user.id

    @app.post("/logout")
    async def logout(request):
        request.session.clear()              # data gone, the stored session deleted, cookie dropped

``request.session`` is a dict of JSON values that notes changes: only a new, changed or rotated
session writes its cookie (and its stored record). Expiry is enforced here, on every read, not
left to the browser: a session older than ``max_age`` (14 days by default) or, with
``idle_timeout``, unused for longer than that is discarded and the request starts afresh. To
keep an active session from idling out, its last-use time is refreshed (a cookie written) at
most once per ``idle_timeout / 10`` seconds.

The cookie is HttpOnly and SameSite=Lax; Secure when the request came over HTTPS, and always
in production (``Settings.environment``) unless ``secure=False`` — behind a TLS-terminating
proxy the app may see plain HTTP. Backends: ``covet.security.session_cookies.CookieBackend``
(the default, keyed by the app's secret key) and the server-side stores in
``covet.security.session_stores`` (Redis, or a table through ``covet.db``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Optional, Protocol

from covet.middleware.base import BaseHTTPMiddleware, CallNext, append_vary
from covet.security.jwt import Seconds, to_seconds

if TYPE_CHECKING:
    from covet.requests import Request
    from covet.responses import Response

__all__ = ["Session", "SessionBackend", "SessionMiddleware", "SessionRecord", "new_session_id"]

DEFAULT_MAX_AGE = timedelta(days=14)


def new_session_id() -> str:
    """256 random bits, URL-safe: what a session id must be (unguessable, no meaning)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SessionRecord:
    """A stored session: its id, its data, when it began and when it was last written.

    ``stale`` says the record was read with an old key (the cookie is re-signed with the current
    one) or must otherwise be written back even if unchanged.
    """

    id: str
    data: dict[str, Any]
    created_at: float
    touched_at: float
    stale: bool = False


class SessionBackend(Protocol):
    """Where sessions live. ``load`` is given the cookie's value and returns the record or None
    (unknown, tampered or unreadable); ``save`` writes a record to be kept ``ttl`` seconds and
    returns the new cookie value; ``delete`` forgets a record (a no-op for cookies, which hold
    everything). Expiry is checked by the middleware on every read whatever the backend keeps."""

    async def load(self, cookie: str) -> Optional[SessionRecord]: ...

    async def save(self, record: SessionRecord, ttl: float) -> str: ...

    async def delete(self, session_id: str) -> None: ...


class Session(MutableMapping[str, Any]):
    """One client's session data, dict-like; see the module docstring for what is written when."""

    __slots__ = (
        "_data", "id", "created_at", "touched_at", "new", "modified", "accessed", "_replaced", "_now"
    )

    def __init__(self, record: Optional[SessionRecord] = None, *, now: float) -> None:
        self._now = now
        self.new = record is None
        if record is None:
            self.id, self._data, self.created_at, self.touched_at = new_session_id(), {}, now, now
        else:
            self.id, self._data = record.id, dict(record.data)
            self.created_at, self.touched_at = record.created_at, record.touched_at
        self.modified = record is not None and record.stale
        self.accessed = False
        #: Ids given up by rotate() or clear(): their stored records are deleted when the response goes.
        self._replaced: list[str] = []

    def __repr__(self) -> str:
        return f"Session(keys={sorted(self._data)!r}, new={self.new}, modified={self.modified})"

    # -- the mapping ---------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.accessed = self.modified = True
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        self.accessed = self.modified = True
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        self.accessed = True
        return iter(self._data)

    def __len__(self) -> int:
        self.accessed = True
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return key in self._data

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def persisted(self) -> bool:
        """Whether this session came from the client (it has a cookie, and a record if stored)."""
        return not self.new and not self._replaced

    def rotate(self) -> None:
        """Keep the data under a new id and invalidate the old one: call it when the user logs in.

        A session id an attacker planted before the login (session fixation) then leads nowhere.
        The new session's ``max_age`` counts from now.
        """
        if not self.new:
            self._replaced.append(self.id)
        self.new = True
        self.id = new_session_id()
        self.created_at = self._now
        self.accessed = self.modified = True

    def clear(self) -> None:
        """Forget everything (logout): the data, the stored record and, unless written again, the cookie."""
        self._data.clear()
        self.rotate()

    def record(self, now: float) -> SessionRecord:
        return SessionRecord(self.id, self._data, self.created_at, now)


class SessionMiddleware(BaseHTTPMiddleware):
    """Loads ``request.session`` from the cookie and writes it back when it changed."""

    def __init__(
        self,
        app: CallNext,
        *,
        backend: Optional[SessionBackend] = None,
        cookie_name: str = "session",
        max_age: Seconds = DEFAULT_MAX_AGE,
        idle_timeout: Optional[Seconds] = None,
        path: str = "/",
        domain: Optional[str] = None,
        secure: Optional[bool] = None,
        httponly: bool = True,
        samesite: Optional[str] = "lax",
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(app)
        self.backend = backend
        self.cookie_name = cookie_name
        self.max_age = to_seconds(max_age)
        self.idle_timeout = None if idle_timeout is None else to_seconds(idle_timeout)
        if self.max_age <= 0 or (self.idle_timeout is not None and self.idle_timeout <= 0):
            raise ValueError("max_age and idle_timeout are positive durations")
        self.path = path
        self.domain = domain
        self.secure = secure
        self.httponly = httponly
        self.samesite = samesite
        self.clock = clock
        # Refreshing the last-use time costs a cookie (and a store write): do it now and then.
        self.refresh_after = None if self.idle_timeout is None else self.idle_timeout / 10

    def backend_for(self, request: Request) -> SessionBackend:
        """The backend; by default a signed cookie keyed by the app's secret key (made on first use)."""
        backend = self.backend
        if backend is None:
            from covet.security.session_cookies import CookieBackend

            backend = self.backend = CookieBackend(request.app.settings.signing_secret())
        return backend

    def cookie_secure(self, request: Request) -> Optional[bool]:
        """Secure: as configured; else always in production, else when the request is HTTPS (None)."""
        if self.secure is None and request.app.settings.production:
            return True
        return self.secure

    async def __call__(self, request: Request) -> Response:
        now = self.clock()
        backend = self.backend_for(request)
        cookie = request.cookies.get(self.cookie_name)
        record = await backend.load(cookie) if cookie else None
        if record is not None and self.expired(record, now):
            await backend.delete(record.id)
            record = None
        session = Session(record, now=now)
        request._session = session
        response = await self.app(request)
        await self.commit(request, session, response, sent_cookie=cookie is not None, now=now)
        return response

    def expired(self, record: SessionRecord, now: float) -> bool:
        if now >= record.created_at + self.max_age:
            return True
        return self.idle_timeout is not None and now >= record.touched_at + self.idle_timeout

    async def commit(
        self, request: Request, session: Session, response: Response, *, sent_cookie: bool, now: float
    ) -> None:
        """Write the session (record and cookie) if it changed; drop the cookie if it emptied."""
        backend = self.backend_for(request)
        for old_id in session._replaced:
            await backend.delete(old_id)
        if session.accessed:
            append_vary(response.headers, b"Cookie")
        if not session._data:
            if sent_cookie and (session.modified or not session.persisted):
                if session.persisted:
                    await backend.delete(session.id)
                self._set_cookie(request, response, "", max_age=0)
            return
        refresh = self.refresh_after is not None and now - session.touched_at >= self.refresh_after
        if not (session.modified or session.new or refresh):
            return
        lifetime = session.created_at + self.max_age - now
        keep = lifetime if self.idle_timeout is None else min(lifetime, self.idle_timeout)
        value = await backend.save(session.record(now), keep)
        self._set_cookie(request, response, value, max_age=int(lifetime))

    def _set_cookie(self, request: Request, response: Response, value: str, *, max_age: int) -> None:
        response.set_cookie(
            self.cookie_name,
            value,
            max_age=max_age,
            path=self.path,
            domain=self.domain,
            secure=self.cookie_secure(request),
            httponly=self.httponly,
            samesite=self.samesite,
        )

