"""The TFB app of ``bench/tfb/app.py`` with its database tests on the engine's SQL layer, no ORM.

``python -m covet serve bench.tfb.app_raw:app``. The same routes, pool and rules as the ORM app:
what separates the two in ``make bench`` is what the ORM costs.
"""

import contextlib
from collections.abc import AsyncIterator

from bench.tfb.app import json, plaintext
from bench.tfb.spec import dsn, pool_size, query_count, random_ids, random_number, render_fortunes
from covet import Covet, HTMLResponse, JSONResponse
from covet.db import Database

READ_WORLD = "SELECT id, randomnumber FROM world WHERE id = %s"
ALL_FORTUNES = "SELECT id, message FROM fortune"
# One statement for all the rows, its text the same for any number of them (so it stays prepared).
WRITE_WORLDS = (
    "UPDATE world SET randomnumber = v.randomnumber "
    "FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::int[]) AS randomnumber) AS v WHERE world.id = v.id"
)

db: Database  # opened by the lifespan, when COVET_TFB_DSN is read


@contextlib.asynccontextmanager
async def lifespan(app: Covet) -> AsyncIterator[None]:
    global db
    db = Database(dsn(), pool_min_size=pool_size(), pool_max_size=pool_size())
    await db.connect()
    try:
        yield
    finally:
        await db.disconnect()


app = Covet(lifespan=lifespan)
app.get("/plaintext")(plaintext)  # the ORM app's: no database in them
app.get("/json")(json)


@app.get("/db")
async def single_query(request):
    id_, number = await db.fetch_one(READ_WORLD, (random_number(),), as_tuples=True)
    return JSONResponse({"id": id_, "randomNumber": number})


@app.get("/queries")
async def multiple_queries(request):
    ids = random_ids(query_count(request.query_params.get("queries")))
    async with db.connection() as conn:
        rows = [await conn.fetch_one(READ_WORLD, (id_,), as_tuples=True) for id_ in ids]
    return JSONResponse([{"id": id_, "randomNumber": number} for id_, number in rows])


@app.get("/fortunes")
async def fortunes(request):
    return HTMLResponse(render_fortunes(await db.fetch_all(ALL_FORTUNES, as_tuples=True)))


@app.get("/updates")
async def updates(request):
    ids = random_ids(query_count(request.query_params.get("queries")))
    numbers = [random_number() for _ in ids]
    async with db.connection() as conn:
        for id_ in ids:
            await conn.fetch_one(READ_WORLD, (id_,), as_tuples=True)
        await conn.execute(WRITE_WORLDS, (ids, numbers))
    worlds = [{"id": id_, "randomNumber": number} for id_, number in zip(ids, numbers, strict=True)]
    return JSONResponse(worlds)
