"""covet.fileresponse.FileResponse: validators, conditional requests, ranges, downloads, zero-copy."""

import email.utils
import os
import re

import httpx
import pytest

from covet import Covet, Request
from covet.fileresponse import FileResponse, content_disposition, parse_ranges
from covet.server import streaming
from covet.testing.live import live_server
from tests.servers import exchange

SMALL = b"0123456789abcdefghijklmnopqrstuvwxyz"
LARGE = os.urandom(3 * 1024 * 1024 + 17)  # past SMALL_FILE: sent with os.sendfile


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("files")
    (directory / "small.txt").write_bytes(SMALL)
    (directory / "large.bin").write_bytes(LARGE)
    (directory / "empty.txt").write_bytes(b"")
    return directory


@pytest.fixture(scope="module")
def app(files):
    app = Covet()

    @app.get("/files/{name}")
    async def serve(request: Request) -> FileResponse:
        return FileResponse(files / request.path_params["name"])

    @app.get("/download")
    async def download(request: Request) -> FileResponse:
        return FileResponse(files / "small.txt", filename="Résumé \"final\".txt")

    @app.get("/gone")
    async def gone(request: Request) -> FileResponse:
        return FileResponse(files / "small.txt", status_code=410)

    @app.get("/missing")
    async def missing(request: Request) -> FileResponse:
        return FileResponse(files / "nope.txt")

    return app




async def test_a_file_is_sent_whole_with_its_validators(client, files):
    response = await client.get("/files/small.txt")
    assert response.status_code == 200
    assert response.content == SMALL
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == str(len(SMALL))
    assert response.headers["accept-ranges"] == "bytes"
    mtime = os.stat(files / "small.txt").st_mtime
    assert response.headers["last-modified"] == email.utils.formatdate(mtime, usegmt=True)
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', response.headers["etag"])


async def test_a_large_file_arrives_intact(client):
    response = await client.get("/files/large.bin")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == LARGE


async def test_a_file_sent_with_another_status_keeps_its_body(client):
    response = await client.get("/gone", headers={"range": "bytes=0-1"})
    assert response.status_code == 410 and response.content == SMALL  # no ranges but on a 200


async def test_an_empty_file_is_an_empty_200(client):
    response = await client.get("/files/empty.txt")
    assert response.status_code == 200 and response.content == b""


async def test_head_has_the_headers_and_no_body(client):
    response = await client.head("/files/large.bin")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(LARGE))


async def test_if_none_match_and_if_modified_since_give_304(client):
    first = await client.get("/files/small.txt")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in ({"if-none-match": etag}, {"if-none-match": f'"other", W/{etag}'}, {"if-none-match": "*"},
                    {"if-modified-since": modified}):
        response = await client.get("/files/small.txt", headers=headers)
        assert response.status_code == 304, headers
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert "content-type" not in response.headers
    assert (await client.get("/files/small.txt", headers={"if-none-match": '"other"'})).status_code == 200
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert (await client.get("/files/small.txt", headers={"if-modified-since": old})).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    both = {"if-none-match": '"other"', "if-modified-since": modified}
    assert (await client.get("/files/small.txt", headers=both)).status_code == 200


async def test_if_match_and_if_unmodified_since_give_412(client):
    etag = (await client.get("/files/small.txt")).headers["etag"]
    assert (await client.get("/files/small.txt", headers={"if-match": '"other"'})).status_code == 412
    assert (await client.get("/files/small.txt", headers={"if-match": etag})).status_code == 200
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert (await client.get("/files/small.txt", headers={"if-unmodified-since": old})).status_code == 412


@pytest.mark.parametrize(
    "header, expected, content_range",
    [
        ("bytes=0-9", SMALL[0:10], "bytes 0-9/36"),
        ("bytes=30-", SMALL[30:], "bytes 30-35/36"),
        ("bytes=-4", SMALL[-4:], "bytes 32-35/36"),
        ("bytes=5-1000", SMALL[5:], "bytes 5-35/36"),
        ("bytes=0-4,3-9", SMALL[0:10], "bytes 0-9/36"),  # overlapping ranges are merged
    ],
)
async def test_a_single_range_is_a_206(client, header, expected, content_range):
    response = await client.get("/files/small.txt", headers={"range": header})
    assert response.status_code == 206
    assert response.content == expected
    assert response.headers["content-range"] == content_range
    assert response.headers["content-length"] == str(len(expected))


async def test_a_range_of_a_large_file_is_sent_from_its_offset(client):
    start, end = 1_000_001, 2_500_000
    response = await client.get("/files/large.bin", headers={"range": f"bytes={start}-{end}"})
    assert response.status_code == 206
    assert response.content == LARGE[start : end + 1]


async def test_several_ranges_are_a_multipart_byteranges_206(client):
    response = await client.get("/files/small.txt", headers={"range": "bytes=0-1, 10-12, -2"})
    assert response.status_code == 206
    media_type, _, boundary = response.headers["content-type"].partition("; boundary=")
    assert media_type == "multipart/byteranges"
    assert response.headers["content-length"] == str(len(response.content))
    parts = response.content.split(b"--" + boundary.encode())
    assert parts[0] == b"" and parts[-1] == b"--\r\n"
    bodies = []
    for part in parts[1:-1]:
        head, _, body = part.partition(b"\r\n\r\n")
        assert b"content-type: text/plain; charset=utf-8" in head
        bodies.append((re.search(rb"content-range: (.*)", head).group(1).strip(), body.removesuffix(b"\r\n")))
    assert bodies == [(b"bytes 0-1/36", b"01"), (b"bytes 10-12/36", b"abc"), (b"bytes 34-35/36", b"yz")]


