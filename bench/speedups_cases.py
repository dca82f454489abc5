"""What ``bench/speedups_compare.py`` times for each compiled kernel in ``covet/_speedups``.

A kernel's entry in ``CASES`` is a function that takes the module (compiled or interpreted; the
same function builds the cases for both) and returns ``Case`` objects. A case's ``run`` does one
operation and returns something comparable: the two forms must return equal values, or the
comparison reports a mismatch. To measure a new kernel, write its function and add it to ``CASES``.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import functools
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

MIB = 1024 * 1024

#: A request as TFB's wrk sends it (toolset/wrk/*.sh): Host, Accept, Connection.
TFB_GET = (
    b"GET /plaintext HTTP/1.1\r\n"
    b"Host: tfb-server:8080\r\n"
    b"Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n"
    b"Connection: keep-alive\r\n\r\n"
)
#: A browser's GET with a query string and the usual dozen headers.
BROWSER_GET = (
    b"GET /api/items?page=2&sort=name&filter=active HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    b"Accept-Language: en-GB,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"Referer: https://example.com/api\r\n"
    b"Cookie: session=8f2a7c1e9b4d3f60; theme=dark; consent=yes\r\n"
    b"Connection: keep-alive\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"Sec-Fetch-Dest: document\r\n"
    b"Sec-Fetch-Mode: navigate\r\n"
    b"Sec-Fetch-Site: same-origin\r\n\r\n"
)
JSON_BODY = b'{"name": "widget", "tags": ["a", "b", "c"], "price": 12.5, "stock": 120, "active": true}'
JSON_POST = (
    b"POST /api/items HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(JSON_BODY), JSON_BODY)
)
COMMON = b"server: covet\r\ndate: Wed, 25 Nov 2026 18:41:01 GMT\r\n"


@dataclasses.dataclass
class Case:
    name: str
    run: Callable[[], Any]


def http11_cases(mod: ModuleType) -> list[Case]:
    def reader() -> Any:
        return mod.RequestReader(8 * 1024, 32 * 1024, 100, 16 * MIB)

    def feed_one(data: bytes) -> Callable[[], Any]:
        r = reader()

        def run() -> Any:
            status = r.feed(data)
            head = r.ready.pop()
            return status, head.method, head.path, head.query_string, head.headers, head.take_body()

        return run

    pipelined = TFB_GET * 16
    r16 = reader()

    def feed_pipelined() -> Any:
        status = r16.feed(pipelined)
        count = len(r16.ready)
        r16.ready.clear()
        return status, count

    plain = [(b"content-type", b"text/plain; charset=utf-8")]
    several = [
        (b"content-type", b"application/json"),
        (b"cache-control", b"no-store"),
        (b"set-cookie", b"session=8f2a7c1e9b4d3f60; Path=/; HttpOnly; SameSite=Lax"),
        (b"vary", b"Accept-Encoding"),
        (b"x-request-id", b"3f1c9a2e-5b7d-4e8f-9a1b-2c3d4e5f6a7b"),
    ]
    return [
        Case("RequestReader.feed: TFB GET, 3 headers", feed_one(TFB_GET)),
        Case("RequestReader.feed: browser GET, 12 headers + query", feed_one(BROWSER_GET)),
        Case("RequestReader.feed: POST with 90 B JSON body", feed_one(JSON_POST)),
        Case("RequestReader.feed: 16 pipelined TFB GETs", feed_pipelined),
        Case(
            "encode_response_head: 200 text/plain (head cache hit)",
            lambda: mod.encode_response_head(200, plain, 13, True, False, COMMON),
        ),
        Case(
            "encode_response_head: 200 JSON, 5 headers (uncached)",
            lambda: mod.encode_response_head(200, several, 27, True, False, COMMON),
        ),
    ]


def messages_cases(mod: ModuleType) -> list[Case]:
    from covet._speedups.http11 import RequestReader

    class Plain(mod.BaseResponse):  # type: ignore[misc, name-defined]
        _content_type = (b"content-type", b"text/plain; charset=utf-8")

    class Json(mod.BaseResponse):  # type: ignore[misc, name-defined]
        _content_type = (b"content-type", b"application/json")

        def render(self, content: Any) -> bytes:
            import orjson

            return orjson.dumps(content)

    extra = {"cache-control": "no-store", "x-request-id": "3f1c9a2e", "vary": "Accept-Encoding"}
    reader = RequestReader(8 * 1024, 32 * 1024, 100, 16 * MIB)
    reader.feed(BROWSER_GET)
    head = reader.ready.pop()

    def plain() -> Any:
        r = Plain(b"Hello, World!")
        return r.status_code, r.headers, r.body

    def json() -> Any:
        r = Json({"message": "Hello, World!"})
        return r.status_code, r.headers, r.body

    def with_headers() -> Any:
        r = Plain(b"Hello, World!", headers=extra)
        return r.status_code, r.headers, r.body

    def request() -> Any:
        r = mod.BaseRequest(head, None, None)
        return r.method, r.path, r.query_string, r.http_version, len(r.raw_headers)

    return [
        Case("BaseResponse: plaintext response built", plain),
        Case("BaseResponse: JSON response built (orjson render)", json),
        Case("BaseResponse: plaintext + 3 headers from a dict", with_headers),
        Case("BaseRequest: built, method/path/query/version/headers read", request),
        Case("to_raw_headers: dict of 3", lambda: mod.to_raw_headers(extra)),
    ]


class _Transport:
    """Just enough of an asyncio transport for HttpConnection; keeps the last write."""

    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written = data

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high: int, low: int) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name in ("peername", "sockname") else default


_DATE = re.compile(rb"\r\ndate: [^\r]*\r\n", re.I)


_CONNECTION_LOOPS: list[asyncio.AbstractEventLoop] = []


def _close_loops() -> None:
    for loop in _CONNECTION_LOOPS:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.close()


def connection_cases(mod: ModuleType) -> list[Case]:
    from bench.tfb.app import app
    from covet.server.config import ServerConfig

    def connection() -> tuple[Any, _Transport]:
        async def make() -> Any:
            return mod.HttpConnection(app, app.__covet_handler__(), ServerConfig(), mod.ServerState("covet"))

        # The loop stays open: the first request makes the connection's handler Task on it (it
        # never runs here: every handler finishes inline); it is cancelled at exit.
        loop = asyncio.new_event_loop()
        if not _CONNECTION_LOOPS:
            atexit.register(_close_loops)
        _CONNECTION_LOOPS.append(loop)
        conn = loop.run_until_complete(make())
        transport = _Transport()
        conn.connection_made(transport)
        return conn, transport

    def request(data: bytes) -> Callable[[], Any]:
        conn, transport = connection()

        def run() -> Any:
            conn.data_received(data)
            return _DATE.sub(b"\r\n", transport.written)

        return run

    return [
        Case("HttpConnection.data_received: TFB GET /plaintext, answered", request(TFB_GET)),
        Case("HttpConnection.data_received: 16 pipelined GETs, answered", request(TFB_GET * 16)),
    ]


def router_cases(mod: ModuleType) -> list[Case]:
    from bench.routing import router_cases as cases

    return cases(mod)


def sqlcompile_cases(mod: ModuleType) -> list[Case]:
    from bench.sql_compile import sqlcompile_cases as cases

    return cases(mod)


def sqlnodes_cases(mod: ModuleType) -> list[Case]:
    """Building nodes (what every builder call does). The compiled compiler needs the compiled
    nodes anyway (it reads them as C structs); this shows what compiling them costs or saves."""
    table = mod.TableNode("users")
    columns = [mod.ColumnNode(name) for name in ("id", "name", "age")]
    for column in columns:
        column._attach(table)

    def where() -> Any:
        condition = mod.BoolNode(mod.OP_AND, (
            mod.BinaryNode(mod.OP_GE, columns[2], mod.ParamNode(18)),
            mod.NullTestNode(columns[1], True),
            mod.InListNode(columns[0], (1, 2, 3), False, "bigint"),
        ))
        return condition.kind, condition.code, len(condition.items)

    def statement() -> Any:
        select = mod.SelectNode(
            tuple(columns), (table,), mod.BinaryNode(mod.OP_EQ, columns[0], mod.ParamNode(5)),
            order_by=(mod.OrderNode(columns[1], True),), limit=10,
        )
        return select.kind, select.code, len(select.columns)

    return [
        Case("three predicates ANDed (6 nodes)", where),
        Case("SELECT with WHERE, ORDER BY, LIMIT (4 nodes)", statement),
    ]


def rows_cases(mod: ModuleType) -> list[Case]:
    from covet.db.records import record_class

    names = ("id", "name", "score", "flag", "n")
    cls = record_class(names)
    values = [[i, f"name-{i}", i * 1.5, i % 2 == 0, i * 1_000_003] for i in range(1000)]
    rows = [tuple(v) for v in values]

    class Loaded:
        pass

    class Slotted:
        __slots__ = names

    def in_place() -> Any:
        fetched = mod.records_in_place(list(map(tuple, values)), cls)  # fresh rows, as a driver gives
        return len(fetched), type(fetched[-1]).__name__, fetched[-1]

    def objects(kind: type) -> Callable[[], Any]:
        def run() -> Any:
            built = mod.decode_objects(rows, kind, names)
            return len(built), [getattr(built[-1], name) for name in names]

        return run

    return [
        Case("records_in_place: 1,000 fresh driver rows of 5 columns", in_place),
        Case("decode_records: 1,000 rows of 5 columns (copied)", lambda: mod.decode_records(rows, cls)[-1]),
        Case("decode_dicts: 1,000 rows of 5 columns", lambda: mod.decode_dicts(rows, names)[-1]),
        Case("decode_objects: 1,000 rows into a plain class", objects(Loaded)),
        Case("decode_objects: 1,000 rows into a __slots__ class", objects(Slotted)),
    ]


@functools.cache
def _orm_model() -> type:
    """A five-column model (id, a string, a float, a bool, an int), defined once per process."""
    from covet.orm import BooleanField, CharField, FloatField, IntegerField, Model

    class Item(Model):
        name = CharField(max_length=60)
        price = FloatField()
        active = BooleanField()
        stock = IntegerField()

        class Meta:
            db_table = "bench_item"

    return Item


def orm_rows_cases(mod: ModuleType) -> list[Case]:
    """What every loaded QuerySet does per row: the layout is built as ``Model._layout`` builds it,
    but from ``mod`` (the form being measured), and no database is involved."""
    model = _orm_model()
    fields = model._meta.fields  # type: ignore[attr-defined]
    names = [f.attname for f in fields]
    layout = mod.InstanceLayout(model, names, [f.loader("postgresql") for f in fields])
    rows = [(i, f"item-{i}", i * 1.5, i % 2 == 0, i * 7) for i in range(1000)]

    def load() -> Any:
        built = mod.load_instances(rows, layout, None)
        last = built[-1]
        return len(built), type(last).__name__, [getattr(last, name) for name in names], last._row

    return [Case("load_instances: 1,000 rows of 5 columns into model instances", load)]


class _NoRoundTrip:
    """A Database stand-in for ``pk_get``: no held connection, and a ``fetch_one`` whose
    coroutine is made and closed unrun, so what is timed is the lookup's own steps."""

    def held_connection(self) -> None:
        return None

    async def fetch_one(self, sql: str, params: Any, *, load: Callable[[Any], Any]) -> Any:
        return load((params[0], "item", 1.5, True, 7))


