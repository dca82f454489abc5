"""The database engine against the raw drivers, in one process.

1. **fetch_all, 10,000 rows**: ``Database.fetch_all`` (Records, and ``as_tuples=True``) against
   the raw driver doing the same on one connection — psycopg ``cursor.execute`` + ``fetchall``,
   aiosqlite ``execute_fetchall`` (its one-hop path), aiomysql ``cursor.execute`` + ``fetchall``.
   CovetPy's number includes taking the connection from the pool and giving it back. The forms
   alternate within each round; the ratio is the median of the per-round ratios.
2. **acquire/release under contention**: 100 tasks taking a connection from a pool of 10 and
   giving it back (``async with db.connection()``), against the driver's own pool where there is
   one (psycopg_pool, aiomysql.Pool), and with leak detection (stack capture) on and off.
3. **prepared statements**: one point query repeated on a connection, with statement reuse on
   and off (PostgreSQL server-side prepared statements; SQLite's statement cache).
4. **bulk insert**: 10,000 rows with ``execute_many`` against ``copy_records`` (COPY on PostgreSQL).
5. **statement cost** (PostgreSQL): CPU time of this process per point query while 16 tasks each
   run queries back to back, as under a loaded server: ``Database.fetch_one`` (a pool of 16, a
   checkout per query), the same on a connection each task holds, psycopg's cursor and asyncpg
   (each task on its own connection).
   Wall time mostly waits on the server; the client's CPU per query is what a server spends.

Run: ``python -m bench.db_engine [--backends sqlite,postgresql,mysql] [--rows 10000] [--rounds 15]``.
Servers: ``--postgresql-url`` / ``--mysql-url`` (default: the loopback ones the tests use); a
backend whose server does not answer is reported and skipped. Writes bench/results/db_engine.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import in_turn, write_results  # noqa: E402
from covet.db import Database  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "db_engine.json"
TARGET = 1.15  # fetch_all should stay within this factor of the raw driver
TABLE = "bench_db_engine"
SELECT = f"SELECT id, name, score, flag, n FROM {TABLE}"
DEFAULT_URLS = {
    "postgresql": os.environ.get("COVET_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "mysql": os.environ.get("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


# -- Raw drivers --------------------------------------------------------------------------------


class RawDriver:
    """One driver connection doing the fetch the way its documentation shows, nothing more."""

    def __init__(self, backend: str, url: str) -> None:
        self.backend = backend
        self.config = Database(url).config
        self.conn: Any = None

    async def open(self) -> None:
        c = self.config
        if self.backend == "postgresql":
            import psycopg

            self.conn = await psycopg.AsyncConnection.connect(
                host=c.host, port=c.port, user=c.user, password=c.password, dbname=c.database, autocommit=True
            )
        elif self.backend == "mysql":
            import aiomysql

            self.conn = await aiomysql.connect(
                host=c.host, port=c.port or 3306, user=c.user, password=c.password or "", db=c.database,
                autocommit=True,
            )
        else:
            import aiosqlite

            self.conn = await aiosqlite.connect(c.database, isolation_level=None)

    async def fetch_all(self) -> list[Any]:
        if self.backend == "postgresql":
            cur = self.conn.cursor()
            await cur.execute(SELECT)
            return list(await cur.fetchall())
        if self.backend == "mysql":
            async with self.conn.cursor() as cur:
                await cur.execute(SELECT)
                return list(await cur.fetchall())
        return list(await self.conn.execute_fetchall(SELECT))

    async def close(self) -> None:
        if self.backend == "mysql":
            self.conn.close()
        else:
            await self.conn.close()


async def fill_table(db: Database, rows: int) -> None:
    ph = "?" if db.backend == "sqlite" else "%s"
    double = "DOUBLE PRECISION" if db.backend == "postgresql" else "DOUBLE"
    await db.execute(f"DROP TABLE IF EXISTS {TABLE}")
    await db.execute(
        f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, name VARCHAR(40), score {double},"
        " flag BOOLEAN, n BIGINT)"
    )
    await db.execute_many(
        f"INSERT INTO {TABLE} (id, name, score, flag, n) VALUES ({ph}, {ph}, {ph}, {ph}, {ph})",
        [(i, f"name-{i}", i * 1.5, i % 2 == 0, i * 1_000_003) for i in range(rows)],
    )
    if db.backend == "postgresql":
        await db.execute(f"VACUUM ANALYZE {TABLE}")  # PERF-NOTES: measure reads on a vacuumed table


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    gc.collect()
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def bench_fetch(backend: str, url: str, rows: int, rounds: int) -> dict[str, Any]:
    db = Database(url, pool_min_size=1, pool_max_size=2)
    await db.connect()
    raw = RawDriver(backend, url if backend != "sqlite" else db.url)
    try:
        await fill_table(db, rows)
        await raw.open()
        assert len(await raw.fetch_all()) == rows
        assert len(await db.fetch_all(SELECT)) == rows

        async def records() -> None:
            await db.fetch_all(SELECT)

        async def tuples() -> None:
            await db.fetch_all(SELECT, as_tuples=True)

        forms: dict[str, Callable[[], Awaitable[Any]]] = {
            "raw": raw.fetch_all, "records": records, "tuples": tuples,
        }
        for fn in forms.values():  # warm up: prepared statements, caches
            for _ in range(3):
                await fn()
        times: dict[str, list[float]] = {name: [] for name in forms}
        for i in range(rounds):
            for name in in_turn(list(forms), i):  # rotate who goes first
                times[name].append(await timed(forms[name]))
        ratios = {name: median_ratio(times[name], times["raw"]) for name in ("records", "tuples")}
        return {
            "rows": rows,
            "median_ms": {name: round(statistics.median(t) * 1000, 3) for name, t in times.items()},
            "min_ms": {name: round(min(t) * 1000, 3) for name, t in times.items()},
            "ratio_to_raw": {name: round(value, 3) for name, value in ratios.items()},
        }
    finally:
        await raw.close()
        await db.execute(f"DROP TABLE IF EXISTS {TABLE}")
        await db.disconnect()


# -- Prepared statements ------------------------------------------------------------------------

POINT = f"SELECT id, name, score, flag, n FROM {TABLE} WHERE id = {{ph}}"


def median_ratio(times: list[float], baseline: list[float]) -> float:
    """The median of the per-round ratios (drift between rounds hits both sides alike)."""
    return statistics.median(t / b for t, b in zip(times, baseline, strict=True))


async def bench_prepared(backend: str, url: str, lookups: int, rounds: int) -> dict[str, Any]:
    """The same point query ``lookups`` times on one connection, with and without statement reuse.

    PostgreSQL: server-side prepared statements (prepare_threshold=0) against none
    (prepare_threshold=None). SQLite: sqlite3's statement cache (statement_cache_size=128) against
    none (0). MySQL has nothing to compare: aiomysql binds parameters client-side.
    """
    if backend == "postgresql":
        settings = {"prepared": {"prepare_threshold": 0}, "unprepared": {"prepare_threshold": None}}
    elif backend == "sqlite":
        settings = {"prepared": {"statement_cache_size": 128}, "unprepared": {"statement_cache_size": 0}}
    else:
        return {"skipped": "aiomysql binds parameters client-side: no prepared statements to compare"}
    sql = POINT.format(ph="?" if backend == "sqlite" else "%s")
    dbs = {name: Database(url, pool_min_size=1, pool_max_size=1, **opts) for name, opts in settings.items()}
    for db in dbs.values():
        await db.connect()
    try:
        await fill_table(dbs["unprepared"], lookups)

        async def lookups_on(db: Database) -> None:
            async with db.connection():
                for i in range(lookups):
                    await db.fetch_one(sql, (i,))

        for db in dbs.values():
            await lookups_on(db)  # warm up (and prepare)
        times: dict[str, list[float]] = {name: [] for name in dbs}
        for i in range(rounds):
            for name in in_turn(list(dbs), i):
                times[name].append(await timed(lambda db=dbs[name]: lookups_on(db)))
    finally:
        await dbs["unprepared"].execute(f"DROP TABLE IF EXISTS {TABLE}")
        for db in dbs.values():
            await db.disconnect()
    return {
        "lookups": lookups,
        "us_per_lookup": {name: round(statistics.median(t) / lookups * 1e6, 2) for name, t in times.items()},
        "prepared_over_unprepared": round(median_ratio(times["prepared"], times["unprepared"]), 3),
    }


# -- Bulk insert --------------------------------------------------------------------------------


async def bench_bulk(backend: str, url: str, rows: int, rounds: int) -> dict[str, Any]:
    """``rows`` rows into an empty table: ``execute_many`` against ``copy_records`` (COPY on
    PostgreSQL; the same batched multi-row INSERT elsewhere, so there the two should match)."""
    ph = ", ".join(["?" if backend == "sqlite" else "%s"] * 5)
    data = [(i, f"name-{i}", i * 1.5, i % 2 == 0, i * 1_000_003) for i in range(rows)]
    columns = ["id", "name", "score", "flag", "n"]
    table = f"{TABLE}_bulk"
    double = "DOUBLE PRECISION" if backend == "postgresql" else "DOUBLE"
    async with Database(url, pool_min_size=1, pool_max_size=1) as db:

        async def fresh() -> None:
            await db.execute(f"DROP TABLE IF EXISTS {table}")
            await db.execute(
                f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(40), score {double},"
                " flag BOOLEAN, n BIGINT)"
            )

        insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({ph})"
        forms: dict[str, Callable[[], Awaitable[Any]]] = {
            "execute_many": lambda: db.execute_many(insert, data),
            "copy_records": lambda: db.copy_records(table, columns, data),
        }
        times: dict[str, list[float]] = {name: [] for name in forms}
        try:
            for i in range(rounds):
                for name in in_turn(list(forms), i):
                    await fresh()
                    times[name].append(await timed(forms[name]))
        finally:
            await db.execute(f"DROP TABLE IF EXISTS {table}")
    return {
        "rows": rows,
        "median_ms": {name: round(statistics.median(t) * 1000, 2) for name, t in times.items()},
        "copy_over_execute_many": round(median_ratio(times["copy_records"], times["execute_many"]), 3),
    }


# -- Acquire/release under contention ----------------------------------------------------------


async def contention(acquire_release: Callable[[], Awaitable[None]], tasks: int, per_task: int) -> float:
    """µs per acquire+release with ``tasks`` tasks competing."""

    async def worker() -> None:
        for _ in range(per_task):
            await acquire_release()

    gc.collect()
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return (time.perf_counter() - start) / (tasks * per_task) * 1e6


async def bench_pool(backend: str, url: str, tasks: int, per_task: int, rounds: int) -> dict[str, Any]:
    results: dict[str, list[float]] = {}
    stats: dict[str, Any] = {}

    async def run_covet(label: str, **options: Any) -> None:
        async with Database(url, pool_min_size=10, pool_max_size=10, acquire_timeout=60, **options) as db:

            async def cycle() -> None:
                async with db.connection():
                    await asyncio.sleep(0)  # yield while holding it, as real work would

            await contention(cycle, tasks, 5)  # warm up
            for _ in range(rounds):
                results.setdefault(label, []).append(await contention(cycle, tasks, per_task))
            s = db.pool_stats()
            stats[label] = {"acquire_p50_ms": s.acquire_p50_ms, "acquire_p99_ms": s.acquire_p99_ms}

    await run_covet("covet (leak detection on)")
    await run_covet("covet (leak detection off)", leak_threshold=None)

    config = Database(url).config
    if backend == "postgresql":
        import psycopg_pool

        pool = psycopg_pool.AsyncConnectionPool(
            kwargs={"host": config.host, "port": config.port, "user": config.user, "dbname": config.database,
                    "autocommit": True},
            min_size=10, max_size=10, open=False, timeout=60,
        )
        await pool.open(wait=True)

        async def psycopg_cycle() -> None:
            async with pool.connection():
                await asyncio.sleep(0)

        await contention(psycopg_cycle, tasks, 5)
        results["psycopg_pool (raw)"] = [
            await contention(psycopg_cycle, tasks, per_task) for _ in range(rounds)
        ]
        await pool.close()
    elif backend == "mysql":
        import aiomysql

        mpool = await aiomysql.create_pool(
            host=config.host, port=config.port or 3306, user=config.user, password=config.password or "",
            db=config.database, minsize=10, maxsize=10, autocommit=True,
        )

        async def aiomysql_cycle() -> None:
            async with mpool.acquire():
                await asyncio.sleep(0)

        await contention(aiomysql_cycle, tasks, 5)
        results["aiomysql.Pool (raw)"] = [
            await contention(aiomysql_cycle, tasks, per_task) for _ in range(rounds)
        ]
        mpool.close()
        await mpool.wait_closed()
    return {
        "tasks": tasks,
        "pool_size": 10,
        "us_per_acquire_release": {k: round(statistics.median(v), 2) for k, v in results.items()},
        "acquire_wait": stats,
    }


# -- Main ---------------------------------------------------------------------------------------


# -- Statement cost (PostgreSQL) ------------------------------------------------------------------

STATEMENT_TASKS = 16


async def cpu_per_query(workers: list[Callable[[int], Awaitable[None]]], per_task: int) -> float:
    """Process CPU seconds per query while every worker runs ``per_task`` queries at once."""
    start = time.process_time()
    await asyncio.gather(*(work(per_task) for work in workers))
    return (time.process_time() - start) / (len(workers) * per_task)


async def bench_statement_cost(url: str, lookups: int, rounds: int) -> dict[str, Any]:
    import asyncpg
    import psycopg

    sql = POINT.format(ph="%s")
    db = Database(url, pool_min_size=STATEMENT_TASKS, pool_max_size=STATEMENT_TASKS)
    await db.connect()
    await fill_table(db, lookups)
    raw_conns = [await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in range(STATEMENT_TASKS)]
    peer_conns = [await asyncpg.connect(url) for _ in range(STATEMENT_TASKS)]
    peer_sql = POINT.format(ph="$1")

    def covet_worker(_: int) -> Callable[[int], Awaitable[None]]:
        async def work(n: int) -> None:
            for i in range(n):
                await db.fetch_one(sql, (i % lookups,))
        return work

    def covet_held_worker(_: int) -> Callable[[int], Awaitable[None]]:
        async def work(n: int) -> None:
            async with db.connection() as conn:
                for i in range(n):
                    await conn.fetch_one(sql, (i % lookups,))
        return work

    def psycopg_worker(k: int) -> Callable[[int], Awaitable[None]]:
        cur = raw_conns[k].cursor()

        async def work(n: int) -> None:
            for i in range(n):
                await cur.execute(sql, (i % lookups,))
                await cur.fetchone()
        return work

    def asyncpg_worker(k: int) -> Callable[[int], Awaitable[None]]:
        conn = peer_conns[k]

        async def work(n: int) -> None:
            for i in range(n):
                await conn.fetchrow(peer_sql, i % lookups)
        return work

    makers = {
        "covet.db fetch_one": covet_worker,
        "covet.db, held connection": covet_held_worker,
        "psycopg cursor": psycopg_worker,
        "asyncpg": asyncpg_worker,
    }
    workers = {name: [make(k) for k in range(STATEMENT_TASKS)] for name, make in makers.items()}
    try:
        for group in workers.values():
            await cpu_per_query(group, 50)  # warm up, and past the prepare threshold
        times: dict[str, list[float]] = {name: [] for name in workers}
        for i in range(rounds):
            for name in in_turn(list(workers), i):
                times[name].append(await cpu_per_query(workers[name], lookups // 4))
    finally:
        await db.execute(f"DROP TABLE IF EXISTS {TABLE}")
        await db.disconnect()
        for conn in raw_conns:
            await conn.close()
        for peer in peer_conns:
            await peer.close()
    base = times["covet.db fetch_one"]
    return {
        "tasks": STATEMENT_TASKS,
        "cpu_us_per_query": {name: round(statistics.median(t) * 1e6, 2) for name, t in times.items()},
        "covet_over": {name: round(median_ratio(base, t), 3) for name, t in times.items() if t is not base},
    }


async def reachable(backend: str, url: str) -> str | None:
    try:
        async with Database(url, pool_min_size=1, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - reported, the backend is skipped
        return f"{type(exc).__name__}: {exc}"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "loop": "uvloop" if args.uvloop else "asyncio",
        "target_ratio": TARGET,
        "backends": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        urls = {
            "sqlite": f"sqlite:///{tmp}/bench.db",
            "postgresql": args.postgresql_url,
            "mysql": args.mysql_url,
        }
        for backend in args.backends.split(","):
            url = urls[backend]
            problem = await reachable(backend, url)
            if problem:
                print(f"{backend}: skipped, {problem}")
                report["backends"][backend] = {"skipped": problem}
                continue
            fetch = await bench_fetch(backend, url, args.rows, args.rounds)
            pool = await bench_pool(backend, url, args.tasks, args.per_task, max(3, args.rounds // 3))
            prepared = await bench_prepared(backend, url, args.lookups, args.rounds)
            bulk = await bench_bulk(backend, url, args.rows, max(3, args.rounds // 3))
            report["backends"][backend] = {
                "fetch_all": fetch, "pool": pool, "prepared": prepared, "bulk": bulk,
            }
            print_backend(backend, fetch, pool, prepared, bulk)
            if backend == "postgresql":
                cost = await bench_statement_cost(url, args.lookups, args.rounds)
                report["backends"][backend]["statement_cost"] = cost
                print(f"  CPU per point query, {cost['tasks']} tasks at once (µs; covet ÷ each):")
                for name, value in cost["cpu_us_per_query"].items():
                    ratio = cost["covet_over"].get(name)
                    print(f"    {name:28} {value:8.2f}" + (f"   {ratio:.3f}×" if ratio else ""))
    return report


def print_backend(
    backend: str, fetch: dict[str, Any], pool: dict[str, Any], prepared: dict[str, Any], bulk: dict[str, Any]
) -> None:
    med, ratio = fetch["median_ms"], fetch["ratio_to_raw"]
    print(f"\n{backend}: fetch_all of {fetch['rows']:,} rows, medians")
    print(f"  raw driver                 {med['raw']:9.2f} ms")
    for name, label in (("records", "Database.fetch_all"), ("tuples", "fetch_all(as_tuples=True)")):
        verdict = "ok" if ratio[name] <= TARGET else f"above the {TARGET}× target"
        print(f"  {label:26} {med[name]:9.2f} ms   {ratio[name]:.3f}× raw  ({verdict})")
    print(f"  acquire/release, {pool['tasks']} tasks on a pool of {pool['pool_size']}, µs per cycle:")
    for name, value in pool["us_per_acquire_release"].items():
        print(f"    {name:28} {value:8.2f}")
    if "skipped" in prepared:
        print(f"  prepared statements: {prepared['skipped']}")
    else:
        per = prepared["us_per_lookup"]
        print(
            f"  point query x{prepared['lookups']}: {per['prepared']:.1f} µs prepared, "
            f"{per['unprepared']:.1f} µs not ({prepared['prepared_over_unprepared']:.3f}×)"
        )
    med = bulk["median_ms"]
    print(
        f"  bulk insert of {bulk['rows']:,} rows: execute_many {med['execute_many']:.1f} ms, copy_records "
        f"{med['copy_records']:.1f} ms ({bulk['copy_over_execute_many']:.3f}×)"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql,mysql")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--per-task", type=int, default=50)
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--postgresql-url", default=DEFAULT_URLS["postgresql"])
    parser.add_argument("--mysql-url", default=DEFAULT_URLS["mysql"])
    parser.add_argument("--no-uvloop", dest="uvloop", action="store_false")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.uvloop:
        import uvloop

        report = uvloop.run(run(args))
    else:
        report = asyncio.run(run(args))
    write_results(args.output, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
