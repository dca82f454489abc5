"""GZipMiddleware: compress when the client accepts it and it pays; never twice, never SSE."""

import gzip
import os
import zlib

import pytest

from covet import Covet, PlainTextResponse, Response, StreamingResponse
from covet.middleware import Middleware
from covet.middleware.gzip import GZipMiddleware, accepts_gzip
from covet.testing import TestClient

TEXT = "All work and no play makes Jack a dull boy. " * 50  # 2,200 bytes, compresses well


def make_app(**options):
    app = Covet(middleware=[Middleware(GZipMiddleware, **options)])

    @app.get("/text")
    async def text(request):
        return PlainTextResponse(TEXT)

    @app.get("/small")
    async def small(request):
        return PlainTextResponse("tiny")

    @app.get("/encoded")
    async def encoded(request):
        return Response(gzip.compress(TEXT.encode()), headers={"content-encoding": "gzip"},
                        media_type="text/plain")

    @app.get("/file")
    async def file(request):
        return PlainTextResponse(TEXT, headers={"accept-ranges": "bytes"})

    @app.get("/image")
    async def image(request):
        return Response(b"\x89PNG" + b"\0" * 2000, media_type="image/png")

    @app.get("/events")
    async def events(request):
        async def stream():
            yield "data: one\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    @app.get("/stream")
    async def stream(request):
        async def parts():
            for i in range(20):
                yield f"part {i}: {TEXT[:200]}\n"

        return StreamingResponse(parts(), media_type="text/plain", content_length=None)

    @app.get("/random")
    async def random_bytes(request):
        return Response(os.urandom(4000), media_type="application/octet-stream")

    return app


def get_raw(client, path, accept="gzip"):
    """The response as sent: without httpx undoing the gzip."""
    with client.stream("GET", path, headers={"accept-encoding": accept}) as reply:
        return reply, b"".join(reply.iter_raw())


def test_a_large_body_is_compressed_for_a_client_that_accepts_gzip(serve):
    with serve(make_app()) as client:
        reply, raw = get_raw(client, "/text")
    assert reply.headers["content-encoding"] == "gzip"
    assert reply.headers["vary"] == "Accept-Encoding"
    assert int(reply.headers["content-length"]) == len(raw) < len(TEXT)
    assert gzip.decompress(raw).decode() == TEXT


def test_a_client_that_does_not_accept_gzip_gets_the_body_as_it_is(serve):
    with serve(make_app()) as client:
        for accept in ("identity", "br", "gzip;q=0", "*;q=0"):
            reply, raw = get_raw(client, "/text", accept)
            assert "content-encoding" not in reply.headers
            assert raw.decode() == TEXT
            assert reply.headers["vary"] == "Accept-Encoding"


def test_a_body_under_the_minimum_size_is_left_alone(serve):
    with serve(make_app(minimum_size=100)) as client:
        reply, raw = get_raw(client, "/small")
    assert (raw, "content-encoding" in reply.headers, "vary" in reply.headers) == (b"tiny", False, False)


def test_a_body_that_is_encoded_already_is_not_compressed_again(serve):
    with serve(make_app()) as client:
        reply, raw = get_raw(client, "/encoded")
    assert reply.headers.get_list("content-encoding") == ["gzip"]
    assert gzip.decompress(raw).decode() == TEXT


@pytest.mark.parametrize("path", ["/image", "/events", "/file"])
def test_excluded_media_types_and_rangeable_files_are_not_compressed(serve, path):
    with serve(make_app(minimum_size=1)) as client:
        reply, _ = get_raw(client, path)
    assert "content-encoding" not in reply.headers


def test_a_streaming_body_is_compressed_chunk_by_chunk(serve):
    with serve(make_app()) as client:
        reply, raw = get_raw(client, "/stream")
    assert reply.headers["content-encoding"] == "gzip"
    assert "content-length" not in reply.headers
    expected = "".join(f"part {i}: {TEXT[:200]}\n" for i in range(20))
    assert gzip.decompress(raw).decode() == expected


def test_each_streamed_chunk_is_flushed_to_the_client():
    with TestClient(make_app()) as client, client.stream(
        "GET", "/stream", headers={"accept-encoding": "gzip"}
    ) as reply:
        first = next(reply.iter_raw())
    # The first chunk can be inflated on its own: the client need not wait for the next.
    text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(first).decode()
    assert text.startswith("part 0: ")


def test_incompressible_bodies_are_sent_as_they_are(serve):
    with serve(make_app()) as client:
        reply, raw = get_raw(client, "/random")
    assert "content-encoding" not in reply.headers
    assert len(raw) == 4000


def test_httpx_decodes_what_it_gets(serve):
    with serve(make_app()) as client:
        assert client.get("/text").text == TEXT


def test_large_bodies_are_compressed_off_the_event_loop_with_the_same_result(serve):
    with serve(make_app(thread_minimum_size=1000)) as client:
        reply, raw = get_raw(client, "/text")
    assert gzip.decompress(raw).decode() == TEXT


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (b"gzip", True),
        (b"deflate, gzip;q=0.5", True),
        (b"GZIP", True),
        (b"x-gzip", True),
        (b"gzip;q=0", False),
        (b"gzip;q=0.0, *;q=1", False),
        (b"br, *", True),
        (b"*;q=0", False),
        (b"identity", False),
        (b"", False),
        (None, False),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(header, accepted):
    assert accepts_gzip(header) is accepted


def test_compresslevel_is_checked():
    with pytest.raises(ValueError, match="compresslevel is 1"):
        GZipMiddleware(make_app().call_endpoint, compresslevel=0)

