"""covet._speedups.pk_get, compiled and interpreted: Manager.get by primary key, alike."""

from __future__ import annotations

import asyncio
from types import ModuleType

import pytest

import covet.orm
from covet.db import Database
from covet.orm import managers
from covet.orm.connection import get_database
from covet.orm.instrumentation import WATCH
from tests import kernels
from tests.orm.models import Country


@pytest.fixture(params=["compiled", "interpreted"])
def pk_get(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The form under test, with the Manager building its lookups from that form's PkGet."""
    module = kernels.form("pk_get", request.param)
    module.bind(get_database, WATCH)  # what covet.orm.managers does for the one it imports
    monkeypatch.setattr(managers, "PkGet", module.PkGet)
    monkeypatch.setattr(Country.objects, "_by_pk", None)
    return module


async def test_a_get_by_pk_builds_the_instance_in_the_fetch(pk_get: ModuleType, db: Database) -> None:
    spain = await Country.objects.create(name="Spain")
    manager = Country.objects
    for key in ("pk", "id", "pk__exact"):
        found = await pk_get.manager_get(manager, **{key: spain.pk})
        assert (type(found), found.pk, found.name) == (Country, spain.pk, "Spain")
        assert found._row is not None and found.changed_fields() == []
    async with db.connection() as conn:  # on the held connection, one statement
        lookup = manager._by_pk
        found = await lookup.fetch(db, spain.pk)
        assert found.name == "Spain" and db.held_connection() is conn


async def test_gets_gathered_in_a_transaction_run_on_connections_of_their_own(
    pk_get: ModuleType, db: Database
) -> None:
    # gather() runs each get in a task of its own: the block's connection (and its uncommitted
    # row) is not theirs — sharing it would also run two statements on it at once.
    async with db.transaction():
        inside = await Country.objects.create(name="Uncommitted")
        assert (await pk_get.manager_get(Country.objects, pk=inside.pk)).name == "Uncommitted"
        gathered = [pk_get.manager_get(Country.objects, pk=inside.pk) for _ in range(2)]
        results = await asyncio.gather(*gathered, return_exceptions=True)
        assert all(isinstance(r, Country.DoesNotExist) for r in results), results
    assert db.pool_stats().in_use == 0


async def test_a_missing_pk_is_does_not_exist_naming_the_value(pk_get: ModuleType, db: Database) -> None:
    await Country.objects.create(name="France")
    with pytest.raises(Country.DoesNotExist, match=r"no Country matches pk=424242"):
        await pk_get.manager_get(Country.objects, pk=424242)
    with pytest.raises(Country.DoesNotExist, match=r"no Country matches pk='nope'"):
        # the loader reports what was asked for, even a value the pk converts first
        loader = pk_get.PkLoader(Country.objects._by_pk, db, "nope")
        loader(None)


async def test_other_lookups_go_to_the_queryset(pk_get: ModuleType, db: Database) -> None:
    chile = await Country.objects.create(name="Chile")
    assert (await pk_get.manager_get(Country.objects, name="Chile")).pk == chile.pk
    assert (await pk_get.manager_get(Country.objects, pk=chile.pk, name="Chile")).pk == chile.pk
    with pytest.raises(Country.DoesNotExist):
        await pk_get.manager_get(Country.objects, name="Peru")


async def test_the_lookup_follows_a_change_of_default_database(pk_get: ModuleType, db: Database) -> None:
    here = await Country.objects.create(name="Japan")
    assert (await pk_get.manager_get(Country.objects, pk=here.pk)).name == "Japan"
    async with Database("sqlite:///:memory:") as other:
        name = Country._meta.db_table
        await other.execute(f'CREATE TABLE "{name}" (id INTEGER PRIMARY KEY, name VARCHAR(60))')
        await other.execute(f'INSERT INTO "{name}" (id, name) VALUES (?, ?)', (here.pk, "Elsewhere"))
        covet.orm.setup(other)
        try:
            found = await pk_get.manager_get(Country.objects, pk=here.pk)
            assert found.name == "Elsewhere" and Country.objects._by_pk.db() is other
        finally:
            covet.orm.setup(db)
    assert (await pk_get.manager_get(Country.objects, pk=here.pk)).name == "Japan"
