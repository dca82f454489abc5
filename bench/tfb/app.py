"""TechEmpower Framework Benchmarks app on CovetPy (plaintext and JSON; database tests follow)."""

from covet import Covet, JSONResponse, PlainTextResponse

app = Covet()


@app.get("/plaintext")
async def plaintext(request):
    return PlainTextResponse(b"Hello, World!")


@app.get("/json")
async def json(request):
    return JSONResponse({"message": "Hello, World!"})
