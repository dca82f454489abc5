"""Server-side session stores on real Redis, SQLite, PostgreSQL and MariaDB: records keyed by the
id's hash, expiry, and what a store adds over cookies — a rotated or cleared session is dead."""

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from covet import Covet
from covet.db import Database
from covet.middleware import Middleware
from covet.security.session_stores import DatabaseSessionStore, RedisSessionStore, storage_key
from covet.security.sessions import SessionMiddleware, SessionRecord
from covet.security.settings import Settings
from covet.testing import AsyncTestClient
from tests.db.conftest import REDIS_URL, SERVER_URLS, require_server
from tests.security.fakes import Clock
from tests.security.test_sessions import KEY

TABLE_KINDS = ("sqlite", "postgresql", "mysql")


@contextlib.asynccontextmanager
async def open_store(kind: str, tmp_path, redis_prefix: str) -> AsyncIterator[object]:
    """A store of ``kind`` on its real server, emptied (or its table dropped) afterwards."""
    require_server(kind)
    if kind == "redis":
        client = Redis.from_url(REDIS_URL)
        try:
            yield RedisSessionStore(client, prefix=redis_prefix)
        finally:
            keys = [key async for key in client.scan_iter(match=redis_prefix + "*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
        return
    url = f"sqlite:///{tmp_path / 'sessions.db'}" if kind == "sqlite" else SERVER_URLS[kind]
    db = Database(url, pool_min_size=1, pool_max_size=2)
    await db.connect()
    table = f"sessions_{uuid.uuid4().hex[:10]}"
    try:
        table_store = DatabaseSessionStore(db, table=table, clock=Clock())
        await table_store.create_table()
        yield table_store
    finally:
        await db.execute(f"DROP TABLE IF EXISTS {table}")
        await db.disconnect()


@pytest.fixture(params=("redis", *TABLE_KINDS))
async def store(request: pytest.FixtureRequest, tmp_path, redis_prefix) -> AsyncIterator[object]:
    async with open_store(request.param, tmp_path, redis_prefix) as opened:
        yield opened


@pytest.fixture(params=TABLE_KINDS)
async def table_store(request: pytest.FixtureRequest, tmp_path, redis_prefix) -> AsyncIterator[object]:
    async with open_store(request.param, tmp_path, redis_prefix) as opened:
        yield opened


RECORD = SessionRecord("the-session-id", {"user": 7, "cart": [1, 2]}, 1000.0, 1200.0)


async def test_a_record_saves_loads_and_deletes(store):
    assert await store.save(RECORD, 600) == RECORD.id
    assert await store.load(RECORD.id) == RECORD
    await store.delete(RECORD.id)
    assert await store.load(RECORD.id) is None


async def test_saving_again_replaces_the_record(store):
    await store.save(RECORD, 600)
    changed = SessionRecord(RECORD.id, {"user": 8}, 1000.0, 1300.0)
    await store.save(changed, 600)
    assert await store.load(RECORD.id) == changed


async def test_unknown_and_overlong_ids_load_as_nothing(store):
    assert await store.load("no-such-session") is None
    assert await store.load("x" * 10_000) is None


async def test_records_are_kept_under_the_hash_of_the_id_not_the_id(store):
    await store.save(RECORD, 600)
    if isinstance(store, RedisSessionStore):
        assert await store.redis.exists(store.prefix + storage_key(RECORD.id))
        assert not await store.redis.exists(store.prefix + RECORD.id)
        assert 0 < await store.redis.pttl(store.prefix + storage_key(RECORD.id)) <= 600_000
    else:
        keys = await store.db.fetch_all(f"SELECT session_key FROM {store.table.name}", as_tuples=True)
        assert keys == [(storage_key(RECORD.id),)]


async def test_a_table_refuses_expired_rows_and_purges_them(table_store):
    await table_store.save(RECORD, 600)
    await table_store.save(SessionRecord("other", {"a": 1}, 1000.0, 1000.0), 60)
    table_store.clock.now += 61
    assert await table_store.load("other") is None
    assert await table_store.purge_expired() == 1
    assert await table_store.load(RECORD.id) == RECORD


async def test_create_table_can_run_again(table_store):
    await table_store.create_table()
    await table_store.save(RECORD, 600)
    assert await table_store.load(RECORD.id) == RECORD


def login_app(store):
    app = Covet(
        settings=Settings(secret_key=KEY), middleware=[Middleware(SessionMiddleware, backend=store)]
    )

    @app.get("/")
    async def whoami(request):
        return dict(request.session)

    @app.post("/visit")
    async def visit(request):
        request.session["visited"] = True
        return "ok"

    @app.post("/login")
    async def login(request):
        request.session.rotate()
        request.session["user"] = "alice"
        return "ok"

    @app.post("/logout")
    async def logout(request):
        request.session.clear()
        return "ok"

    return app


async def test_session_fixation_a_planted_id_is_worthless_after_login(store):
    app = login_app(store)
    async with AsyncTestClient(app) as attacker, AsyncTestClient(app) as victim:
        await attacker.post("/visit")
        planted = attacker.cookies["session"]
        # The victim's browser sends the planted id (set through a subdomain, say) as it logs in.
        response = await victim.post("/login", headers={"cookie": f"session={planted}"})
        assert response.cookies["session"] != planted
        assert (await victim.get("/")).json() == {"visited": True, "user": "alice"}
        # The attacker's copy of the old id now opens nothing, let alone Alice's session.
        assert (await attacker.get("/")).json() == {}
        assert await store.load(planted) is None


async def test_logout_ends_the_session_for_every_copy_of_its_cookie(store):
    app = login_app(store)
    async with AsyncTestClient(app) as browser, AsyncTestClient(app) as thief:
        await browser.post("/login")
        stolen = {"cookie": f"session={browser.cookies['session']}"}
        assert (await thief.get("/", headers=stolen)).json() == {"user": "alice"}
        await browser.post("/logout")
        assert (await thief.get("/", headers=stolen)).json() == {}
