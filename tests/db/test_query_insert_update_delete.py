"""INSERT, UPDATE and DELETE through the query builder: SQL per dialect, RETURNING, upserts, real runs.

Every statement is compiled by both kernel forms, cached and not; they must agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from covet.db.dialects import Dialect, MySQLDialect, PostgreSQLDialect, SQLiteDialect
from covet.db.query import (
    Column,
    Table,
    UnknownColumnError,
    UnsupportedFeatureError,
    delete,
    excluded,
    func,
    insert,
    select,
    update,
)
from tests.db.compile_forms import compile_all, raises_all
from tests.db.live_servers import EXECUTORS

users = Table(
    "users",
    Column("id", "integer", primary_key=True),
    Column("name"),
    Column("email"),
    Column("visits", "integer"),
)
u = users.c
MARIADB = MySQLDialect(server_version="5.5.5-10.11.19-MariaDB-0+deb12u1")
MYSQL8 = MySQLDialect(server_version="8.0.36")


# -- INSERT --------------------------------------------------------------------------------------


def test_insert_one_row_per_dialect():
    statement = insert(users).values(name="ann", email="a@x")
    assert compile_all(statement, "postgresql") == (
        'INSERT INTO "users" ("name", "email") VALUES (%s, %s)',
        ("ann", "a@x"),
    )
    assert compile_all(statement, "sqlite") == (
        'INSERT INTO "users" ("name", "email") VALUES (?, ?)',
        ("ann", "a@x"),
    )
    assert compile_all(statement, "mysql") == (
        "INSERT INTO `users` (`name`, `email`) VALUES (%s, %s)",
        ("ann", "a@x"),
    )


def test_multi_row_insert_flattens_parameters_row_by_row():
    rows = [{"name": "a", "visits": 1}, {"visits": 2, "name": "b"}, {"name": "c", "visits": 3}]
    assert compile_all(insert(users).values(rows)) == (
        'INSERT INTO "users" ("name", "visits") VALUES (%s, %s), (%s, %s), (%s, %s)',
        ("a", 1, "b", 2, "c", 3),
    )
    numbered = PostgreSQLDialect(paramstyle="numeric")
    assert compile_all(insert(users).values(rows[:2]), numbered)[0] == (
        'INSERT INTO "users" ("name", "visits") VALUES ($1, $2), ($3, $4)'
    )


def test_insert_values_keyed_by_column_objects_and_with_expressions():
    statement = insert(users).values({u.name: "a", u.visits: func.abs(-3)})
    assert compile_all(statement) == (
        'INSERT INTO "users" ("name", "visits") VALUES (%s, abs(%s))',
        ("a", -3),
    )


def test_insert_rows_must_agree_and_name_real_columns():
    with pytest.raises(ValueError, match="row 0 sets name, row 1 sets email"):
        insert(users).values([{"name": "a"}, {"email": "b"}])
    with pytest.raises(ValueError, match="row 0 sets name, row 2 sets name, email"):
        insert(users).values([{"name": "a"}, {"name": "b"}, {"name": "c", "email": "d"}])
    with pytest.raises(UnknownColumnError, match="table 'users' has no column 'nmae'"):
        insert(users).values(nmae="a")
    with pytest.raises(ValueError, match="at least one row"):
        insert(users).values()
    other = Table("other", Column("name"))
    with pytest.raises(ValueError, match="does not belong to table 'users'"):
        insert(users).values({other.c.name: "x"})


def test_insert_default_values_per_dialect():
    assert compile_all(insert(users), "postgresql") == ('INSERT INTO "users" DEFAULT VALUES', ())
    assert compile_all(insert(users), "mysql") == ("INSERT INTO `users` () VALUES ()", ())


def test_insert_from_select():
    archive = Table("archive", Column("name"), Column("email"))
    statement = insert(archive).from_select(["name", "email"], select(u.name, u.email).where(u.visits == 0))
    assert compile_all(statement) == (
        'INSERT INTO "archive" ("name", "email") SELECT "users"."name", "users"."email" FROM "users" '
        'WHERE "users"."visits" = %s',
        (0,),
    )


def test_insert_returning_where_the_dialect_has_it():
    statement = insert(users).values(name="a").returning(u.id, u.name)
    assert compile_all(statement)[0] == (
        'INSERT INTO "users" ("name") VALUES (%s) RETURNING "users"."id", "users"."name"'
    )
    assert compile_all(statement, "sqlite")[0].endswith(' RETURNING "users"."id", "users"."name"')
    assert compile_all(statement, MARIADB)[0].endswith(" RETURNING `users`.`id`, `users`.`name`")
    raises_all(
        UnsupportedFeatureError,
        statement,
        "mysql",
        r"INSERT \.\.\. RETURNING is not supported by mysql; MySQL",
    )
    raises_all(
        UnsupportedFeatureError, statement, MYSQL8, "RETURNING is not supported by mysql .MySQL 8.0.36."
    )
    raises_all(
        UnsupportedFeatureError, statement, SQLiteDialect(version=(3, 34)), "SQLite has RETURNING from 3.35"
    )
    assert compile_all(insert(users).values(name="a").returning(users, "email"))[0].endswith(
        'RETURNING "users"."id", "users"."name", "users"."email", "users"."visits", "users"."email"'
    )


def test_upsert_do_nothing():
    statement = insert(users).values(email="a@x", name="a").on_conflict_do_nothing("email")
    assert compile_all(statement)[0] == (
        'INSERT INTO "users" ("email", "name") VALUES (%s, %s) ON CONFLICT ("email") DO NOTHING'
    )
    assert compile_all(insert(users).values(name="a").on_conflict_do_nothing(), "sqlite")[0] == (
        'INSERT INTO "users" ("name") VALUES (?) ON CONFLICT DO NOTHING'
    )
    # MySQL has no DO NOTHING: a no-op update, which (unlike INSERT IGNORE) hides no other error.
    assert compile_all(statement, "mysql")[0] == (
        "INSERT INTO `users` (`email`, `name`) VALUES (%s, %s) ON DUPLICATE KEY UPDATE `email` = `email`"
    )


def test_upsert_do_update_defaults_to_the_proposed_values():
    statement = insert(users).values(email="a@x", name="a", visits=1).on_conflict_do_update("email")
    assert compile_all(statement) == (
        'INSERT INTO "users" ("email", "name", "visits") VALUES (%s, %s, %s) ON CONFLICT ("email") '
        'DO UPDATE SET "name" = EXCLUDED."name", "visits" = EXCLUDED."visits"',
        ("a@x", "a", 1),
    )
    assert compile_all(statement, "mysql")[0] == (
        "INSERT INTO `users` (`email`, `name`, `visits`) VALUES (%s, %s, %s) ON DUPLICATE KEY UPDATE "
        "`name` = VALUES(`name`), `visits` = VALUES(`visits`)"
    )
    assert compile_all(statement, MYSQL8)[0] == (
        "INSERT INTO `users` (`email`, `name`, `visits`) VALUES (%s, %s, %s) AS excluded "
        "ON DUPLICATE KEY UPDATE `name` = excluded.`name`, `visits` = excluded.`visits`"
    )


def test_upsert_do_update_with_expressions_and_where():
    base = insert(users).values(email="a@x", visits=1)
    statement = base.on_conflict_do_update(
        [u.email], {"visits": u.visits + excluded("visits"), u.name: "again"}, where=u.visits < 100
    )
    assert compile_all(statement) == (
        'INSERT INTO "users" ("email", "visits") VALUES (%s, %s) ON CONFLICT ("email") DO UPDATE SET '
        '"visits" = "users"."visits" + EXCLUDED."visits", "name" = %s WHERE "users"."visits" < %s',
        ("a@x", 1, "again", 100),
    )
    assert compile_all(base.on_conflict_do_update("email", {"visits": base.excluded.visits}))[0].endswith(
        'DO UPDATE SET "visits" = EXCLUDED."visits"'
    )
    raises_all(UnsupportedFeatureError, statement, "mysql", "ON DUPLICATE KEY UPDATE has no WHERE")
    with pytest.raises(ValueError, match="conflicting columns"):
        base.on_conflict_do_update([])
    with pytest.raises(ValueError, match="call values"):
        insert(users).on_conflict_do_update("email")


def test_dml_refuses_aliases_and_non_tables():
    with pytest.raises(ValueError, match="not the alias 'x'"):
        insert(users.alias("x"))
    with pytest.raises(TypeError, match="takes a Table"):
        update(select(u.id))  # type: ignore[arg-type]


# -- UPDATE and DELETE ---------------------------------------------------------------------------


def test_update_sets_values_and_expressions_in_order():
    statement = update(users).values(name="b").values({u.visits: u.visits + 1}).where(u.id == 7)
    assert compile_all(statement) == (
        'UPDATE "users" SET "name" = %s, "visits" = "users"."visits" + %s WHERE "users"."id" = %s',
        ("b", 1, 7),
    )
    assert compile_all(statement.values(name="c"))[1] == ("c", 1, 7)  # setting again replaces
    assert compile_all(statement, "sqlite")[0] == (
        'UPDATE "users" SET "name" = ?, "visits" = "users"."visits" + ? WHERE "users"."id" = ?'
    )


def test_update_returning_where_the_dialect_has_it():
    statement = update(users).values(visits=0).where(u.id == 1).returning(u.id)
    assert compile_all(statement)[0].endswith(' WHERE "users"."id" = %s RETURNING "users"."id"')
    compile_all(statement, "sqlite")
    raises_all(
        UnsupportedFeatureError, statement, MARIADB, "UPDATE ... RETURNING is not supported by mysql .MariaDB"
    )


def test_update_without_values_is_an_error_at_compile_time():
    raises_all(ValueError, update(users).where(u.id == 1), "postgresql", "sets no columns")


def test_delete_with_where_and_returning():
    statement = delete(users).where(u.id.in_([1, 2]), u.name.is_null())
    assert compile_all(statement, "sqlite") == (
        'DELETE FROM "users" WHERE "users"."id" IN (?, ?) AND "users"."name" IS NULL',
        (1, 2),
    )
    assert compile_all(delete(users))[0] == 'DELETE FROM "users"'
    assert compile_all(statement.returning(u.id), MARIADB)[0].endswith(" RETURNING `users`.`id`")
    raises_all(UnsupportedFeatureError, statement.returning(u.id), "mysql", "DELETE ... RETURNING")


# -- against real databases ----------------------------------------------------------------------


class Live:
    def __init__(self, dialect: Dialect, execute: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]):
        self.dialect = dialect
        self.execute = execute
        self.table = Table(
            f"q_iud_{uuid.uuid4().hex[:8]}",
            Column("id", "integer"),
            Column("email"),
            Column("name"),
            Column("visits", "integer"),
        )

    def run(self, statement: Any) -> list[tuple[Any, ...]]:
        return self.execute(*compile_all(statement, self.dialect))


_CREATE = {
    "sqlite": "CREATE TABLE {q}{name}{q} (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, "
    "visits INTEGER DEFAULT 0)",
    "postgresql": "CREATE TABLE {q}{name}{q} (id SERIAL PRIMARY KEY, email TEXT UNIQUE, name TEXT, "
    "visits INTEGER DEFAULT 0)",
    "mysql": "CREATE TABLE {q}{name}{q} (id INTEGER AUTO_INCREMENT PRIMARY KEY, email VARCHAR(40) UNIQUE, "
    "name VARCHAR(40), visits INTEGER DEFAULT 0)",
}


@pytest.fixture(params=sorted(EXECUTORS))
def live(request: pytest.FixtureRequest) -> Iterator[Live]:
    """A fresh table on one real database, dropped after."""
    with EXECUTORS[request.param]() as (dialect, execute):
        live = Live(dialect, execute)
        quote = "`" if dialect.name == "mysql" else '"'
        try:
            execute(_CREATE[request.param].format(q=quote, name=live.table.name), ())
            yield live
        finally:
            execute(f"DROP TABLE IF EXISTS {quote}{live.table.name}{quote}", ())


def test_live_insert_upsert_update_delete_round_trip(live):
    t, c = live.table, live.table.c
    rows = [{"email": f"{n}@x", "name": n, "visits": 1} for n in ("a", "b", "c")]
    live.run(insert(t).values(rows))
    live.run(insert(t).values(email="a@x", name="dup", visits=5).on_conflict_do_nothing("email"))
    live.run(
        insert(t)
        .values(email="b@x", name="B", visits=5)
        .on_conflict_do_update("email", {"name": excluded("name"), "visits": c.visits + excluded("visits")})
    )
    live.run(update(t).values(visits=c.visits * 10).where(c.email == "c@x"))
    live.run(delete(t).where(c.name == "a"))
    assert live.run(select(c.email, c.name, c.visits).order_by(c.email)) == [
        ("b@x", "B", 6),
        ("c@x", "c", 10),
    ]
    assert live.run(select(func.count()).select_from(t).where(c.name.in_(["B", "c", "zz"]))) == [(2,)]


def test_live_returning_where_the_server_has_it_and_refused_where_not(live):
    t, c = live.table, live.table.c
    live.run(insert(t).values([{"email": "r@x", "name": "r"}, {"email": "s@x", "name": "s"}]))
    returning = {
        "INSERT": (
            live.dialect.insert_returning,
            insert(t).values(email="t@x", name="t").returning(c.email, c.visits),
            [("t@x", 0)],
        ),
        "UPDATE": (
            live.dialect.update_returning,
            update(t).values(visits=3).where(c.email == "s@x").returning(c.visits),
            [(3,)],
        ),
        "DELETE": (
            live.dialect.delete_returning,
            delete(t).where(c.email == "r@x").returning(c.name),
            [("r",)],
        ),
    }
    for verb, (supported, statement, rows) in returning.items():
        if supported:
            assert live.run(statement) == rows, verb
        else:  # the server's version is known: refused when compiled, never sent
            with pytest.raises(UnsupportedFeatureError, match=rf"{verb} \.\.\. RETURNING is not supported"):
                live.run(statement)


def test_value_injection_attempts_stay_parameters_on_real_databases(live):
    t, c = live.table, live.table.c
    evil = "x'); DROP TABLE users; --"
    sql, params = compile_all(insert(t).values(email=evil, name='"; DELETE FROM x; --'), live.dialect)
    assert evil not in sql and params == (evil, '"; DELETE FROM x; --')
    live.execute(sql, params)
    assert live.run(select(c.name).where(c.email == evil)) == [('"; DELETE FROM x; --',)]
