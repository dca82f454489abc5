"""Dialects: identifier quoting and checks, injection attempts, feature flags and version handling."""

from __future__ import annotations

import sqlite3

import pytest

from covet.db.dialects import (
    InvalidIdentifierError,
    MySQLDialect,
    PostgreSQLDialect,
    SQLiteDialect,
    check_identifier,
    dialect_for,
    get_dialect,
    quoted,
)
from covet.db.query import Column, Table, cast, func, insert, select, update
from tests.db.compile_forms import KERNELS, compile_all

# -- identifiers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        'users"; DROP TABLE users; --',
        "users`; DROP TABLE users; --",
        "users; DROP TABLE x",
        "a b",
        "1users",
        "users.name",
        "naïve",
        "x\0y",
        "-- comment",
        "%s",
    ],
)
def test_unsafe_identifiers_are_rejected_naming_the_identifier(name):
    with pytest.raises(InvalidIdentifierError, match="invalid table name") as info:
        Table(name, Column("id"))
    assert repr(name) in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidIdentifierError, match="invalid column name"):
        Column(name)
    with pytest.raises(InvalidIdentifierError, match="invalid label"):
        Column("x").label(name)


def test_empty_and_non_string_identifiers_are_rejected():
    with pytest.raises(InvalidIdentifierError, match="empty table name"):
        Table("")
    with pytest.raises(InvalidIdentifierError, match="expected a str, got int"):
        check_identifier(3, "column name")
    with pytest.raises(InvalidIdentifierError, match="empty column name"):
        Column(quoted(""))


def test_schema_alias_function_and_type_names_are_checked_too():
    with pytest.raises(InvalidIdentifierError, match="invalid schema name"):
        Table("t", schema="public; --")
    with pytest.raises(InvalidIdentifierError, match="invalid table alias"):
        Table("t").alias("a b")
    with pytest.raises(InvalidIdentifierError, match="invalid function name"):
        getattr(func, "count(*); DROP TABLE x; --")
    with pytest.raises(InvalidIdentifierError, match="invalid SQL type name"):
        cast(1, "int); DROP TABLE x; --")
    with pytest.raises(InvalidIdentifierError, match="invalid subquery name"):
        select(Table("t", Column("a")).c.a).subquery('s"')


def test_quoted_names_are_used_verbatim_with_the_quote_doubled():
    odd = Table(quoted('we"ird`%name'), Column(quoted("unit price")))
    assert compile_all(select(odd.c["unit price"]), "postgresql")[0] == (
        'SELECT "we""ird`%%name"."unit price" FROM "we""ird`%%name"'
    )
    assert compile_all(select(odd.c["unit price"]), "sqlite")[0] == (
        'SELECT "we""ird`%name"."unit price" FROM "we""ird`%name"'
    )
    assert compile_all(select(odd.c["unit price"]), "mysql")[0] == (
        'SELECT `we"ird``%%name`.`unit price` FROM `we"ird``%%name`'
    )


def test_quoted_names_still_refuse_nul_and_control_characters():
    for name in ("a\0b", "a\nb", "a\x1bb"):
        with pytest.raises(InvalidIdentifierError, match="NUL or control characters"):
            Column(quoted(name))


def test_identifier_length_limits_are_per_dialect():
    ok, long = "a" * 63, "a" * 64
    assert compile_all(select(Table(ok, Column("x")).c.x), "postgresql")
    statement = select(Table(long, Column("x")).c.x)
    compile_all(statement, "mysql")  # 64 is MySQL's limit
    compile_all(statement, "sqlite")  # SQLite has none
    for kernel in KERNELS:
        with pytest.raises(
            InvalidIdentifierError,
            match=f"identifier '{long}' is 64 bytes long; postgresql allows at most 63",
        ):
            kernel.Compiler(get_dialect("postgresql"), 0).compile(statement)
        with pytest.raises(InvalidIdentifierError, match="65 characters long; mysql allows at most 64"):
            kernel.Compiler(get_dialect("mysql"), 0).compile(select(Table("b" * 65, Column("x")).c.x))
    # PostgreSQL counts bytes: 32 two-byte characters are 64 bytes.
    wide = Table(quoted("é" * 32), Column("x"))
    with pytest.raises(InvalidIdentifierError, match="64 bytes"):
        compile_all(select(wide.c.x), "postgresql")
    compile_all(select(wide.c.x), "mysql")


