"""covet._speedups.http11, compiled and interpreted: both forms must behave the same."""

from __future__ import annotations

import http
from types import ModuleType

import pytest

from tests import kernels

POST = b"POST / HTTP/1.1\r\nHost: x\r\n"
COMMON = b"server: covet\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
MIB = 1024 * 1024






@pytest.fixture(params=["compiled", "interpreted"])
def http11(request: pytest.FixtureRequest) -> ModuleType:
    return kernels.form("http11", request.param)


def reader(http11: ModuleType, line: int = 8192, header_bytes: int = 32768, count: int = 100,
           body: int = 16 * MIB):
    return http11.RequestReader(line, header_bytes, count, body)


def parse(http11: ModuleType, data: bytes, **limits: int):
    r = reader(http11, **limits)
    return r, r.feed(data)


# -- request heads -----------------------------------------------------------------------------


def test_simple_request_head_is_parsed(http11):
    r, status = parse(http11, b"GET /users?id=7&x=y HTTP/1.1\r\nHost: example\r\nX-Token: AbC\r\n\r\n")
    assert status == 0
    [head] = r.ready
    assert head.method == "GET"
    assert head.target == b"/users?id=7&x=y"
    assert head.path == "/users"
    assert head.raw_path == b"/users"
    assert head.query_string == b"id=7&x=y"
    assert head.headers == [(b"host", b"example"), (b"x-token", b"AbC")]
    assert head.http_version == "1.1"
    assert head.keep_alive is True
    assert head.content_length == -1
    assert head.chunked is False
    assert head.has_body is False
    assert head.complete is True
    assert r.in_head is False


def test_header_values_are_stripped_of_surrounding_whitespace(http11):
    r, status = parse(http11, b"GET / HTTP/1.1\r\nHost: x\r\nX-Token:  \tAbC \t\r\n\r\n")
    assert status == 0
    assert r.ready[0].headers[1] == (b"x-token", b"AbC")


