"""BlackSheep + asyncpg, as TFB's ``blacksheep`` entry writes it (all six tests).

As in the entry: module-level route decorators, msgspec for JSON with a ``Result`` struct, a
prepared statement per request, a Jinja2 template for the fortunes, ``executemany`` for the
updates, the pool opened in ``on_start``. The changes: the pool gets the size every app in the
comparison gets (the entry divides 1,900 connections by the number of cores); reads take the
``randomnumber`` column (the entry's ``fetchval`` returns the id); updates are sorted by id
(concurrent ones would deadlock otherwise) and bound in the statement's order (the entry swaps
id and number); ids up to 10,000.
"""

import random
from pathlib import Path

import asyncpg
import blacksheep as bs
import jinja2
import msgspec

from bench.tfb.spec import ADDITIONAL_FORTUNE, dsn, pool_size

READ_ROW_SQL = 'SELECT "id", "randomnumber" FROM "world" WHERE id = $1'
WRITE_ROW_SQL = 'UPDATE "world" SET "randomnumber"=$1 WHERE id=$2'

db_pool = None


async def setup_db(app):
    global db_pool
    db_pool = await asyncpg.create_pool(dsn(), min_size=pool_size(), max_size=pool_size())


async def shutdown_db(app):
    global db_pool
    if db_pool is not None:
        await db_pool.close()
        db_pool = None


fortune_template = jinja2.Template((Path(__file__).parent / "templates" / "fortune.html").read_text())

app = bs.Application()
app.on_start += setup_db
app.on_stop += shutdown_db


def get_num_queries(request):
    try:
        value = request.query.get("queries")
        if value is None:
            return 1
        query_count = int(value[0])
    except (KeyError, IndexError, ValueError):
        return 1
    return min(max(query_count, 1), 500)


ENCODER = msgspec.json.Encoder()
JSON_CONTENT_TYPE = b"application/json"


def jsonify(data, status=200, headers=None):
    return bs.Response(
        status=status,
        headers=headers,
        content=bs.Content(content_type=JSON_CONTENT_TYPE, data=ENCODER.encode(data)),
    )


class Result(msgspec.Struct):
    id: int
    randomNumber: int  # noqa: N815 - the JSON key TFB asks for


@bs.get("/json")
async def json_test(request):
    return jsonify({"message": "Hello, World!"})


@bs.get("/db")
async def single_db_query_test(request):
    row_id = random.randint(1, 10000)
    async with db_pool.acquire() as db_conn:
        number = await db_conn.fetchval(READ_ROW_SQL, row_id, column=1)
    return jsonify(Result(id=row_id, randomNumber=number))


@bs.get("/queries")
async def multiple_db_queries_test(request):
    num_queries = get_num_queries(request)
    row_ids = random.sample(range(1, 10001), num_queries)
    worlds = []
    async with db_pool.acquire() as db_conn:
        statement = await db_conn.prepare(READ_ROW_SQL)
        for row_id in row_ids:
            number = await statement.fetchval(row_id, column=1)
            worlds.append(Result(id=row_id, randomNumber=number))
    return jsonify(worlds)


@bs.get("/fortunes")
async def fortunes_test(request):
    async with db_pool.acquire() as db_conn:
        fortunes = await db_conn.fetch("SELECT * FROM Fortune")
    fortunes.append(list(ADDITIONAL_FORTUNE))
    fortunes.sort(key=lambda row: row[1])
    return bs.html(fortune_template.render(fortunes=fortunes))


@bs.get("/updates")
async def db_updates_test(request):
    num_queries = get_num_queries(request)
    ids = random.sample(range(1, 10001), num_queries)
    updates = sorted(zip(ids, random.sample(range(1, 10001), num_queries), strict=True))
    worlds = [Result(id=row_id, randomNumber=number) for row_id, number in updates]
    async with db_pool.acquire() as db_conn:
        statement = await db_conn.prepare(READ_ROW_SQL)
        for row_id, _ in updates:
            await statement.fetchval(row_id)
        await db_conn.executemany(WRITE_ROW_SQL, [(number, row_id) for row_id, number in updates])
    return jsonify(worlds)


@bs.get("/plaintext")
async def plaintext_test(request):
    return bs.Response(200, content=bs.Content(b"text/plain", b"Hello, World!"))
