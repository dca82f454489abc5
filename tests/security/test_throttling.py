"""Rate limits over HTTP: 429 with Retry-After, buckets by address, route or user, proxies
honoured only when trusted, and one exact limit across two worker processes (Redis)."""

import os
from collections import Counter
from typing import Annotated, Any

import httpx
import pytest
import redis as redis_sync

from covet import Covet, Depends
from covet.middleware import Middleware
from covet.security.authentication import APIKeyAuth, Authentication, hash_api_key
from covet.security.ratelimit import RedisRateLimitBackend
from covet.security.settings import Settings
from covet.security.throttling import RateLimit, RateLimitMiddleware, by_user, client_ip
from covet.testing import AsyncTestClient, TestClient
from tests.db.conftest import REDIS_URL, require_server
from tests.server.covet_process import covet_serve, free_port


def limited_app(settings=None, **options):
    app = Covet(settings=settings, middleware=[Middleware(RateLimitMiddleware, **options)])

    @app.get("/")
    async def index(request):
        return "hello"

    @app.get("/health")
    async def health(request):
        return "ok"

    return app


def test_the_limit_passes_then_refuses_with_retry_after(serve):
    with serve(limited_app(rate="3/minute")) as client:
        answers = [client.get("/") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers[:3]] == ["2", "1", "0"]
    refused = answers[3]
    assert refused.headers["retry-after"] == "20" and refused.headers["ratelimit-limit"] == "3"
    assert refused.text == "too many requests: the limit is 3 per 60 s; retry in 20 s"


def test_exempt_paths_are_not_counted(serve):
    with serve(limited_app(rate="1/minute", exempt_paths=["/health"])) as client:
        assert [client.get("/health").status_code for _ in range(3)] == [200, 200, 200]
        assert [client.get("/").status_code for _ in range(2)] == [200, 429]


def test_each_address_has_its_own_bucket():
    app = limited_app(rate="1/minute")
    first = TestClient(app, client=("203.0.113.7", 5000))
    second = TestClient(app, client=("198.51.100.2", 5000))
    with first, second:
        assert first.get("/").status_code == 200
        assert first.get("/").status_code == 429
        assert second.get("/").status_code == 200


def test_a_spoofed_forwarded_for_is_ignored_without_trusted_proxies():
    app = limited_app(rate="1/minute")
    with TestClient(app, client=("203.0.113.7", 5000)) as client:
        assert client.get("/", headers={"x-forwarded-for": "10.0.0.1"}).status_code == 200
        assert client.get("/", headers={"x-forwarded-for": "10.0.0.2"}).status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_the_key():
    app = limited_app(Settings(trusted_proxies=("10.0.0.0/8",)), rate="1/minute")
    with TestClient(app, client=("10.1.2.3", 5000)) as proxy:
        assert proxy.get("/", headers={"x-forwarded-for": "203.0.113.7"}).status_code == 200
        assert proxy.get("/", headers={"x-forwarded-for": "198.51.100.2"}).status_code == 200
        # The client cannot pick a bucket by prepending hops: the proxy appended the real one.
        assert proxy.get("/", headers={"x-forwarded-for": "1.1.1.1, 203.0.113.7"}).status_code == 429


@pytest.mark.parametrize(
    "peer, forwarded, expected",
    [
        ("203.0.113.7", ["10.0.0.1"], "203.0.113.7"),  # untrusted peer: the header is not its to set
        ("10.0.0.5", ["203.0.113.7"], "203.0.113.7"),
        ("10.0.0.5", ["203.0.113.7, 10.0.0.9"], "203.0.113.7"),  # two proxies of ours
        ("10.0.0.5", ["198.51.100.1", "203.0.113.7"], "203.0.113.7"),  # repeated headers join
        ("10.0.0.5", ["not-an-ip"], "10.0.0.5"),
        ("10.0.0.5", [], "10.0.0.5"),
        ("10.0.0.5", ["10.0.0.8"], "10.0.0.5"),  # nothing but proxies: the nearest one
    ],
)
def test_client_ip_walks_forwarded_for_from_the_nearest_hop(peer, forwarded, expected):
    app = Covet(settings=Settings(trusted_proxies=("10.0.0.0/8",)))
    seen = []

    @app.get("/")
    async def index(request):
        seen.append(client_ip(request, request.app.settings.trusted_proxy_networks))
        return "ok"

    headers = [("x-forwarded-for", value) for value in forwarded]
    with TestClient(app, client=(peer, 5000)) as client:
        client.get("/", headers=headers)
    assert seen == [expected]


