"""FastAPI + asyncpg, as TFB's ``fastapi`` entry writes it (all six tests).

As in the entry: ORJSONResponse, the ``queries`` parameter declared as a handler argument, a
prepared statement per request, Jinja2Templates for the fortunes, sorted ids and
``executemany`` for the updates, the pool opened in the lifespan. The changes: the pool gets the
size every app in the comparison gets (the entry divides 1,000 connections by the number of
cores); reads take the ``randomnumber`` column (the entry's ``fetchval`` returns the id) and
updates bind in the statement's order (the entry swaps id and number); ids up to 10,000.
"""

import contextlib
from pathlib import Path
from random import randint, sample

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import ORJSONResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates

from bench.tfb.spec import ADDITIONAL_FORTUNE, dsn, pool_size

READ_ROW_SQL = 'SELECT "id", "randomnumber" FROM "world" WHERE id = $1'
WRITE_ROW_SQL = 'UPDATE "world" SET "randomnumber"=$1 WHERE id=$2'
ADDITIONAL_ROW = list(ADDITIONAL_FORTUNE)

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def get_num_queries(queries):
    try:
        query_count = int(queries)
    except (ValueError, TypeError):
        return 1
    if query_count < 1:
        return 1
    if query_count > 500:
        return 500
    return query_count


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.connection_pool = await asyncpg.create_pool(dsn(), min_size=pool_size(), max_size=pool_size())
    yield
    await app.state.connection_pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/json")
async def json_serialization():
    return ORJSONResponse({"message": "Hello, World!"})


@app.get("/db")
async def single_database_query():
    row_id = randint(1, 10000)
    async with app.state.connection_pool.acquire() as connection:
        number = await connection.fetchval(READ_ROW_SQL, row_id, column=1)
    return ORJSONResponse({"id": row_id, "randomNumber": number})


@app.get("/queries")
async def multiple_database_queries(queries=None):
    num_queries = get_num_queries(queries)
    row_ids = sample(range(1, 10001), num_queries)
    worlds = []
    async with app.state.connection_pool.acquire() as connection:
        statement = await connection.prepare(READ_ROW_SQL)
        for row_id in row_ids:
            number = await statement.fetchval(row_id, column=1)
            worlds.append({"id": row_id, "randomNumber": number})
    return ORJSONResponse(worlds)


@app.get("/fortunes")
async def fortunes(request: Request):
    async with app.state.connection_pool.acquire() as connection:
        rows = await connection.fetch("SELECT * FROM Fortune")
    rows.append(ADDITIONAL_ROW)
    rows.sort(key=lambda row: row[1])
    return templates.TemplateResponse(request, "fortune.html", {"fortunes": rows})


@app.get("/updates")
async def database_updates(queries=None):
    num_queries = get_num_queries(queries)
    ids = sorted(sample(range(1, 10001), num_queries))
    numbers = sorted(sample(range(1, 10001), num_queries))
    updates = list(zip(ids, numbers, strict=True))
    worlds = [{"id": row_id, "randomNumber": number} for row_id, number in updates]
    async with app.state.connection_pool.acquire() as connection:
        statement = await connection.prepare(READ_ROW_SQL)
        for row_id, _ in updates:
            await statement.fetchval(row_id)
        await connection.executemany(WRITE_ROW_SQL, [(number, row_id) for row_id, number in updates])
    return ORJSONResponse(worlds)


@app.get("/plaintext")
async def plaintext():
    return PlainTextResponse(b"Hello, World!")
