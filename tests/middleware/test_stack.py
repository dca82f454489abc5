"""The middleware stack: order, native and pure ASGI layers mixed, and the path each takes."""

import asyncio

import httpx
import pytest
from websockets.sync.client import connect as websocket_connect

from covet import Covet, HTTPException, PlainTextResponse, StreamingResponse
from covet._speedups.router import Dispatcher
from covet.app import NativeStack
from covet.middleware import BaseHTTPMiddleware, Middleware
from covet.middleware.stack import build_stack
from covet.testing import TestClient
from covet.testing.live import live_server
from tests.servers import uvicorn_serving


class Tag(BaseHTTPMiddleware):
    """Native: records the order it sees the request in and tags the response."""

    def __init__(self, app, name):
        super().__init__(app)
        self.name = name

    async def dispatch(self, request, call_next):
        request.path_params.setdefault("_seen", []).append(self.name)
        response = await call_next(request)
        response.headers.append((b"x-tag", self.name.encode()))
        return response


class AsgiTag:
    """Pure ASGI: tags the response through ``send``."""

    def __init__(self, app, name):
        self.app = app
        self.name = name

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-tag", self.name.encode())]
            await send(message)

        await self.app(scope, receive, tagged)


def make_app(*layers):
    app = Covet(middleware=list(layers))

    @app.get("/")
    async def index(request):
        return "index"

    @app.get("/task")
    async def task(request):
        return {"task": id(asyncio.current_task())}

    @app.post("/body")
    async def body(request):
        return await request.body()

    @app.get("/teapot")
    async def teapot(request):
        raise HTTPException(418, "short and stout")

    @app.get("/broken")
    async def broken(request):
        raise RuntimeError("broken handler")

    @app.get("/stream")
    async def stream(request):
        async def parts():
            yield b"a"
            yield b"b"

        return StreamingResponse(parts(), media_type="text/plain")

    @app.websocket("/ws")
    async def ws(websocket):
        await websocket.accept()
        await websocket.send_text("hello")

    return app


def tags(reply):
    return reply.headers.get_list("x-tag")


def test_the_first_middleware_listed_is_the_outermost(serve):
    app = make_app(Middleware(Tag, name="outer"), Middleware(Tag, name="inner"))
    with serve(app) as client:
        # The response passes the inner layer first, so it is tagged first.
        assert tags(client.get("/")) == ["inner", "outer"]


def test_add_middleware_wraps_what_is_there_already(serve):
    app = make_app(Middleware(Tag, name="listed"))
    app.add_middleware(Tag, name="added")
    with serve(app) as client:
        assert tags(client.get("/")) == ["listed", "added"]


def test_the_middleware_decorator_adds_a_native_layer(serve):
    app = make_app()

    @app.middleware("http")
    async def stamp(request, call_next):
        response = await call_next(request)
        response.headers.append((b"x-stamp", b"yes"))
        return response

    with serve(app) as client:
        assert client.get("/").headers["x-stamp"] == "yes"


def test_native_and_asgi_layers_keep_their_order_when_mixed(serve_anywhere):
    app = make_app(
        Middleware(Tag, name="native-outer"),
        Middleware(AsgiTag, name="asgi-middle"),
        Middleware(Tag, name="native-inner"),
    )
    with serve_anywhere(app) as client:
        assert tags(client.get("/")) == ["native-inner", "asgi-middle", "native-outer"]
        assert client.get("/stream").text == "ab"


def test_an_outermost_asgi_middleware_works_on_every_server(serve_anywhere):
    app = make_app(Middleware(AsgiTag, name="asgi"), Middleware(Tag, name="native"))
    with serve_anywhere(app) as client:
        assert tags(client.get("/")) == ["native", "asgi"]
        assert client.get("/").text == "index"


def test_handled_exceptions_reach_middleware_as_responses(serve):
    app = make_app(Middleware(Tag, name="seen"))
    with serve(app) as client:
        reply = client.get("/teapot")
        assert (reply.status_code, reply.text, tags(reply)) == (418, "short and stout", ["seen"])


