"""covet.staticfiles.StaticFiles: serving a directory safely, as an ASGI app and natively."""

import os

import httpx
import pytest

from covet import Covet, Request
from covet.server import streaming
from covet.staticfiles import StaticFiles
from covet.testing.live import live_server
from tests.servers import exchange


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("static")
    root = base / "public"
    (root / "css").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "css" / "site.css").write_text("body { color: red }")
    (root / "docs" / "index.html").write_text("<h1>docs</h1>")
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "404.html").write_text("<h1>lost</h1>")
    (root / "naïve file.txt").write_text("unicode name")
    (base / "secret.txt").write_text("outside the directory")
    os.symlink(base / "secret.txt", root / "escape.txt")
    os.symlink(root / "css" / "site.css", root / "inside.css")
    return root


@pytest.fixture(scope="module")
def native_app(tree):
    app = Covet()
    static = StaticFiles(directory=tree)
    site = StaticFiles(directory=tree, html=True)

    @app.route("/static/{path:path}", methods=["GET", "HEAD", "POST"])
    async def assets(request: Request):
        return await static.handle(request, request.path_params["path"])

    @app.get("/site/{path:path}")
    async def pages(request: Request):
        return await site.handle(request, request.path_params["path"])

    @app.get("/site/")
    async def home(request: Request):  # {path:path} takes at least one character
        return await site.handle(request, "")

    app.mount("/mounted", StaticFiles(directory=tree, html=True))

    return app


@pytest.fixture(scope="module")
def covet_server(native_app, tree):
    with live_server(native_app) as srv:
        srv.tree = tree
        yield srv


@pytest.fixture(scope="module")
def asgi_server(tree):
    """CovetPy's server running StaticFiles itself as an ASGI app, mounted at /static."""
    with live_server(StaticFiles(directory=tree), root_path="/static") as srv:
        yield srv


@pytest.fixture(params=["native", "asgi-on-covet", "asgi"])
async def client(request, covet_server, asgi_server, tree):
    if request.param == "native":
        async with httpx.AsyncClient(base_url=covet_server.url) as http:
            yield http
    elif request.param == "asgi-on-covet":
        # root_path="/static" means a proxy in front took the prefix off: do as it would.
        async def strip_prefix(outgoing):
            outgoing.url = outgoing.url.copy_with(raw_path=outgoing.url.raw_path.removeprefix(b"/static"))

        hooks = {"request": [strip_prefix]}
        async with httpx.AsyncClient(base_url=asgi_server.url, event_hooks=hooks) as http:
            yield http
    else:
        transport = httpx.ASGITransport(app=StaticFiles(directory=tree), root_path="/static")
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_a_file_is_served_with_its_type_and_caching_headers(client):
    response = await client.get("/static/css/site.css")
    assert response.status_code == 200
    assert response.text == "body { color: red }"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert "etag" in response.headers and "last-modified" in response.headers


async def test_a_revalidation_with_the_etag_is_a_304(client):
    etag = (await client.get("/static/css/site.css")).headers["etag"]
    response = await client.get("/static/css/site.css", headers={"if-none-match": etag})
    assert response.status_code == 304 and response.content == b""


async def test_ranges_work_on_static_files(client):
    response = await client.get("/static/css/site.css", headers={"range": "bytes=0-3"})
    assert response.status_code == 206 and response.text == "body"


async def test_a_percent_encoded_unicode_name_is_found(client):
    response = await client.get("/static/na%C3%AFve%20file.txt")
    assert response.text == "unicode name"


async def test_head_answers_without_a_body(client):
    response = await client.head("/static/css/site.css")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-length"] == "19"


@pytest.mark.parametrize(
    "path",
    ["/static/missing.txt", "/static/css", "/static/css/", "/static/escape.txt",
     "/static/css/../../secret.txt", "/static/%2e%2e/secret.txt", "/static/css/%2e%2e/%2e%2e/secret.txt",
     "/static/..%2fsecret.txt",
     "/static/%00", "/static/css/site.css%00.txt", "/static/..\\secret.txt"],
)
async def test_missing_files_directories_and_escapes_are_404(client, path):
    response = await client.get(path)
    assert response.status_code == 404, path
    assert "outside the directory" not in response.text