async def test_an_unsatisfiable_range_is_a_416_with_the_size(client):
    response = await client.get("/files/small.txt", headers={"range": "bytes=100-200"})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */36"
    assert response.content == b""


@pytest.mark.parametrize("header", ["bytes=9-2", "items=0-1", "bytes=a-b", "bytes=", "bytes=1-2-3"])
async def test_a_range_we_do_not_understand_is_ignored(client, header):
    response = await client.get("/files/small.txt", headers={"range": header})
    assert response.status_code == 200 and response.content == SMALL


async def test_too_many_ranges_are_served_whole(client):
    many = ",".join(f"{n}-{n}" for n in range(0, 36, 2))  # 18 ranges that do not merge
    response = await client.get("/files/small.txt", headers={"range": f"bytes={many}"})
    assert response.status_code == 200 and response.content == SMALL


async def test_if_range_applies_the_range_only_to_the_same_file(client):
    first = await client.get("/files/small.txt")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for validator in (etag, modified):
        response = await client.get("/files/small.txt", headers={"range": "bytes=0-1", "if-range": validator})
        assert response.status_code == 206, validator
    for validator in ('"changed"', f"W/{etag}", "Mon, 01 Jan 2001 00:00:00 GMT"):
        response = await client.get("/files/small.txt", headers={"range": "bytes=0-1", "if-range": validator})
        assert response.status_code == 200 and response.content == SMALL, validator


async def test_a_download_names_the_file_in_ascii_and_utf8(client):
    response = await client.get("/download")
    assert response.headers["content-disposition"] == (
        'attachment; filename="R?sum? \\"final\\".txt"; '
        "filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.txt"
    )


def test_content_disposition_drops_control_characters():
    assert content_disposition("inline", "a\r\nb.txt") == b'inline; filename="ab.txt"'


def test_a_missing_file_is_a_server_error_that_names_it(server, caplog):
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/missing").status_code == 500
    assert "no file at" in caplog.text


async def test_under_asgi_a_missing_file_raises_to_the_server(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        with pytest.raises(FileNotFoundError, match="no file at"):
            await http.get("/missing")


def test_a_directory_is_refused(files):
    with pytest.raises(IsADirectoryError, match="not a regular file"):
        FileResponse(files)


def test_parse_ranges_merges_sorts_and_clamps():
    assert parse_ranges("bytes=10-20, 0-5, 21-30", 100) == [(0, 5), (10, 30)]
    assert parse_ranges("bytes=-500", 100) == [(0, 99)]
    assert parse_ranges("bytes=200-", 100) == []
    assert parse_ranges("bytes=-0", 100) == []
    assert parse_ranges("bytes=0-", 0) == []


def test_the_server_sends_large_files_with_sendfile(server, monkeypatch):
    calls = []
    real = os.sendfile

    def counting(*args):
        calls.append(args[3])
        return real(*args)

    monkeypatch.setattr(streaming.os, "sendfile", counting)
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/files/large.bin").content == LARGE
    assert sum(calls) >= len(LARGE)


def test_over_tls_the_file_is_sent_in_chunks(app, tls_files):
    with live_server(app, **tls_files.server_options) as srv, httpx.Client(
        base_url=srv.url, verify=tls_files.client_context
    ) as http:
        assert http.get("/files/large.bin").content == LARGE
        ranged = http.get("/files/large.bin", headers={"range": "bytes=5-9,100-104"})
        assert ranged.status_code == 206 and b"\r\n\r\n" + LARGE[5:10] in ranged.content


def test_a_client_that_leaves_mid_file_does_not_break_the_server(server):
    with server.connect() as conn:
        conn.sendall(b"GET /files/large.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        conn.recv(1000)
    with server.connect() as conn:
        reply = exchange(conn, b"GET /files/small.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert reply.endswith(SMALL)


def test_keep_alive_goes_on_after_a_file(server):
    with server.connect() as conn:
        request = b"GET /files/large.bin HTTP/1.1\r\nHost: t\r\n\r\n"
        final = b"GET /files/small.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        reply = exchange(conn, request + final)
    assert reply.count(b"HTTP/1.1 200 OK") == 2
    assert LARGE in reply and reply.endswith(SMALL)


# -- ASGI server extensions ----------------------------------------------------------------------


async def run_asgi(response, extensions, headers=()):
    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": list(headers), "extensions": extensions}
    await response(scope, None, send)
    return sent


async def test_pathsend_is_used_when_the_asgi_server_offers_it(files):
    sent = await run_asgi(FileResponse(files / "small.txt"), {"http.response.pathsend": {}})
    assert sent[1] == {"type": "http.response.pathsend", "path": str(files / "small.txt")}


async def test_zerocopysend_is_used_for_ranges_when_offered(files):
    sent = await run_asgi(
        FileResponse(files / "small.txt"), {"http.response.zerocopysend": {}}, [(b"range", b"bytes=2-5")]
    )
    assert sent[0]["status"] == 206
    zerocopy = sent[1]
    assert zerocopy["type"] == "http.response.zerocopysend"
    assert (zerocopy["offset"], zerocopy["count"]) == (2, 4)
    assert zerocopy["file"].closed  # closed once sent
    assert sent[-1] == {"type": "http.response.body", "body": b""}
