import httpx

from covet import Covet, JSONResponse, PlainTextResponse
from covet.testing.live import live_server

app = Covet()


@app.get("/plaintext")
async def plaintext(request):
    return PlainTextResponse("Hello, World!")


@app.get("/json")
async def json_route(request):
    return JSONResponse({"message": "Hello, World!"})


def test_plaintext_and_json_with_server_and_date_headers():
    with live_server(app) as srv, httpx.Client(base_url=srv.url) as client:
        r = client.get("/plaintext")
        assert r.status_code == 200
        assert r.text == "Hello, World!"
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert r.headers["server"] == "covet"
        assert r.headers["date"].endswith("GMT")
        r = client.get("/json")
        assert r.json() == {"message": "Hello, World!"}
        assert r.headers["content-type"] == "application/json"