def dependency_app():
    login_limit = RateLimit("2/minute")
    shared = RateLimit("2/minute", per_route=False)
    api_keys = {hash_api_key("k1"): {"sub": "u1"}, hash_api_key("k2"): {"sub": "u2"}}
    auth = Authentication([APIKeyAuth(api_keys.get)])
    per_user = RateLimit("1/minute", key=by_user)
    app = Covet()

    @app.post("/login", dependencies=[login_limit])
    async def login(request):
        if request.query_params.get("password") == "right":
            await login_limit.reset(request)
        return "tried"

    @app.post("/other", dependencies=[login_limit])
    async def other(request):
        return "other"

    @app.get("/a", dependencies=[shared])
    async def a(request):
        return "a"

    @app.get("/b", dependencies=[shared])
    async def b(request):
        return "b"

    @app.get("/mine", dependencies=[Depends(auth.current_user), per_user])
    async def mine(user: Annotated[Any, Depends(auth.current_user)]):
        return user["sub"]

    return app


def test_a_route_limit_refuses_with_429_and_retry_after(serve):
    with serve(dependency_app()) as client:
        answers = [client.post("/login") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["retry-after"] == "30"
    assert answers[2].text.startswith("too many requests: the limit is 2 per 60 s")


def test_each_route_counts_apart_unless_the_limit_is_shared(serve):
    with serve(dependency_app()) as client:
        client.post("/login")
        client.post("/login")
        assert client.post("/other").status_code == 200
        assert [client.get(p).status_code for p in ("/a", "/b", "/a")] == [200, 200, 429]


def test_a_successful_login_can_refill_its_bucket(serve):
    with serve(dependency_app()) as client:
        client.post("/login")
        client.post("/login?password=right")
        assert [client.post("/login").status_code for _ in range(3)] == [200, 200, 429]


def test_a_limit_by_user_follows_the_account(serve):
    with serve(dependency_app()) as client:
        assert client.get("/mine", headers={"x-api-key": "k1"}).text == "u1"
        assert client.get("/mine", headers={"x-api-key": "k1"}).status_code == 429
        assert client.get("/mine", headers={"x-api-key": "k2"}).status_code == 200


async def test_the_redis_backend_limits_through_the_middleware(redis, redis_prefix):
    app = limited_app(rate="2/minute", backend=RedisRateLimitBackend(redis, prefix=redis_prefix))
    async with AsyncTestClient(app) as client:
        assert [(await client.get("/")).status_code for _ in range(3)] == [200, 200, 429]
    await redis.delete(*[key async for key in redis.scan_iter(match=redis_prefix + "*")])


@pytest.mark.slow
def test_one_limit_holds_exactly_across_two_worker_processes(monkeypatch, redis_prefix):
    require_server("redis")
    limit, attempts = 30, 50
    monkeypatch.setenv("COVET_TEST_RATELIMIT_PREFIX", redis_prefix)
    monkeypatch.setenv("COVET_TEST_RATE", f"{limit}/day")  # no refill while the test runs
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        with covet_serve(
            "tests.security.apps.ratelimited:app", "--port", str(port), "--workers", "2",
            ready=lambda: httpx.get(f"{url}/health"),
        ):
            answers = [httpx.get(f"{url}/", timeout=5) for _ in range(attempts)]  # a connection each
    finally:
        with redis_sync.Redis.from_url(REDIS_URL) as client:
            for key in client.scan_iter(match=redis_prefix + "*"):
                client.delete(key)
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: limit, 429: attempts - limit}
    workers = {a.headers["x-worker-pid"] for a in answers}
    assert len(workers) == 2, "both workers must have answered for the test to mean anything"
    assert os.getpid() not in {int(pid) for pid in workers}
