"""Starlette + asyncpg, as TFB's ``starlette`` entry writes it (all six tests).

As in the entry: Response objects as the plaintext and JSON endpoints (built once at import),
``parse_qs`` on the raw query string, a prepared statement per request for the queries, Jinja2
for the fortunes, ``executemany`` for the updates. The changes: the pool opens in Starlette's
lifespan rather than at import, with the size every app in the comparison gets; JSONResponse
where the entry has UJSONResponse (no longer in Starlette); the updates sorted by id (concurrent
ones would deadlock otherwise) and bound in the statement's order (the entry swaps them); ids up
to 10,000 (the entry's ``range(1, 10000)`` never picks the last row).
"""

import contextlib
from operator import itemgetter
from pathlib import Path
from random import randint, sample
from urllib.parse import parse_qs

import asyncpg
import jinja2
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Route

from bench.tfb.spec import ADDITIONAL_FORTUNE, dsn, pool_size

READ_ROW_SQL = 'SELECT "randomnumber", "id" FROM "world" WHERE id = $1'
WRITE_ROW_SQL = 'UPDATE "world" SET "randomnumber"=$1 WHERE id=$2'
ADDITIONAL_ROW = list(ADDITIONAL_FORTUNE)

template = jinja2.Template((Path(__file__).parent / "templates" / "fortune.html").read_text())
sort_fortunes_key = itemgetter(1)
connection_pool = None


def get_num_queries(request):
    try:
        query_count = int(parse_qs(request.scope["query_string"])[b"queries"][0])
    except (KeyError, IndexError, ValueError):
        return 1
    if query_count < 1:
        return 1
    if query_count > 500:
        return 500
    return query_count


async def single_database_query(request):
    row_id = randint(1, 10000)
    async with connection_pool.acquire() as connection:
        number = await connection.fetchval(READ_ROW_SQL, row_id)
    return JSONResponse({"id": row_id, "randomNumber": number})


async def multiple_database_queries(request):
    num_queries = get_num_queries(request)
    row_ids = sample(range(1, 10001), num_queries)
    worlds = []
    async with connection_pool.acquire() as connection:
        statement = await connection.prepare(READ_ROW_SQL)
        for row_id in row_ids:
            number = await statement.fetchval(row_id)
            worlds.append({"id": row_id, "randomNumber": number})
    return JSONResponse(worlds)


async def fortunes(request):
    async with connection_pool.acquire() as connection:
        rows = await connection.fetch("SELECT * FROM Fortune")
    rows.append(ADDITIONAL_ROW)
    rows.sort(key=sort_fortunes_key)
    return HTMLResponse(template.render(fortunes=rows))


async def database_updates(request):
    num_queries = get_num_queries(request)
    updates = sorted((row_id, randint(1, 10000)) for row_id in sample(range(1, 10001), num_queries))
    worlds = [{"id": row_id, "randomNumber": number} for row_id, number in updates]
    async with connection_pool.acquire() as connection:
        statement = await connection.prepare(READ_ROW_SQL)
        for row_id, _ in updates:
            await statement.fetchval(row_id)
        await connection.executemany(WRITE_ROW_SQL, [(number, row_id) for row_id, number in updates])
    return JSONResponse(worlds)


@contextlib.asynccontextmanager
async def lifespan(app):
    global connection_pool
    connection_pool = await asyncpg.create_pool(dsn(), min_size=pool_size(), max_size=pool_size())
    try:
        yield
    finally:
        await connection_pool.close()


routes = [
    Route("/json", JSONResponse({"message": "Hello, World!"})),
    Route("/db", single_database_query),
    Route("/queries", multiple_database_queries),
    Route("/fortunes", fortunes),
    Route("/updates", database_updates),
    Route("/plaintext", PlainTextResponse(b"Hello, World!")),
]

app = Starlette(routes=routes, lifespan=lifespan)
