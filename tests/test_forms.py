"""covet.forms and request.form(): urlencoded and multipart, spooled uploads, limits, closing files."""

import asyncio
import hashlib
import os

import pytest

from covet import Covet, Request
from covet.datastructures import UploadFile
from covet.forms import SPOOL_MAX_SIZE
from covet.testing.live import live_server
from tests.servers import exchange

app = Covet()
kept_uploads: list[UploadFile] = []


async def describe(value):
    if isinstance(value, str):
        return value
    data = await value.read()
    return {
        "filename": value.filename,
        "content_type": value.content_type,
        "size": value.size,
        "sha256": hashlib.sha256(data).hexdigest(),
        "in_memory": value._in_memory,
        "part_header": value.headers.get("x-part"),
    }


@app.post("/form")
async def form(request: Request) -> list:
    parsed = await request.form()
    kept_uploads.extend(v for _, v in parsed.multi_items() if isinstance(v, UploadFile))
    return [[key, await describe(value)] for key, value in parsed.multi_items()]


@app.post("/limited")
async def limited(request: Request) -> dict:
    parsed = await request.form(max_fields=2, max_files=1, max_part_size=10)
    return {"keys": list(parsed.keys())}


@app.post("/context")
async def context(request: Request) -> dict:
    async with request.form() as parsed:
        upload = parsed["file"]
        data = await upload.read()
    return {"read": data.decode(), "closed_after_block": upload.file.closed}


@app.post("/body-then-form")
async def body_then_form(request: Request) -> dict:
    raw = await request.body()
    parsed = await request.form()
    return {"raw": raw.decode(), "form": dict(parsed), "again": (await request.form()) is parsed}




