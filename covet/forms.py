"""Submitted forms parsed as the body streams in: urlencoded and multipart/form-data (python-multipart).

Files go to ``SpooledTemporaryFile``: in memory up to ``SPOOL_MAX_SIZE``, on disk past it, written
off the event loop. Limits on the number of fields and files and on a text field's size answer 400
or 413 with a message that names the limit to raise.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import AsyncIterable
from tempfile import SpooledTemporaryFile
from typing import IO, Optional, Union
from urllib.parse import unquote_plus

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, QuerystringParser, parse_options_header

from covet.datastructures import FormData, Headers, UploadFile, header_text
from covet.exceptions import HTTPException

MAX_FIELDS = 1000
MAX_FILES = 1000
MAX_PART_SIZE = 1024 * 1024  # the largest text field; files are bounded by the body limit
SPOOL_MAX_SIZE = 1024 * 1024  # an upload larger than this moves from memory to a temporary file

FormItem = tuple[str, Union[str, UploadFile]]


async def parse_form(
    content_type: Optional[str],
    chunks: AsyncIterable[bytes],
    *,
    max_fields: int = MAX_FIELDS,
    max_files: int = MAX_FILES,
    max_part_size: int = MAX_PART_SIZE,
    spool_max_size: int = SPOOL_MAX_SIZE,
) -> FormData:
    """The form in a body of type ``content_type``; an empty form for any other type (as Starlette)."""
    media_type, options = parse_options_header(content_type or "")
    if media_type == b"application/x-www-form-urlencoded":
        reader: _FormReader = _UrlencodedReader(max_fields, max_part_size)
    elif media_type == b"multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise HTTPException(400, "multipart/form-data request without a boundary in its Content-Type")
        reader = _MultipartReader(boundary, max_fields, max_files, max_part_size, spool_max_size)
    else:
        return FormData()
    return await reader.read(chunks)


class _FormReader:
    """What both encodings share: the limits, the fields found so far, feeding the parser."""

    parser: Union[QuerystringParser, MultipartParser]

    def __init__(self, max_fields: int, max_part_size: int) -> None:
        self.max_fields = max_fields
        self.max_part_size = max_part_size
        self.items: list[FormItem] = []
        self.fields = 0
        self.name = bytearray()
        self.value = bytearray()
        self.ended = False

    async def after_chunk(self) -> None:
        """Work the parser's callbacks queued while a chunk was parsed (file writes)."""

    def uploads(self) -> list[UploadFile]:
        return [value for _, value in self.items if isinstance(value, UploadFile)]

    async def read(self, chunks: AsyncIterable[bytes]) -> FormData:
        iterator = aiter(chunks)
        try:
            async for chunk in iterator:
                self.parser.write(chunk)
                await self.after_chunk()
            self.parser.finalize()
            if not self.ended:
                raise HTTPException(400, "the form body ended before its closing boundary")
        except (FormParserError, HTTPException) as exc:
            error = exc if isinstance(exc, HTTPException) else HTTPException(400, f"malformed form: {exc}")
        except BaseException:
            await self.discard()
            raise
        else:
            return await self.finished()
        await self.discard()
        # Read what is left of the body (within the body limit) so that the client, which may
        # still be sending, gets the answer instead of a reset connection.
        with contextlib.suppress(HTTPException):
            async for _ in iterator:
                pass
        raise error

    async def finished(self) -> FormData:
        uploads = self.uploads()
        for upload in uploads:
            await upload.seek(0)
        form = FormData(self.items)
        if uploads:
            # Closes the files when the form is dropped with its request, unless closed before.
            weakref.finalize(form, _close_files, [upload.file for upload in uploads])
        return form

    async def discard(self) -> None:
        for upload in self.uploads():
            await upload.close()

    def count_field(self) -> None:
        self.fields += 1
        if self.fields > self.max_fields:
            raise HTTPException(
                400, f"too many form fields: more than max_fields={self.max_fields}; send fewer or raise it"
            )

    def add_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]
        if len(self.value) > self.max_part_size:
            name = header_text(bytes(self.name))
            raise HTTPException(
                413,
                f"form field {name!r} is larger than max_part_size={self.max_part_size} bytes; "
                "send files as file parts or raise the limit",
            )

    def field_text(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            name = header_text(bytes(self.name))
            raise HTTPException(400, f"form field {name!r} is not valid UTF-8 text") from None


class _UrlencodedReader(_FormReader):
    def __init__(self, max_fields: int, max_part_size: int) -> None:
        super().__init__(max_fields, max_part_size)
        self.parser = QuerystringParser(
            {
                "on_field_start": self.on_field_start,
                "on_field_name": self.on_field_name,
                "on_field_data": self.add_value,
                "on_field_end": self.on_field_end,
                "on_end": self.on_end,
            }
        )

    def on_field_start(self) -> None:
        self.count_field()
        self.name = bytearray()
        self.value = bytearray()

    def on_field_name(self, data: bytes, start: int, end: int) -> None:
        self.name += data[start:end]

    def on_field_end(self) -> None:
        # The parser hands over the raw text; '+' and %XX are decoded here, as UTF-8.
        name = unquote_plus(self.name.decode("latin-1"))
        value = unquote_plus(self.value.decode("latin-1"))
        self.items.append((name, value))

    def on_end(self) -> None:
        self.ended = True


class _MultipartReader(_FormReader):
    def __init__(
        self, boundary: bytes, max_fields: int, max_files: int, max_part_size: int, spool_max_size: int
    ) -> None:
        super().__init__(max_fields, max_part_size)
        self.max_files = max_files
        self.spool_max_size = spool_max_size
        self.files = 0
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.part_headers: list[tuple[bytes, bytes]] = []
        self.upload: Optional[UploadFile] = None
        self.pending: dict[UploadFile, list[bytes]] = {}
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self.on_part_begin,
                "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value,
                "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished,
                "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end,
                "on_end": self.on_end,
            },
        )

    async def after_chunk(self) -> None:
        pending = self.pending
        self.pending = {}
        for upload, pieces in pending.items():
            await upload.write(pieces[0] if len(pieces) == 1 else b"".join(pieces))

    def on_part_begin(self) -> None:
        self.part_headers = []
        self.upload = None
        self.name = bytearray()
        self.value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part_headers.append((bytes(self.header_name).lower(), bytes(self.header_value).strip()))
        self.header_name = bytearray()
        self.header_value = bytearray()

    def on_headers_finished(self) -> None:
        headers = Headers(raw=self.part_headers)
        disposition = headers.get("content-disposition")
        if disposition is None:
            raise HTTPException(400, "a multipart part has no Content-Disposition header")
        _, options = parse_options_header(disposition)
        name = options.get(b"name")
        if name is None:
            raise HTTPException(400, "a multipart part's Content-Disposition has no name")
        self.name = bytearray(name)
        filename = options.get(b"filename")
        if filename is None:
            self.count_field()
            return
        self.files += 1
        if self.files > self.max_files:
            raise HTTPException(
                400, f"too many files: more than max_files={self.max_files}; send fewer or raise the limit"
            )
        spooled = SpooledTemporaryFile(max_size=self.spool_max_size)  # noqa: SIM115 - the form closes it
        self.upload = UploadFile(spooled, size=0, filename=header_text(filename), headers=headers)
        self.items.append((header_text(name), self.upload))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        upload = self.upload
        if upload is None:
            self.add_value(data, start, end)
        else:
            self.pending.setdefault(upload, []).append(data[start:end])

    def on_part_end(self) -> None:
        if self.upload is None:
            self.items.append((header_text(bytes(self.name)), self.field_text(bytes(self.value))))
        self.upload = None

    def on_end(self) -> None:
        self.ended = True


def _close_files(files: list[IO[bytes]]) -> None:
    for file in files:
        file.close()
