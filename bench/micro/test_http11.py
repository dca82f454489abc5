"""http11: parsing a request head as a browser sends it, and encoding a response head."""

from __future__ import annotations

from typing import Any

from bench.micro.kernels import case


def test_parse_browser_request_head(benchmark: Any) -> None:
    run = case("http11", "RequestReader.feed: browser GET, 12 headers + query")
    status, method, path, query, headers, body = run()
    assert (status, method, path, query, body) == (
        0,
        "GET",
        "/api/items",
        b"page=2&sort=name&filter=active",
        b"",
    )
    assert len(headers) == 12
    assert headers[0] == (b"host", b"example.com")
    assert dict(headers)[b"cookie"] == b"session=8f2a7c1e9b4d3f60; theme=dark; consent=yes"
    benchmark(run)


def test_parse_16_pipelined_requests(benchmark: Any) -> None:
    run = case("http11", "RequestReader.feed: 16 pipelined TFB GETs")
    assert run() == (0, 16)
    benchmark(run)


def test_encode_response_head_cached(benchmark: Any) -> None:
    run = case("http11", "encode_response_head: 200 text/plain (head cache hit)")
    assert run() == (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nserver: covet\r\n"
        b"date: Wed, 25 Nov 2026 18:41:01 GMT\r\ncontent-length: 13\r\n\r\n"
    )
    benchmark(run)


def test_encode_response_head_five_headers(benchmark: Any) -> None:
    run = case("http11", "encode_response_head: 200 JSON, 5 headers (uncached)")
    head = run()
    assert head.startswith(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: no-store\r\n"
    )
    assert head.endswith(
        b"\r\nvary: Accept-Encoding\r\nx-request-id: 3f1c9a2e-5b7d-4e8f-9a1b-2c3d4e5f6a7b\r\n"
        b"server: covet\r\ndate: Wed, 25 Nov 2026 18:41:01 GMT\r\ncontent-length: 27\r\n\r\n"
    )
    assert b"\r\nset-cookie: session=8f2a7c1e9b4d3f60; Path=/; HttpOnly; SameSite=Lax\r\n" in head
    benchmark(run)
