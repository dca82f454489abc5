"""A CovetPy app is a plain ASGI 3 app: hypercorn serves it, lifespan hooks included."""

import asyncio
import socket
import threading
import time

import httpx
from hypercorn.asyncio import serve
from hypercorn.config import Config

import covet

app = covet.Covet()
events: list[str] = []
app.on_startup.append(lambda: events.append("startup"))
app.on_shutdown.append(lambda: events.append("shutdown"))


@app.get("/hello")
async def hello(request):
    return {"hello": request.query_params.get("name")}


@app.post("/echo")
async def echo(request):
    return await request.body()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_covet_app_under_hypercorn_serves_requests_and_runs_lifespan_hooks():
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.loglevel = "WARNING"
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(
        target=loop.run_until_complete,
        args=(serve(app, config, shutdown_trigger=stop.wait),),
        daemon=True,
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                    reply = client.get("/hello", params={"name": "hypercorn"})
                    echoed = client.post("/echo", content=b"payload")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "hypercorn did not start"
                time.sleep(0.05)
        assert reply.json() == {"hello": "hypercorn"}
        assert echoed.content == b"payload"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
    assert events == ["startup", "shutdown"]
