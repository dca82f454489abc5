"""The TechEmpower Framework Benchmarks app on CovetPy, its database tests through the ORM.

``python -m covet serve bench.tfb.app:app``; the database is ``COVET_TFB_DSN`` (set it up with
``python -m bench.tfb.setup``). ``bench/tfb/app_raw.py`` is the same app on the engine's SQL
layer, so the ORM's cost can be read off the difference.
"""

import contextlib
from collections.abc import AsyncIterator

import covet.orm
from bench.tfb.models import Fortune, World
from bench.tfb.spec import dsn, pool_size, query_count, random_ids, random_number, render_fortunes
from covet import Covet, HTMLResponse, JSONResponse, PlainTextResponse
from covet.db import Database


@contextlib.asynccontextmanager
async def lifespan(app: Covet) -> AsyncIterator[None]:
    db = Database(dsn(), pool_min_size=pool_size(), pool_max_size=pool_size())
    await db.connect()
    covet.orm.setup(db)
    try:
        yield
    finally:
        covet.orm.teardown()
        await db.disconnect()


app = Covet(lifespan=lifespan)
get_world = World.objects.get


@app.get("/plaintext")
async def plaintext(request):
    return PlainTextResponse(b"Hello, World!")


@app.get("/json")
async def json(request):
    return JSONResponse({"message": "Hello, World!"})


@app.get("/db")
async def single_query(request):
    world = await get_world(pk=random_number())
    return JSONResponse({"id": world.id, "randomNumber": world.randomNumber})


@app.get("/queries")
async def multiple_queries(request):
    ids = random_ids(query_count(request.query_params.get("queries")))
    async with covet.orm.get_database().connection():  # one connection for the request's queries
        worlds = [await get_world(pk=id_) for id_ in ids]
    return JSONResponse([{"id": world.id, "randomNumber": world.randomNumber} for world in worlds])


@app.get("/fortunes")
async def fortunes(request):
    rows = [(fortune.id, fortune.message) for fortune in await Fortune.objects.all()]
    return HTMLResponse(render_fortunes(rows))


@app.get("/updates")
async def updates(request):
    ids = random_ids(query_count(request.query_params.get("queries")))
    async with covet.orm.get_database().connection():
        worlds = [await get_world(pk=id_) for id_ in ids]
        for world in worlds:
            world.randomNumber = random_number()
        await World.objects.bulk_update(worlds, ["randomNumber"])
    return JSONResponse([{"id": world.id, "randomNumber": world.randomNumber} for world in worlds])
