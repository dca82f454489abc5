"""``python -m bench.tfb.setup [--dsn DSN]`` (``make tfb-setup``): the TFB database, idempotently.

Creates the database the DSN names when it is missing (connecting to the server's ``postgres``
database to do it), the tables ``world`` (10,000 rows: id, randomnumber 1..10000) and
``fortune`` (TFB's 12 rows), rewriting their rows only when they are not what TFB specifies,
then ``VACUUM ANALYZE``: the updates test leaves dead rows behind, and a bloated table with
stale statistics measures the planner, not the app (see shared/PERF-NOTES.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import Optional

from bench.tfb.spec import FORTUNES, WORLD_ROWS, dsn
from covet.db import Database, DatabaseError, parse_url
from covet.db.dialects import get_dialect

_TABLES = (
    "CREATE TABLE IF NOT EXISTS world ("
    "id integer NOT NULL PRIMARY KEY, randomnumber integer NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS fortune (id integer NOT NULL PRIMARY KEY, message varchar(2048) NOT NULL)",
)
_WORLD_OK = (
    "SELECT count(*) = %s AND min(id) = 1 AND max(id) = %s AND bool_and(randomnumber BETWEEN 1 AND %s) "
    "FROM world"
)
_FILL_WORLD = (
    "INSERT INTO world (id, randomnumber) "
    "SELECT x, least(floor(random() * %s + 1), %s) FROM generate_series(1, %s) AS x"
)


async def ensure_database(url: str) -> bool:
    """Create the database ``url`` names unless it exists; True when it was created."""
    config = parse_url(url)
    if config.backend != "postgresql":
        raise ValueError(f"the TFB database is PostgreSQL; {config.url} is {config.backend}")
    exists = "SELECT 1 FROM pg_database WHERE datname = %s"
    async with Database(config.replace(database="postgres", pool_min_size=1, pool_max_size=1)) as server:
        if await server.fetch_val(exists, (config.database,)):
            return False
        name = get_dialect("postgresql").quote_identifier(config.database, "database name")
        try:
            await server.execute(f"CREATE DATABASE {name}")
        except DatabaseError:
            if await server.fetch_val(exists, (config.database,)):
                return False  # another process created it meanwhile
            raise
    return True


async def fill_tables(db: Database) -> list[str]:
    """Create the tables and (re)write rows that are not TFB's; what was written, for the log."""
    done = []
    for statement in _TABLES:
        await db.execute(statement)
    if not await db.fetch_val(_WORLD_OK, (WORLD_ROWS, WORLD_ROWS, WORLD_ROWS)):
        async with db.transaction():
            await db.execute("TRUNCATE world")
            await db.execute(_FILL_WORLD, (WORLD_ROWS, WORLD_ROWS, WORLD_ROWS))
        done.append(f"world: {WORLD_ROWS:,} rows written")
    rows = await db.fetch_all("SELECT id, message FROM fortune ORDER BY id", as_tuples=True)
    if [tuple(row) for row in rows] != list(FORTUNES):
        async with db.transaction():
            await db.execute("TRUNCATE fortune")
            await db.execute_many("INSERT INTO fortune (id, message) VALUES (%s, %s)", FORTUNES)
        done.append(f"fortune: {len(FORTUNES)} rows written")
    return done


async def vacuum(url: str) -> None:
    """``VACUUM ANALYZE`` both tables (before measuring, after updates left dead rows), then a
    CHECKPOINT where the role may run one, so the next server is not measured while PostgreSQL
    writes out the last one's updates."""
    async with Database(url, pool_min_size=1, pool_max_size=1) as db:
        await db.execute("VACUUM ANALYZE world, fortune")
        with contextlib.suppress(DatabaseError):  # CHECKPOINT needs superuser or pg_checkpoint
            await db.execute("CHECKPOINT")


async def prepare_database(url: Optional[str] = None) -> list[str]:
    """Everything the TFB apps need in the database ``url`` names (default: ``COVET_TFB_DSN``)."""
    url = url or dsn()
    done = ["database created"] if await ensure_database(url) else []
    async with Database(url, pool_min_size=1, pool_max_size=1) as db:
        done += await fill_tables(db)
    await vacuum(url)
    return done


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tfb.setup", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dsn", default=None, help="PostgreSQL URL (default: $COVET_TFB_DSN, else the local hello_world)"
    )
    args = parser.parse_args(argv)
    url = args.dsn or dsn()
    try:
        shown = parse_url(url).url  # the password hidden
        done = asyncio.run(prepare_database(url))
    except (DatabaseError, ValueError) as exc:
        print(f"tfb setup: {exc}", file=sys.stderr)
        return 1
    print(f"tfb setup: {shown}: {'; '.join(done) if done else 'already in place'}; vacuumed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