def pk_get_cases(mod: ModuleType) -> list[Case]:
    """``Model.objects.get(pk=…)`` up to the fetch: the keyword read, the cached statement, the
    loader made; then the loader building the instance from a row."""
    from covet.orm.instrumentation import WATCH
    from covet.orm.managers import Manager

    model = _orm_model()
    fields = model._meta.fields  # type: ignore[attr-defined]
    db = _NoRoundTrip()
    manager: Manager[Any] = Manager()
    manager.__set_name__(model, "bench_objects")
    mod.bind(lambda using: db, WATCH)
    layout = model._layout("postgresql")  # type: ignore[attr-defined]
    manager._by_pk = mod.PkGet(db, "SELECT … WHERE id = %s", None, layout, model)  # type: ignore[assignment]

    def start() -> Any:
        coroutine = mod.manager_get(manager, pk=5)
        name = coroutine.cr_code.co_name
        coroutine.close()
        return name

    def load() -> Any:
        item = mod.PkLoader(manager._by_pk, db, 5)((5, "item", 1.5, True, 7))
        return [getattr(item, f.attname) for f in fields]

    return [
        Case("manager_get(pk=5): the fetch coroutine, made and closed unrun", start),
        Case("PkLoader: the instance from its row", load),
    ]


CASES: dict[str, Callable[[ModuleType], list[Case]]] = {
    "http11": http11_cases,
    "messages": messages_cases,
    "connection": connection_cases,
    "router": router_cases,
    "sqlnodes": sqlnodes_cases,
    "sqlcompile": sqlcompile_cases,
    "rows": rows_cases,
    "orm_rows": orm_rows_cases,
    "pk_get": pk_get_cases,
}
