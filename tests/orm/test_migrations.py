"""Migrations end to end on each backend, through the real CLI: write, apply, roll back, re-apply."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from covet.cli import main
from covet.db import Database, IntegrityError
from covet.orm.migrations.executor import MIGRATIONS_TABLE
from tests.db.conftest import BACKENDS, SERVER_URLS, require_server

V1 = """
from covet.orm import CASCADE, CharField, ForeignKey, IntegerField, ManyToManyField, Model

class Label(Model):
    name = CharField(max_length=20)
    class Meta:
        table = "{p}_label"

class Writer(Model):
    name = CharField(max_length=50)
    class Meta:
        table = "{p}_writer"

class Article(Model):
    title = CharField(max_length=200)
    words = IntegerField(default=0)
    writer = ForeignKey(Writer, on_delete=CASCADE, related_name="articles")
    labels = ManyToManyField(Label, related_name="articles")
    class Meta:
        table = "{p}_article"
"""

V2 = """
from covet.orm import CASCADE, CharField, CheckConstraint, ForeignKey, Index, IntegerField, Model, Q

class Writer(Model):
    name = CharField(max_length=100)
    email = CharField(max_length=120, null=True)
    class Meta:
        table = "{p}_writer"

class Article(Model):
    headline = CharField(max_length=200)
    words = IntegerField(default=0, null=True)
    writer = ForeignKey(Writer, on_delete=CASCADE, related_name="articles")
    class Meta:
        table = "{p}_article"
        indexes = [Index("headline", name="{p}_headline_idx")]
        constraints = [CheckConstraint(Q(words__gte=0), name="{p}_words_positive")]
"""

DATA_MIGRATION = """
from covet.orm import migrations

async def shout(db):
    await db.execute("UPDATE {p}_writer SET email = 'x@example.org'")

async def unshout(db):
    await db.execute("UPDATE {p}_writer SET email = NULL")

class Migration(migrations.Migration):
    dependencies = ["0002_auto"]
    operations = [
        migrations.RunPython(shout, reverse=unshout),
        migrations.RunSQL("UPDATE {p}_article SET words = 7", reverse="UPDATE {p}_article SET words = 0"),
    ]
"""


# V1 with Article's words dropped and a nullable foreign key added: RemoveField and AddField.
V3 = """
from covet.orm import CASCADE, SET_NULL, CharField, ForeignKey, ManyToManyField, Model

class Label(Model):
    name = CharField(max_length=20)
    class Meta:
        table = "{p}_label"

class Writer(Model):
    name = CharField(max_length=50)
    class Meta:
        table = "{p}_writer"

class Article(Model):
    title = CharField(max_length=200)
    writer = ForeignKey(Writer, on_delete=CASCADE, related_name="articles")
    reviewer = ForeignKey(Writer, on_delete=SET_NULL, null=True, related_name="reviews")
    labels = ManyToManyField(Label, related_name="articles")
    class Meta:
        table = "{p}_article"
"""

# A migration whose second operation fails: its first must not survive it (where DDL is transactional).
BROKEN = """
from covet.orm import migrations

class Migration(migrations.Migration):
    dependencies = ["0001_initial"]
    operations = [
        migrations.CreateModel("{p}_first", [("id", migrations.Field("BigAutoField", primary_key=True))]),
        migrations.RunSQL("{sql}"),
    ]
"""


@pytest.fixture(params=BACKENDS)
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    backend: str = request.param
    require_server(backend)
    prefix = f"mig{uuid.uuid4().hex[:8]}"
    url = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else SERVER_URLS[backend]
    (tmp_path / f"{prefix}_v1.py").write_text(V1.format(p=prefix))
    (tmp_path / f"{prefix}_v2.py").write_text(V2.format(p=prefix))
    (tmp_path / f"{prefix}_v3.py").write_text(V3.format(p=prefix))
    sys.path.insert(0, str(tmp_path))
    yield {
        "backend": backend,
        "url": url,
        "prefix": prefix,
        "dir": tmp_path,
        "migrations": tmp_path / "migrations",
    }
    sys.path.remove(str(tmp_path))
    asyncio.run(_drop(url, prefix))


async def _drop(url: str, prefix: str) -> None:
    async with Database(url) as db:
        for table in ("article_labels", "article", "label", "writer", "first"):
            await db.execute(f"DROP TABLE IF EXISTS {prefix}_{table}")
        await db.execute("DROP TABLE IF EXISTS covet_migrations")


async def _query(url: str, sql: str) -> list[Any]:
    async with Database(url) as db:
        return [tuple(row) for row in await db.fetch_all(sql)]


async def _execute(url: str, sql: str) -> None:
    async with Database(url) as db:
        await db.execute(sql)


def _tables(project: dict[str, Any]) -> set[str]:
    if project["backend"] == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema IN ('public', 'test')"
    return {
        name for (name,) in asyncio.run(_query(project["url"], sql)) if name.startswith(project["prefix"])
    }


def _columns(project: dict[str, Any], table: str) -> set[str]:
    """The table's column names (their order follows the DDL history, which differs by backend)."""
    if project["backend"] == "sqlite":
        return {row[1] for row in asyncio.run(_query(project["url"], f"PRAGMA table_info({table})"))}
    sql = (
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_name = '{table}' AND table_schema IN ('public', 'test')"
    )
    return {name for (name,) in asyncio.run(_query(project["url"], sql))}