async def test_urlencoded_form_keeps_repeated_fields_and_decodes_utf8(client):
    response = await client.post("/form", content=b"a=1&b=x+y&a=%C3%A9&empty=&flag",
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.json() == [["a", "1"], ["b", "x y"], ["a", "é"], ["empty", ""], ["flag", ""]]


async def test_multipart_form_holds_fields_and_files(client):
    files = [
        ("doc", ("report.txt", b"hello upload", "text/plain")),
        ("doc", ("second.bin", b"\x00\x01", "application/octet-stream")),
    ]
    response = await client.post("/form", data={"title": "Résumé"}, files=files)
    data = dict((key, value) for key, value in response.json() if key == "title")
    assert data == {"title": "Résumé"}
    docs = [value for key, value in response.json() if key == "doc"]
    assert [d["filename"] for d in docs] == ["report.txt", "second.bin"]
    assert docs[0]["content_type"] == "text/plain" and docs[0]["size"] == 12
    assert docs[0]["sha256"] == hashlib.sha256(b"hello upload").hexdigest()
    assert all(d["in_memory"] for d in docs)


async def test_a_large_upload_is_spooled_to_disk_intact(client):
    payload = os.urandom(SPOOL_MAX_SIZE * 2 + 123)
    response = await client.post("/form", files={"big": ("big.bin", payload, "application/octet-stream")})
    [[key, value]] = response.json()
    assert key == "big"
    assert value["size"] == len(payload)
    assert value["sha256"] == hashlib.sha256(payload).hexdigest()
    assert value["in_memory"] is False


async def test_uploaded_files_are_closed_once_the_response_is_sent(client):
    kept_uploads.clear()
    big = os.urandom(SPOOL_MAX_SIZE + 1)
    response = await client.post("/form", files={"small": ("s.txt", b"s"), "big": ("b.bin", big)})
    assert response.status_code == 200
    assert len(kept_uploads) == 2
    # The server closes them as it drops the request, just after writing the response.
    for _ in range(100):
        if all(upload.file.closed for upload in kept_uploads):
            break
        await asyncio.sleep(0.01)
    assert [upload.file.closed for upload in kept_uploads] == [True, True]


async def test_form_as_a_context_manager_closes_files_when_the_block_ends(client):
    response = await client.post("/context", files={"file": ("a.txt", b"contents")})
    assert response.json() == {"read": "contents", "closed_after_block": True}


async def test_a_body_read_first_is_parsed_as_the_form_and_the_form_is_kept(client):
    response = await client.post("/body-then-form", data={"k": "v"})
    assert response.json() == {"raw": "k=v", "form": {"k": "v"}, "again": True}


async def test_a_non_form_content_type_gives_an_empty_form(client):
    response = await client.post("/form", json={"a": 1})
    assert response.json() == []


# -- limits and malformed bodies ---------------------------------------------------------------


async def test_too_many_fields_is_a_400_that_names_the_limit(client):
    response = await client.post("/limited", data={"a": "1", "b": "2", "c": "3"})
    assert response.status_code == 400
    assert "max_fields=2" in response.text
    response = await client.post("/limited", content=b"a=1&b=2&c=3",
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400


async def test_too_many_files_is_a_400(client):
    files = [("f", ("1.txt", b"1")), ("f", ("2.txt", b"2"))]
    response = await client.post("/limited", files=files)
    assert response.status_code == 400
    assert "max_files=1" in response.text


async def test_a_text_field_over_max_part_size_is_a_413(client):
    response = await client.post("/limited", files={"name": (None, b"x" * 11)})
    assert response.status_code == 413
    assert "'name'" in response.text and "max_part_size=10" in response.text
    response = await client.post("/limited", content=b"name=" + b"x" * 11,
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


async def test_a_file_may_be_larger_than_max_part_size(client):
    response = await client.post("/limited", files={"f": ("f.bin", b"y" * 100)})
    assert response.json() == {"keys": ["f"]}


MULTIPART = "multipart/form-data; boundary=XyZ"


@pytest.mark.parametrize(
    "content_type, body, message",
    [
        ("multipart/form-data", b"--x\r\n", "without a boundary"),
        (MULTIPART, b"--XyZ\r\nX-Other: 1\r\n\r\nvalue\r\n--XyZ--\r\n", "no Content-Disposition"),
        (MULTIPART, b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--\r\n", "has no name"),
        (MULTIPART, b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nunfinished", "closing boundary"),
        (MULTIPART, b"garbage that is not multipart", "malformed form"),
        (MULTIPART, b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfe\r\n--XyZ--\r\n',
         "not valid UTF-8"),
    ],
)
async def test_a_malformed_multipart_body_is_a_400_with_a_clear_message(client, content_type, body, message):
    response = await client.post("/form", content=body, headers={"content-type": content_type})
    assert response.status_code == 400
    assert message in response.text


async def test_a_part_file_name_in_utf8_and_part_headers_arrive(client):
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="f"; filename="na\xc3\xafve.txt"\r\n'
        b"Content-Type: text/plain\r\nX-Part: yes\r\n\r\n"
        b"data\r\n--XyZ--\r\n"
    )
    response = await client.post("/form", content=body, headers={"content-type": MULTIPART})
    [[key, value]] = response.json()
    assert value["filename"] == "naïve.txt" and value["part_header"] == "yes"


def test_many_tiny_parts_past_the_limit_are_refused_before_the_body_ends(server):
    part = b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n'
    body = part * 1500 + b"--XyZ--\r\n"
    head = (
        b"POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: " + MULTIPART.encode()
        + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
    )
    with server.connect() as conn:
        reply = exchange(conn, head + body)
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert b"max_fields=1000" in reply


def test_a_form_body_over_max_body_size_is_a_413_before_it_is_read():
    small = Covet(max_body_size=1000)

    @small.post("/form")
    async def handler(request: Request) -> str:
        await request.form()
        return "parsed"

    # Only the head is sent: the refusal comes from Content-Length, before any of the body.
    head = (
        b"POST /form HTTP/1.1\r\nHost: t\r\nContent-Type: " + MULTIPART.encode()
        + b"\r\nContent-Length: 5000\r\n\r\n"
    )
    with live_server(small) as srv, srv.connect() as conn:
        reply = exchange(conn, head)
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"max_body_size is 1000" in reply
