"""The demo's database: opened and migrated at start-up, handed to handlers by dependencies.

``COVET_DEMO_DATABASE_URL`` picks it (any URL ``covet.db.Database`` takes); without it the
embedded default, ``sqlite:///./covet.db``, a file in the directory the server runs in.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from covet import Depends, Request, orm
from covet.db import DEFAULT_URL, Database
from covet.orm.migrations.executor import MigrationExecutor
from covet.orm.migrations.loader import load_migrations
from examples.demo.live import Hub

if TYPE_CHECKING:
    from covet import Covet

DATABASE_URL_VARIABLE = "COVET_DEMO_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")

logger = logging.getLogger("covet.demo")


def database_url() -> str:
    """Where the demo keeps its data: ``$COVET_DEMO_DATABASE_URL`` or ``sqlite:///./covet.db``."""
    return os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_URL


@contextlib.asynccontextmanager
async def lifespan(app: Covet) -> AsyncIterator[dict[str, Any]]:
    """Connect, apply the migrations not applied yet, make the database the ORM's default.

    What it yields is the lifespan state: every request finds it in ``request.state``.
    """
    async with Database(database_url()) as db:
        await MigrationExecutor(db, load_migrations(str(MIGRATIONS)), report=logger.info).migrate()
        orm.setup(db)
        logger.info("demo database: %s", db.url)
        try:
            yield {"db": db, "hub": Hub()}
        finally:
            orm.teardown()


def get_db(request: Request) -> Database:
    db: Database = request.state.db
    return db


async def read_snapshot(db: Annotated[Database, Depends(get_db)]) -> AsyncIterator[Database]:
    """The request's queries in one read-only transaction, so they see one state of the data.

    A yield dependency's rest runs after the response has been sent; a read-only transaction
    has nothing to commit, so ending it then loses nothing. Writes commit in the handler
    (``async with db.transaction():``) so that a 201 means the data is stored.
    """
    async with db.transaction(readonly=True):
        yield db


DB = Annotated[Database, Depends(get_db)]
Snapshot = Annotated[Database, Depends(read_snapshot)]
#: For routes whose queries go through the ORM (which finds the transaction by itself):
#: ``@router.get(..., dependencies=IN_SNAPSHOT)`` runs it without a parameter to take it.
IN_SNAPSHOT = (Depends(read_snapshot),)
