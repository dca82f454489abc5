"""Fixtures for the ORM suite: the test models' tables on each real backend, emptied per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import covet.orm
from covet.db import Database
from covet.orm.migrations.schema import SchemaEditor
from covet.orm.migrations.state import ModelState
from tests.db.conftest import BACKENDS, SERVER_URLS, require_server
from tests.orm.models import MODELS

_created: dict[str, str] = {}


def url_for(backend: str, tmp_dir: Any) -> str:
    return f"sqlite:///{tmp_dir / 'orm.db'}" if backend == "sqlite" else SERVER_URLS[backend]


async def _create_tables(url: str) -> None:
    async with Database(url, pool_min_size=1, pool_max_size=1) as db:
        editor = await SchemaEditor.for_database(db)
        for model in reversed(MODELS):
            await db.execute(f"DROP TABLE IF EXISTS {editor.ident(model._meta.db_table)}")
        for model in MODELS:
            await editor.create_table(ModelState.from_model(model))


async def _drop_tables(url: str) -> None:
    async with Database(url, pool_min_size=1, pool_max_size=1) as db:
        editor = await SchemaEditor.for_database(db)
        for model in reversed(MODELS):
            await db.execute(f"DROP TABLE IF EXISTS {editor.ident(model._meta.db_table)}")


@pytest.fixture(scope="session")
def orm_tables(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Create the tables once per backend (lazily) and drop them at the end of the session."""
    directory = tmp_path_factory.mktemp("orm")
    urls: dict[str, str] = {}
    yield urls
    for backend, url in urls.items():
        if backend != "sqlite":
            asyncio.run(_drop_tables(url))
    del directory


@pytest.fixture(params=BACKENDS)
def orm_backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    require_server(name)
    return name


@pytest.fixture
async def db(
    orm_backend: str, orm_tables: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A connected Database with the test tables, empty, set up as the ORM's default."""
    url = orm_tables.get(orm_backend)
    if url is None:
        url = url_for(orm_backend, tmp_path_factory.mktemp(orm_backend))
        await _create_tables(url)
        orm_tables[orm_backend] = url
    database = Database(url, pool_min_size=1, pool_max_size=4, acquire_timeout=5.0)
    await database.connect()
    editor = await SchemaEditor.for_database(database)
    for model in reversed(MODELS):
        await database.execute(f"DELETE FROM {editor.ident(model._meta.db_table)}")
    covet.orm.setup(database)
    try:
        yield database
    finally:
        covet.orm.teardown()
        await database.disconnect()