def test_percent_encoded_path_is_decoded_and_raw_path_kept(http11):
    r, status = parse(http11, b"GET /a%20b/%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 0
    assert r.ready[0].path == "/a b/\u00e9"  # percent-decoded, then UTF-8 decoded, as ASGI says
    assert r.ready[0].raw_path == b"/a%20b/%C3%A9"


def test_absolute_form_target_yields_its_path_and_query(http11):
    r, status = parse(http11, b"GET http://example.com/path/x?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert status == 0
    head = r.ready[0]
    assert (head.path, head.raw_path, head.query_string) == ("/path/x", b"/path/x", b"q=1")


def test_absolute_form_target_without_a_path_is_the_root(http11):
    r, status = parse(http11, b"GET https://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert status == 0
    assert r.ready[0].path == "/"


def test_asterisk_form_is_accepted_for_options_only(http11):
    r, status = parse(http11, b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 0 and r.ready[0].path == "*"
    r, status = parse(http11, b"GET * HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 400


@pytest.mark.parametrize(
    ("connection", "version", "keep_alive"),
    [
        ("", "1.1", True),
        ("Connection: close\r\n", "1.1", False),
        ("", "1.0", False),
        ("Connection: keep-alive\r\n", "1.0", True),
    ],
)
def test_keep_alive_follows_version_and_connection_header(http11, connection, version, keep_alive):
    data = f"GET / HTTP/{version}\r\nHost: x\r\n{connection}\r\n".encode()
    r, status = parse(http11, data)
    assert status == 0
    assert r.ready[0].keep_alive is keep_alive
    assert r.ready[0].http_version == version


def test_pipelined_heads_queue_in_arrival_order(http11):
    data = b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\nX-Nth: %d \r\n\r\n" % (i, i) for i in range(5))
    r, status = parse(http11, data)
    assert status == 0
    assert [head.path for head in r.ready] == ["/0", "/1", "/2", "/3", "/4"]
    # Each head's fields are its own, though all came in one read.
    assert [head.headers for head in r.ready] == [[(b"host", b"x"), (b"x-nth", b"%d" % i)] for i in range(5)]


def test_header_names_are_lower_cased_and_values_kept_as_sent(http11):
    r, status = parse(http11, b"GET / HTTP/1.1\r\nHOST: x\r\nX-MiXeD-Case: VaLuE\r\nAccept:\r\n\r\n")
    assert status == 0
    assert r.ready[0].headers == [(b"host", b"x"), (b"x-mixed-case", b"VaLuE"), (b"accept", b"")]
    assert r.ready[0].headers is r.ready[0].headers  # built once


def test_a_head_read_with_a_large_body_keeps_its_fields(http11):
    body = b"b" * 40000
    r, status = parse(http11, POST + b"X-Token: t\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert status == 0
    head = r.ready[0]
    assert head.headers == [(b"host", b"x"), (b"x-token", b"t"), (b"content-length", b"40000")]
    assert head.take_body() == body


def test_content_length_body_is_collected_and_taken_once(http11):
    r, status = parse(http11, POST + b"Content-Length: 10\r\n\r\nhello")
    head = r.ready[0]
    assert status == 0
    assert head.has_body and not head.complete
    assert head.content_length == 10
    assert r.feed(b"world") == 0
    assert head.complete
    assert head.buffered == 5 + 5
    assert head.take_body() == b"helloworld"
    assert head.buffered == 0
    assert head.take_body() == b""
    assert head.body_size == 10


def test_chunked_body_is_decoded_with_extensions_and_trailers_dropped(http11):
    r, status = parse(
        http11,
        POST + b"Transfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
    )
    head = r.ready[0]
    assert status == 0
    assert head.chunked and head.has_body and head.complete
    assert head.take_body() == b"hello world"
    assert (b"x-trailer", b"t") not in head.headers


def test_head_fed_byte_by_byte_parses_like_one_feed(http11):
    data = b"POST /p?q HTTP/1.1\r\nHost: x\r\nA: 1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    whole, _ = parse(http11, data)
    pieces = reader(http11)
    assert all(pieces.feed(data[i : i + 1]) == 0 for i in range(len(data)))
    a, b = whole.ready[0], pieces.ready[0]
    assert (a.method, a.target, a.headers, a.chunked) == (b.method, b.target, b.headers, b.chunked)
    assert a.take_body() == b.take_body() == b"abc"
    assert b.complete


def test_in_head_is_true_only_while_a_head_is_partly_received(http11):
    r = reader(http11)
    assert r.in_head is False
    r.feed(b"GET / HTTP/1.1\r\nHo")
    assert r.in_head is True
    r.feed(b"st: x\r\n\r\n")
    assert r.in_head is False


def test_expect_100_continue_is_flagged(http11):
    r, status = parse(http11, POST + b"Expect: 100-Continue\r\nContent-Length: 3\r\n\r\n")
    assert status == 0
    assert r.ready[0].expect_continue is True


def test_upgrade_request_returns_minus_one_and_the_offset_of_the_new_protocol(http11):
    head = b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n\r\n"
    r, status = parse(http11, head + b"\x81\x00")
    assert status == -1
    assert r.upgrade_offset == len(head)
    assert r.ready[0].upgrade == b"websocket"


def test_has_body_is_true_for_chunked_or_a_positive_length(http11):
    def head(length, chunked):
        return http11.RequestHead("POST", b"/", "/", b"/", b"", [], "1.1", True, length, chunked, False, None)

    assert head(-1, False).has_body is False
    assert head(0, False).has_body is False
    assert head(1, False).has_body is True
    assert head(-1, True).has_body is True


# -- limits ------------------------------------------------------------------------------------


def test_request_target_at_the_limit_is_accepted(http11):
    target = b"/" + b"a" * 99
    r, status = parse(http11, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n", line=100)
    assert status == 0
    assert r.ready[0].target == target


def test_request_target_over_the_limit_is_414(http11):
    r, status = parse(http11, b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: x\r\n\r\n", line=100)
    assert status == 414
    assert r.ready == []


def test_request_target_over_the_limit_in_pieces_is_414(http11):
    r = reader(http11, line=100)
    assert r.feed(b"GET /" + b"a" * 60) == 0
    assert r.feed(b"a" * 60) == 414


def feed_until_refused(r, first: bytes, more: bytes, times: int = 10) -> int:
    status = r.feed(first)
    for _ in range(times):
        if status:
            break
        status = r.feed(more)
    return status


def test_endless_request_line_is_414(http11):
    r = reader(http11, line=100, header_bytes=200)
    assert feed_until_refused(r, b"GET /" + b"a" * 50, b"a" * 50) == 414


def test_header_block_at_the_limit_is_accepted(http11):
    # Each field counts as name + value + 4 (": " and CRLF): 9 for the Host line, 95 for X.
    r, status = parse(http11, b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"v" * 90 + b"\r\n\r\n", header_bytes=104)
    assert status == 0


def test_header_block_over_the_limit_is_431(http11):
    r, status = parse(http11, b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"v" * 91 + b"\r\n\r\n", header_bytes=104)
    assert status == 431


def test_oversized_first_header_arriving_in_pieces_is_431(http11):
    # The request line is complete; it is the header field that never ends.
    r = reader(http11, line=100, header_bytes=200)
    assert feed_until_refused(r, b"GET / HTTP/1.1\r\nX-Big: ", b"v" * 100) == 431, r.reason


def test_header_count_at_the_limit_is_accepted(http11):
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(9))
    r, status = parse(http11, b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n", count=10)
    assert status == 0
    assert len(r.ready[0].headers) == 10


def test_header_count_over_the_limit_is_431(http11):
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(10))
    r, status = parse(http11, b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n", count=10)
    assert status == 431


def test_trailer_fields_over_the_limit_are_431(http11):
    r, status = parse(
        http11,
        POST + b"Transfer-Encoding: chunked\r\n\r\n0\r\nX: " + b"v" * 200 + b"\r\n\r\n",
        header_bytes=100,
    )
    assert status == 431


def test_body_at_the_limit_is_accepted(http11):
    r, status = parse(http11, POST + b"Content-Length: 100\r\n\r\n" + b"b" * 100, body=100)
    assert status == 0
    assert r.ready[0].complete


def test_content_length_over_the_limit_is_413_before_any_body(http11):
    r, status = parse(http11, POST + b"Content-Length: 101\r\n\r\n", body=100)
    assert status == 413
    assert r.ready == []


@pytest.mark.parametrize("length", [2**63 - 1, 2**63, 2**64 - 1])
def test_content_length_too_large_for_a_machine_word_is_413(http11, length):
    r, status = parse(http11, POST + b"Content-Length: %d\r\n\r\n" % length, body=100)
    assert status == 413


def test_chunked_body_over_the_limit_is_413(http11):
    r, status = parse(http11, POST + b"Transfer-Encoding: chunked\r\n\r\n", body=100)
    assert status == 0
    assert r.feed(b"40\r\n" + b"a" * 64 + b"\r\n") == 0
    assert r.feed(b"40\r\n" + b"a" * 64 + b"\r\n") == 413


# -- refusals ----------------------------------------------------------------------------------

REFUSALS = {
    "content-length with transfer-encoding": (
        POST + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", {400}),
    "two content-lengths": (POST + b"Content-Length: 1\r\nContent-Length: 1\r\n\r\n", {400}),
    "content-length list": (POST + b"Content-Length: 1, 1\r\n\r\n", {400}),
    "signed content-length": (POST + b"Content-Length: +1\r\n\r\n", {400}),
    "gzip alone": (POST + b"Transfer-Encoding: gzip\r\n\r\n", {400}),
    "chunked then gzip": (POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n", {400}),
    "gzip then chunked": (POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n", {400, 501}),
    "transfer-encoding twice": (
        POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", {400}),
    "transfer-encoding in 1.0": (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", {400}),
    "no host in 1.1": (b"GET / HTTP/1.1\r\n\r\n", {400}),
    "two hosts": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", {400}),
    "http/2.0": (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", {505}),
    "http/1.2": (b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", {400, 505}),
    "invalid method": (b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    "connect": (b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", {405}),
    "relative target": (b"GET foo HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    "unknown expectation": (POST + b"Expect: teapot\r\nContent-Length: 0\r\n\r\n", {417}),
    "space before colon": (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", {400}),
    "obs-fold": (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", {400}),
    "bare lf": (b"GET / HTTP/1.1\nHost: x\n\n", {400}),
    "bare cr": (b"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", {400}),
    "nul in value": (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", {400}),
    "del in name": (b"GET / HTTP/1.1\r\nHost: x\r\nX\x7f: ab\r\n\r\n", {400}),
    "non-hex chunk size": (POST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", {400}),
    "chunk size overflow": (
        POST + b"Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n", {400}),
    "no crlf after chunk": (
        POST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", {400}),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_malformed_and_ambiguous_requests_are_refused(http11, name):
    data, statuses = REFUSALS[name]
    r = reader(http11)
    status = r.feed(data)
    assert status in statuses, r.reason
    assert r.reason


def test_both_forms_agree_on_every_request_here():
    compiled, interpreted = kernels.compiled("http11"), kernels.interpreted("http11")
    corpus = [data for data, _ in REFUSALS.values()] + [
        b"GET /a%20b?c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET http://h/p HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        POST + b"Content-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\nHost: x\r\n\r\n",
        POST + b"Transfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n",
        POST + b"Content-Length: 9223372036854775808\r\n\r\n",
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ]

    def outcome(module, data):
        r = module.RequestReader(8192, 32768, 100, 16 * MIB)
        try:
            status = r.feed(data)
        except Exception as exc:  # noqa: BLE001 - a crash is an outcome to compare too
            return ("raised", type(exc).__name__)
        heads = [
            (h.method, h.target, h.path, h.raw_path, h.query_string, h.headers, h.http_version,
             h.keep_alive, h.content_length, h.chunked, h.complete, h.take_body())
            for h in r.ready
        ]
        return status, r.reason, heads

    for data in corpus:
        assert outcome(compiled, data) == outcome(interpreted, data), data[:60]


# -- response heads ----------------------------------------------------------------------------


def test_response_head_is_status_headers_common_lines_length_and_blank_line(http11):
    head = http11.encode_response_head(200, [(b"content-type", b"text/plain")], 5, True, False, COMMON)
    assert head == b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n" + COMMON + b"content-length: 5\r\n\r\n"


def test_status_line_carries_the_standard_reason_phrase(http11):
    for status in (200, 404, 413, 431, 505):
        phrase = http.HTTPStatus(status).phrase.encode()
        assert http11.status_line(status) == b"HTTP/1.1 %d %s\r\n" % (status, phrase)


def test_unknown_status_gets_an_empty_reason(http11):
    assert http11.encode_response_head(299, [], 0, True, False, b"").startswith(b"HTTP/1.1 299 \r\n")


@pytest.mark.parametrize("status", [0, 99, 1000, 2**31, 2**40])
def test_status_outside_100_to_999_is_refused_with_value_error(http11, status):
    with pytest.raises(ValueError):
        http11.encode_response_head(status, [], 0, True, False, b"")


def test_framing_headers_from_the_app_are_replaced_by_the_servers(http11):
    headers = [(b"content-length", b"999"), (b"transfer-encoding", b"gzip"), (b"connection", b"upgrade"),
               (b"x-kept", b"1")]
    head = http11.encode_response_head(200, headers, 3, True, False, b"")
    assert head == b"HTTP/1.1 200 OK\r\nx-kept: 1\r\ncontent-length: 3\r\n\r\n"


def test_chunked_body_announces_transfer_encoding(http11):
    head = http11.encode_response_head(200, [], -1, True, False, b"")
    assert head == b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"


def test_close_delimited_body_announces_no_length_and_closes(http11):
    head = http11.encode_response_head(200, [], -2, False, False, b"")
    assert head == b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n"


@pytest.mark.parametrize("status", [101, 204, 304])
def test_responses_without_content_carry_no_content_length(http11, status):
    assert b"content-length" not in http11.encode_response_head(status, [], 0, True, False, b"")


def test_http10_keep_alive_is_announced(http11):
    head = http11.encode_response_head(200, [], 0, True, True, b"")
    assert head.endswith(b"content-length: 0\r\nconnection: keep-alive\r\n\r\n")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (b"x-a", b"a\r\nset-cookie: x=1"),
        (b"x-a", b"a\nb"),
        (b"x-a", b"a\rb"),
        (b"x-a", b"a\x00b"),
        (b"x-a\r\nx-b", b"v"),
        (b"x-a: b\nx-c", b"v"),
        (b"x:a", b"v"),
        (b"x\x00a", b"v"),
    ],
)
def test_header_that_could_split_the_response_is_refused(http11, name, value):
    with pytest.raises(ValueError):
        http11.encode_response_head(200, [(name, value)], 0, True, False, b"")


# -- the two bindings to llhttp agree ----------------------------------------------------------
# Compiled, the reader drives llhttp through C callbacks; interpreted, through httptools. Every
# input below must give the same outcome either way, whole and split at every byte.

AGREEMENT_CASES = [
    b"GET /plain?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Spaces:   \r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n",
    b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    b"POST / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
    b"GET / HTTP/1.1\nHost: a\n\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX-Bad: a\x01b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
    b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET nopath HTTP/1.1\r\nHost: a\r\n\r\n",
    b"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    b"PURGE /cache HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET http://a.example/x/y?q HTTP/1.1\r\nHost: a.example\r\n\r\n",
    b"GET /%E2%82%AC HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
    b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"v" * 300 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(12)) + b"\r\n",
]


def _outcome(http11: ModuleType, pieces: list[bytes]) -> tuple:
    """Everything a connection acts on after feeding ``pieces`` one by one (stops at a refusal)."""
    r = reader(http11, line=64, header_bytes=256, count=10, body=1024)
    status = 0
    for piece in pieces:
        status = r.feed(piece)
        if status:
            break
    heads = [
        (h.method, h.target, h.path, h.raw_path, h.query_string, h.headers, h.http_version,
         h.keep_alive, h.content_length, h.chunked, h.expect_continue, h.upgrade, h.body_size,
         h.complete, b"".join(h.body or ()))
        for h in r.ready
    ]
    # A 431 may name the per-field or the whole-block limit: llhttp tells the compiled binding a
    # field is complete as soon as its line ends, httptools only when the next one starts.
    reason = r.reason if status > 0 and status != 431 else ""
    return status, reason, heads, r.in_head


def _splits(data: bytes) -> list[list[bytes]]:
    return [[data]] + [[data[:i], data[i:]] for i in range(1, len(data))]


@pytest.mark.parametrize("data", AGREEMENT_CASES, ids=lambda d: d[:40].decode("latin-1"))
def test_compiled_and_interpreted_readers_agree_however_the_bytes_arrive(data):
    compiled = kernels.compiled("http11")
    interpreted = kernels.interpreted("http11")
    for pieces in _splits(data):
        assert _outcome(compiled, pieces) == _outcome(interpreted, pieces), pieces


@pytest.mark.parametrize("data", AGREEMENT_CASES, ids=lambda d: d[:40].decode("latin-1"))
def test_compiled_and_interpreted_readers_agree_on_bytes_fed_one_at_a_time(data):
    pieces = [data[i : i + 1] for i in range(len(data))]
    assert _outcome(kernels.compiled("http11"), pieces) == _outcome(kernels.interpreted("http11"), pieces)


def test_both_readers_report_the_same_upgrade_offset():
    data = AGREEMENT_CASES[29]
    offsets = []
    for module in (kernels.compiled("http11"), kernels.interpreted("http11")):
        r = reader(module)
        assert r.feed(data) == -1
        offsets.append(r.upgrade_offset)
    assert offsets[0] == offsets[1] == data.index(b"\x81")