def test_unhandled_exceptions_propagate_through_call_next():
    caught = []

    class Rollback(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            try:
                return await call_next(request)
            except RuntimeError as exc:
                caught.append(str(exc))
                raise

    app = make_app(Middleware(Rollback))
    reply = TestClient(app, raise_server_exceptions=False).get("/broken")
    assert (reply.status_code, caught) == (500, ["broken handler"])


def test_an_exception_raised_by_a_middleware_is_answered(serve):
    class Guard(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            raise HTTPException(401, "who are you?")

    app = make_app(Middleware(Guard))
    with serve(app) as client:
        reply = client.get("/")
        assert (reply.status_code, reply.text) == (401, "who are you?")


def test_a_body_read_by_middleware_is_still_there_for_the_handler(serve_anywhere):
    class Peek(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            body = await request.body()
            response = await call_next(request)
            response.headers.append((b"x-peeked", b"%d" % len(body)))
            return response

    app = make_app(Middleware(Peek), Middleware(AsgiTag, name="asgi-below"))
    with serve_anywhere(app) as client:
        reply = client.post("/body", content=b"payload")
        assert (reply.content, reply.headers["x-peeked"]) == (b"payload", "7")


def test_native_middleware_adds_no_task_per_request():
    app = make_app(Middleware(Tag, name="a"), Middleware(Tag, name="b"))
    with live_server(app) as server, httpx.Client(base_url=server.url) as client:
        # One keep-alive connection: its requests all run in the connection's one handler Task.
        first, second = client.get("/task").json(), client.get("/task").json()
    assert first == second


def test_websockets_pass_through_the_stack_on_every_server():
    def app():
        return make_app(Middleware(AsgiTag, name="asgi"), Middleware(Tag, name="native"))

    with TestClient(app()).websocket_connect("/ws") as ws:
        assert ws.receive_text() == "hello"
    with live_server(app()) as server, websocket_connect(server.url.replace("http", "ws") + "/ws") as ws:
        assert ws.recv() == "hello"
    with uvicorn_serving(app()) as url, websocket_connect(url.replace("http", "ws") + "/ws") as ws:
        assert ws.recv() == "hello"


def test_the_server_stays_native_unless_the_outermost_layer_is_asgi():
    assert type(make_app().__covet_handler__()) is Dispatcher  # the compiled plain path
    native = make_app(Middleware(Tag, name="n"), Middleware(AsgiTag, name="a")).__covet_handler__()
    assert type(native) is NativeStack
    assert make_app(Middleware(AsgiTag, name="a"), Middleware(Tag, name="n")).__covet_handler__() is None


def test_an_async_exception_handler_moves_a_plain_app_off_the_plain_path():
    app = make_app()

    @app.exception_handler(ValueError)
    async def value_error(request, exc):
        return PlainTextResponse("bad value", status_code=400)

    assert type(app.__covet_handler__()) is NativeStack


def test_middleware_cannot_be_added_once_the_app_serves():
    app = make_app()
    app.__covet_handler__()
    with pytest.raises(RuntimeError, match="after the application has started"):
        app.add_middleware(Tag, name="late")


def test_a_native_middleware_must_say_what_it_does():
    with pytest.raises(TypeError, match="must override dispatch"):
        BaseHTTPMiddleware(make_app().call_endpoint)


def test_middleware_takes_a_class():
    with pytest.raises(TypeError, match="takes a middleware class"):
        Middleware("CORSMiddleware")


def test_middleware_specs_unpack_like_starlettes():
    cls, args, options = Middleware(Tag, name="x")
    assert (cls, args, options) == (Tag, (), {"name": "x"})
    assert repr(Middleware(Tag, name="x")) == "Middleware(Tag, name='x')"


def test_a_stack_of_only_asgi_layers_has_no_native_entry():
    app = make_app()
    stack = build_stack(app, [Middleware(AsgiTag, name="a")])
    assert stack.http is None
