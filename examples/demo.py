"""The demo app `make serve` runs: `python -m covet serve examples.demo:app`."""

from covet import Covet, HTMLResponse, Request

app = Covet()

PAGE = """<!doctype html>
<title>CovetPy</title>
<h1>CovetPy is running</h1>
<p>Try <a href="/hello">/hello</a>, <a href="/json">/json</a>, or POST a body to <code>/echo</code>.</p>
"""


@app.get("/")
async def index(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


@app.get("/hello")
async def hello(request: Request) -> str:
    name = request.query_params.get("name", "world")
    return f"Hello, {name}!"


@app.get("/json")
async def json(request: Request) -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.post("/echo")
async def echo(request: Request) -> bytes:
    return await request.body()
