"""A CovetPy app that reports which process answered and can be told to take its time."""

import asyncio
import os
from types import SimpleNamespace

from covet import Covet

app = Covet()


@app.get("/")
async def hello(request):
    return "hello"


@app.get("/pid")
async def pid(request):
    return str(os.getpid())


@app.get("/scheme")
async def scheme(request):
    return request.scheme


@app.get("/sleep")
async def sleep(request):
    await asyncio.sleep(float(request.query_params.get("seconds", "1")))
    return "slept"


def create_app():
    return app


nested = SimpleNamespace(app=app)
number = 42
