"""An app limited to COVET_TEST_RATE (``30/day``) in Redis, its keys under COVET_TEST_RATELIMIT_PREFIX.

Every answer says which worker gave it (``x-worker-pid``), 429s included.
"""

import os

from redis.asyncio import Redis

from covet import Covet
from covet.middleware import BaseHTTPMiddleware, Middleware
from covet.security.ratelimit import RedisRateLimitBackend
from covet.security.throttling import RateLimitMiddleware
from tests.db.conftest import REDIS_URL


class WorkerPid(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        response = await call_next(request)
        response.set_header("x-worker-pid", str(os.getpid()))
        return response


backend = RedisRateLimitBackend(Redis.from_url(REDIS_URL), prefix=os.environ["COVET_TEST_RATELIMIT_PREFIX"])
app = Covet(
    middleware=[
        Middleware(WorkerPid),
        Middleware(
            RateLimitMiddleware, rate=os.environ["COVET_TEST_RATE"], backend=backend,
            exempt_paths=["/health"],
        ),
    ]
)


@app.get("/health")
async def health(request):
    return "ok"


@app.get("/")
async def index(request):
    return "hello"