def test_reserved_words_are_fine_because_everything_is_quoted():
    order = Table("order", Column("select"), Column("from"))
    assert compile_all(select(order.c.select).where(order.c["from"] == 1), "sqlite") == (
        'SELECT "order"."select" FROM "order" WHERE "order"."from" = ?',
        (1,),
    )
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE "order" ("select" TEXT, "from" INTEGER)')
    conn.execute(*compile_all(insert(order).values({"select": "x", "from": 1}), "sqlite"))
    assert conn.execute(
        *compile_all(select(order.c.select).where(order.c["from"] == 1), "sqlite")
    ).fetchall() == [("x",)]


def test_unknown_columns_name_the_column_and_the_table():
    users = Table("users", Column("id"), Column("name"))
    with pytest.raises(AttributeError, match=r"table 'users' has no column 'nme' \(its columns: id, name\)"):
        users.c.nme  # noqa: B018
    with pytest.raises(KeyError):
        users.c["nme"]
    with pytest.raises(LookupError, match="table 'users'"):
        users.column("nme")
    with pytest.raises(AttributeError, match=r"table 'users' \(as 'u'\) has no column 'x'"):
        users.alias("u").c.x  # noqa: B018
    with pytest.raises(ValueError, match="two columns named 'id'"):
        Table("t", Column("id"), Column("id"))
    with pytest.raises(ValueError, match="already belongs to 'users'"):
        Table("other", users.c.id)


# -- values never reach the SQL text -------------------------------------------------------------

EVIL = ["'; DROP TABLE users; --", '" OR 1=1 --', "` OR 1=1 --", "\\'; --", "%s", "?", "$1", "\0", "%(x)s"]


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "mysql"])
def test_injection_through_values_only_ever_reaches_the_parameters(dialect):
    t = Table("t", Column("a"), Column("b"))
    in_list = (list(EVIL),) if dialect == "postgresql" else tuple(EVIL)
    cases = [
        (
            select(t.c.a).where(t.c.b == EVIL[0], t.c.a.in_(EVIL), t.c.a.like(EVIL[1])).limit(3),
            select(t.c.a).where(t.c.b == "x", t.c.a.in_(["x"] * len(EVIL)), t.c.a.like("x")).limit(3),
            (EVIL[0], *in_list, EVIL[1], 3),
        ),
        (
            insert(t).values([{"a": value, "b": value} for value in EVIL]),
            insert(t).values([{"a": "x", "b": "x"} for _ in EVIL]),
            tuple(v for value in EVIL for v in (value, value)),
        ),
        (
            update(t).values(a=EVIL[2]).where(t.c.b.between(EVIL[3], EVIL[4])),
            update(t).values(a="x").where(t.c.b.between("x", "x")),
            (EVIL[2], EVIL[3], EVIL[4]),
        ),
    ]
    for statement, harmless, expected_params in cases:
        sql, params = compile_all(statement, dialect)
        assert sql == compile_all(harmless, dialect)[0]  # the same text as with harmless values
        assert params == expected_params
        for value in EVIL[:4]:
            assert value not in sql


# -- feature flags and versions ------------------------------------------------------------------


def test_feature_matrix_of_the_default_dialects():
    pg, lite, my = get_dialect("postgresql"), get_dialect("sqlite"), get_dialect("mysql")
    assert (pg.paramstyle, lite.paramstyle, my.paramstyle) == ("format", "qmark", "format")
    assert (pg.identifier_quote, lite.identifier_quote, my.identifier_quote) == ('"', '"', "`")
    assert pg.supports_returning and pg.insert_returning and pg.update_returning and pg.delete_returning
    assert not my.supports_returning
    assert pg.supports_ilike and not lite.supports_ilike and not my.supports_ilike
    assert pg.supports_filter_clause and not my.supports_filter_clause
    assert (pg.upsert_style, lite.upsert_style, my.upsert_style) == (
        "on_conflict",
        "on_conflict",
        "on_duplicate_key",
    )
    assert pg.supports_window_functions and my.supports_window_functions
    assert pg.supports_for_update and my.supports_for_update and not lite.supports_for_update
    assert pg.supports_skip_locked and pg.supports_nowait
    assert pg.supports_right_join and my.supports_right_join and not my.supports_full_join
    assert pg.in_list_as_array and not lite.in_list_as_array and not my.in_list_as_array
    assert (pg.true_sql, lite.true_sql) == ("TRUE", "1")
    assert (pg.limit_all_sql, lite.limit_all_sql, my.limit_all_sql) == (None, "-1", "18446744073709551615")