async def test_a_symlink_inside_the_directory_is_followed(client):
    assert (await client.get("/static/inside.css")).text == "body { color: red }"


async def test_methods_other_than_get_and_head_are_405(client):
    response = await client.post("/static/css/site.css")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_a_raw_traversal_on_the_wire_is_refused(covet_server, asgi_server):
    for server in (covet_server, asgi_server):
        for target in (b"/static/../secret.txt", b"/static/css/../../secret.txt", b"/static//etc/passwd"):
            request = b"GET " + target + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            with server.connect() as conn:
                reply = exchange(conn, request)
            assert b"outside the directory" not in reply and b"root:" not in reply, target
            assert reply.startswith((b"HTTP/1.1 404", b"HTTP/1.1 400")), target


# -- html mode ---------------------------------------------------------------------------------


async def test_html_mode_serves_index_pages_and_the_404_page(covet_server):
    async with httpx.AsyncClient(base_url=covet_server.url) as http:
        assert (await http.get("/site/")).text == "<h1>home</h1>"
        assert (await http.get("/site/docs/")).text == "<h1>docs</h1>"
        redirect = await http.get("/site/docs", follow_redirects=False)
        assert redirect.status_code == 307 and redirect.headers["location"] == "docs/"
        assert (await http.get("/site/docs", follow_redirects=True)).text == "<h1>docs</h1>"
        missing = await http.get("/site/nope")
        assert missing.status_code == 404 and missing.text == "<h1>lost</h1>"


async def test_without_html_mode_a_directory_is_not_listed(client):
    assert (await client.get("/static/")).status_code == 404


# -- configuration -----------------------------------------------------------------------------


def test_a_missing_directory_is_an_error_at_start_up(tmp_path):
    with pytest.raises(RuntimeError, match="missing or not a directory"):
        StaticFiles(directory=tmp_path / "nope")


async def test_check_dir_false_defers_the_check_to_the_first_request(tmp_path):
    static = StaticFiles(directory=tmp_path / "later", check_dir=False)
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "a.txt").write_text("a")
    transport = httpx.ASGITransport(app=static)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/a.txt")).text == "a"


async def test_follow_symlink_lets_links_out_of_the_directory(tree):
    transport = httpx.ASGITransport(app=StaticFiles(directory=tree, follow_symlink=True))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/escape.txt")).text == "outside the directory"
        assert (await http.get("/../secret.txt")).status_code == 404


async def test_cache_control_is_configurable(tree):
    static = StaticFiles(directory=tree, cache_control="public, max-age=31536000, immutable")
    transport = httpx.ASGITransport(app=static)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/index.html")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_a_websocket_scope_is_refused_with_a_clear_error(tree):
    with pytest.raises(RuntimeError, match="HTTP requests only"):
        await StaticFiles(directory=tree)({"type": "websocket", "path": "/"}, None, None)


# -- mounted -------------------------------------------------------------------------------------


async def test_app_mount_serves_the_directory(serve, native_app):
    async with serve(native_app) as client:
        response = await client.get("/mounted/css/site.css")
        assert response.text == "body { color: red }" and response.headers["cache-control"] == "no-cache"
        assert (await client.get("/mounted/docs/")).text == "<h1>docs</h1>"
        assert (await client.get("/mounted/docs", follow_redirects=True)).text == "<h1>docs</h1>"
        assert (await client.get("/mounted/../secret.txt")).status_code == 404
        assert (await client.get("/mounted/escape.txt")).text == "<h1>lost</h1>"


def test_a_mounted_file_goes_out_with_sendfile(covet_server, monkeypatch):
    calls = []
    real = os.sendfile
    monkeypatch.setattr(streaming.os, "sendfile", lambda *args: calls.append(args) or real(*args))
    big = b"x" * (1024 * 1024)
    (covet_server.tree / "big.bin").write_bytes(big)
    with httpx.Client(base_url=covet_server.url) as http:
        assert http.get("/mounted/big.bin").content == big
    assert calls
