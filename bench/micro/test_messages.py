"""messages: building a response (status, header list, body) as a handler's return does."""

from __future__ import annotations

from typing import Any

from bench.micro.kernels import case


def test_plaintext_response(benchmark: Any) -> None:
    run = case("messages", "BaseResponse: plaintext response built")
    assert run() == (200, [(b"content-type", b"text/plain; charset=utf-8")], b"Hello, World!")
    benchmark(run)


def test_json_response(benchmark: Any) -> None:
    run = case("messages", "BaseResponse: JSON response built (orjson render)")
    assert run() == (200, [(b"content-type", b"application/json")], b'{"message":"Hello, World!"}')
    benchmark(run)


def test_response_with_three_headers(benchmark: Any) -> None:
    run = case("messages", "BaseResponse: plaintext + 3 headers from a dict")
    assert run() == (
        200,
        [
            (b"cache-control", b"no-store"),
            (b"x-request-id", b"3f1c9a2e"),
            (b"vary", b"Accept-Encoding"),
            (b"content-type", b"text/plain; charset=utf-8"),
        ],
        b"Hello, World!",
    )
    benchmark(run)