def _cli(project: dict[str, Any], *args: str) -> int:
    common = ["--migrations", str(project["migrations"]), "--app-dir", str(project["dir"])]
    if args[0] == "migrate":
        return main([*args, *common, "--database", project["url"]])
    return main([*args, *common])


def test_round_trip_apply_roll_back_reapply(
    project: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    p = project["prefix"]
    assert _cli(project, "makemigrations", "--models", f"{p}_v1") == 0
    initial = project["migrations"] / "0001_initial.py"
    source = initial.read_text()
    assert "migrations.CreateModel(" in source and f"'{p}_article_labels'" in source
    compile(source, str(initial), "exec")
    assert _cli(project, "makemigrations", "--models", f"{p}_v1") == 0
    assert "No changes detected." in capsys.readouterr().out
    assert not (project["migrations"] / "0002_auto.py").exists()

    assert _cli(project, "migrate", "--plan") == 0
    plan = capsys.readouterr().out
    assert "Apply 0001_initial:" in plan and "CREATE TABLE" in plan
    assert _tables(project) == set()  # --plan changes nothing

    assert _cli(project, "migrate") == 0
    assert "Applying 0001_initial... OK" in capsys.readouterr().out
    assert _tables(project) == {f"{p}_label", f"{p}_writer", f"{p}_article", f"{p}_article_labels"}
    asyncio.run(_query(project["url"], f"SELECT 1 FROM {p}_writer"))
    asyncio.run(_insert_v1(project))

    assert _cli(project, "makemigrations", "--models", f"{p}_v2") == 0
    second = (project["migrations"] / "0002_auto.py").read_text()
    for expected in ("RenameField", "AddField", "AlterField", "AddIndex", "AddConstraint", "DeleteModel"):
        assert f"migrations.{expected}(" in second, expected
    (project["migrations"] / "0003_data.py").write_text(textwrap.dedent(DATA_MIGRATION.format(p=p)))
    assert _cli(project, "migrate") == 0
    out = capsys.readouterr().out
    assert "Applying 0002_auto... OK" in out and "Applying 0003_data... OK" in out
    rows = asyncio.run(_query(project["url"], f"SELECT headline, words FROM {p}_article"))
    assert rows == [("Kept", 7)]  # the renamed column kept its data; RunSQL ran
    assert asyncio.run(_query(project["url"], f"SELECT name, email FROM {p}_writer")) == [
        ("Wri", "x@example.org")
    ]
    assert f"{p}_label" not in _tables(project)
    assert _cli(project, "makemigrations", "--models", f"{p}_v2", "--check") == 0

    assert _cli(project, "migrate", "0001") == 0
    out = capsys.readouterr().out
    assert out.index("Unapplying 0003_data") < out.index("Unapplying 0002_auto")
    assert asyncio.run(_query(project["url"], f"SELECT title, words FROM {p}_article")) == [("Kept", 0)]
    assert f"{p}_label" in _tables(project)

    assert _cli(project, "migrate", "zero") == 0
    assert _tables(project) == set()
    assert _cli(project, "migrate") == 0
    assert "Applying 0003_data... OK" in capsys.readouterr().out
    assert len(_tables(project)) == 2


async def _insert_v1(project: dict[str, Any]) -> None:
    p = project["prefix"]
    mark = "?" if project["backend"] == "sqlite" else "%s"
    async with Database(project["url"]) as db:
        await db.execute(f"INSERT INTO {p}_writer (name) VALUES ({mark})", ("Wri",))
        writer = await db.fetch_val(f"SELECT id FROM {p}_writer")
        await db.execute(
            f"INSERT INTO {p}_article (title, words, writer_id) VALUES ({mark}, 3, {mark})", ("Kept", writer)
        )


def test_migrate_reports_unknown_targets_and_missing_database(
    project: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    p = project["prefix"]
    assert _cli(project, "makemigrations", "--models", f"{p}_v1", "--name", "first") == 0
    assert (project["migrations"] / "0001_first.py").exists()
    assert _cli(project, "migrate", "0042") == 1
    assert "no single migration named '0042'" in capsys.readouterr().err
    os.environ.pop("COVET_DATABASE_URL", None)
    assert main(["migrate", "--migrations", str(project["migrations"])]) == 2
    with pytest.raises(SystemExit, match="--models"):
        main(["makemigrations", "--migrations", str(project["migrations"])])


def test_round_trip_of_a_dropped_column_and_a_foreign_key_added_to_a_table_with_rows(
    project: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    p = project["prefix"]
    article = f"{p}_article"
    assert _cli(project, "makemigrations", "--models", f"{p}_v1") == 0
    assert _cli(project, "migrate") == 0
    asyncio.run(_insert_v1(project))
    asyncio.run(_link_a_label(project))

    assert _cli(project, "makemigrations", "--models", f"{p}_v3") == 0
    second = (project["migrations"] / "0002_auto.py").read_text()
    assert "migrations.RemoveField(" in second and "migrations.AddField(" in second
    assert "RenameField" not in second
    capsys.readouterr()

    def assert_v3() -> None:
        assert _columns(project, article) == {"id", "title", "writer_id", "reviewer_id"}
        rows = asyncio.run(_query(project["url"], f"SELECT title, reviewer_id FROM {article}"))
        assert rows == [("Kept", None)]  # the existing row kept, the new key empty
        assert asyncio.run(_query(project["url"], f"SELECT COUNT(*) FROM {article}_labels")) == [(1,)]
        asyncio.run(_check_reviewer_key(project))

    assert _cli(project, "migrate") == 0
    assert "Applying 0002_auto... OK" in capsys.readouterr().out
    assert_v3()

    assert _cli(project, "migrate", "0001") == 0
    assert "Unapplying 0002_auto... OK" in capsys.readouterr().out
    assert _columns(project, article) == {"id", "title", "words", "writer_id"}
    # The dropped column comes back with its default (its values went with it).
    assert asyncio.run(_query(project["url"], f"SELECT title, words FROM {article}")) == [("Kept", 0)]
    assert asyncio.run(_query(project["url"], f"SELECT COUNT(*) FROM {article}_labels")) == [(1,)]

    assert _cli(project, "migrate") == 0
    assert "Applying 0002_auto... OK" in capsys.readouterr().out
    assert_v3()
    assert _cli(project, "makemigrations", "--models", f"{p}_v3", "--check") == 0


async def _link_a_label(project: dict[str, Any]) -> None:
    p = project["prefix"]
    async with Database(project["url"]) as db:
        await db.execute(f"INSERT INTO {p}_label (name) VALUES ('l')")
        label = await db.fetch_val(f"SELECT id FROM {p}_label")
        article = await db.fetch_val(f"SELECT id FROM {p}_article")
        await db.execute(
            f"INSERT INTO {p}_article_labels (article_id, label_id) VALUES ({article}, {label})"
        )


async def _check_reviewer_key(project: dict[str, Any]) -> None:
    """The added column is a foreign key: a writer's id goes in, a missing one does not."""
    p = project["prefix"]
    async with Database(project["url"]) as db:
        writer = await db.fetch_val(f"SELECT id FROM {p}_writer")
        await db.execute(f"UPDATE {p}_article SET reviewer_id = {writer}")
        with pytest.raises(IntegrityError):
            await db.execute(f"UPDATE {p}_article SET reviewer_id = {writer + 1000}")
        await db.execute(f"UPDATE {p}_article SET reviewer_id = NULL")


def test_a_migration_failing_part_way_is_rolled_back_or_says_what_stayed(
    project: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    p = project["prefix"]
    assert _cli(project, "makemigrations", "--models", f"{p}_v1") == 0
    broken = project["migrations"] / "0002_broken.py"
    broken.write_text(BROKEN.format(p=p, sql=f"INSERT INTO {p}_no_such_table VALUES (1)"))

    assert _cli(project, "migrate") == 1
    out, err = capsys.readouterr()
    assert "Applying 0001_initial... OK" in out and "0002_broken... OK" not in out
    assert "migrate failed" in err
    assert "while running migration 0002_broken: run SQL (1 statement)" in err
    records = f"SELECT name FROM {MIGRATIONS_TABLE}"
    assert asyncio.run(_query(project["url"], records)) == [("0001_initial",)]  # 0002 not recorded
    if project["backend"] == "mysql":
        # MySQL commits DDL as it runs: the table stays, and the message says so and what to do.
        assert f"{p}_first" in _tables(project)
        assert "was not rolled back" in err and f"create table {p}_first" in err
        assert "not recorded as applied: undo those steps by hand, then run migrate again" in err
        asyncio.run(_execute(project["url"], f"DROP TABLE {p}_first"))
    else:
        assert f"{p}_first" not in _tables(project)
        assert "applying 0002_broken was rolled back: the database is as it was before" in err

    # Fixed, it applies from where the database is (the cached bytecode of the old file must go).
    shutil.rmtree(project["migrations"] / "__pycache__", ignore_errors=True)
    broken.write_text(BROKEN.format(p=p, sql=f"UPDATE {p}_writer SET name = name"))
    assert _cli(project, "migrate") == 0
    assert "Applying 0002_broken... OK" in capsys.readouterr().out
    assert f"{p}_first" in _tables(project)
    assert asyncio.run(_query(project["url"], records + " ORDER BY name")) == [
        ("0001_initial",),
        ("0002_broken",),
    ]