def test_sqlite_features_follow_the_library_version():
    assert SQLiteDialect().server_version == sqlite3.sqlite_version_info
    old = SQLiteDialect(version=(3, 24, 0))
    assert not (
        old.supports_returning
        or old.supports_right_join
        or old.supports_filter_clause
        or old.supports_window_functions
        or old.supports_nulls_ordering
    )
    new = SQLiteDialect(version=(3, 45, 1))
    assert (
        new.insert_returning and new.update_returning and new.supports_right_join and new.supports_full_join
    )
    assert new.supports_filter_clause and new.supports_window_functions and new.supports_nulls_ordering
    assert get_dialect("sqlite").supports_right_join == (sqlite3.sqlite_version_info >= (3, 39))


def test_mysql_and_mariadb_versions():
    maria = MySQLDialect(server_version="5.5.5-10.11.19-MariaDB-0+deb12u1")
    assert maria.is_mariadb and maria.server_version == (10, 11, 19)
    assert maria.insert_returning and maria.delete_returning and not maria.update_returning
    assert maria.supports_skip_locked and maria.for_share_sql == "LOCK IN SHARE MODE"
    assert not MySQLDialect(server_version="10.4.30-MariaDB").insert_returning
    assert not MySQLDialect(server_version="10.5.2-MariaDB").supports_skip_locked
    mysql8 = MySQLDialect(server_version="8.0.36")
    assert not mysql8.is_mariadb and not mysql8.supports_returning
    assert mysql8.for_share_sql == "FOR SHARE" and mysql8.supports_for_update_of
    assert mysql8.excluded_style == "row_alias"
    assert MySQLDialect(server_version="8.0.18").excluded_style == "values_function"
    assert not MySQLDialect(server_version="5.7.44").supports_window_functions
    assert dialect_for("mariadb").insert_returning
    assert dialect_for("mysql", "10.6.1-MariaDB").describe() == "mysql (MariaDB 10.6.1)"


def test_dialect_lookup():
    assert get_dialect("postgresql") is get_dialect("postgresql")
    custom = PostgreSQLDialect(paramstyle="numeric")
    assert get_dialect(custom) is custom
    assert dialect_for("postgres").name == "postgresql"
    assert dialect_for("PostgreSQL", "15.4").server_version == (15, 4)
    assert dialect_for("postgresql", 150020).server_version == (15, 20)
    assert dialect_for("postgresql", 90624).server_version == (9, 6, 24)
    assert dialect_for("sqlite", "3.38.5").supports_right_join is False
    with pytest.raises(ValueError, match="unknown SQL dialect 'oracle'"):
        dialect_for("oracle")
    with pytest.raises(ValueError, match="'format' .psycopg. or 'numeric' .asyncpg."):
        PostgreSQLDialect(paramstyle="qmark")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot read a server version"):
        MySQLDialect(server_version="unknown")
    assert "paramstyle=qmark" in repr(get_dialect("sqlite"))


def test_each_dialect_compiles_through_its_own_cached_compiler():
    dialect = PostgreSQLDialect(cache_size=2)
    assert dialect.compiler is dialect.compiler
    assert dialect.compiler.cache_size == 2
    t = Table("t", Column("a"))
    assert dialect.compile(select(t.c.a)).sql == 'SELECT "t"."a" FROM "t"'
    assert select(t.c.a).compile(dialect).sql == 'SELECT "t"."a" FROM "t"'
    assert dialect.compiler.cache_info() == {"hits": 1, "misses": 1, "size": 1, "max_size": 2}
