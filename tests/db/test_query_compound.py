"""Compound selects and common table expressions: exact SQL per dialect, and real databases.

Every statement is compiled by both forms of the kernel, with and without the shape cache.
Window frames, which belong to expressions, are here too: they were added with these.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from covet.db.dialects import MySQLDialect, SQLiteDialect
from covet.db.query import (
    Column,
    Table,
    UnsupportedFeatureError,
    except_,
    except_all,
    func,
    intersect,
    intersect_all,
    literal,
    select,
    union,
    union_all,
)
from tests.db.compile_forms import compile_all, raises_all
from tests.db.live_servers import EXECUTORS, Live, seeded

users = Table("users", Column("id", "integer"), Column("name"), Column("age", "integer"))
orders = Table("orders", Column("id", "integer"), Column("user_id", "integer"), Column("total", "integer"))
u, o = users.c, orders.c
ADULTS = select(u.id).where(u.age >= 18)
BUYERS = select(o.user_id)
MARIADB = MySQLDialect(server_version="10.11.6-MariaDB")
MYSQL_8031 = MySQLDialect(server_version="8.0.31")

ADULTS_SQL = 'SELECT "users"."id" FROM "users" WHERE "users"."age" >= %s'
BUYERS_SQL = 'SELECT "orders"."user_id" FROM "orders"'


def pg(statement: Any) -> tuple[str, tuple[Any, ...]]:
    return compile_all(statement, "postgresql")


# -- set operations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("combine", "keyword"),
    [
        (union, "UNION"),
        (union_all, "UNION ALL"),
        (intersect, "INTERSECT"),
        (intersect_all, "INTERSECT ALL"),
        (except_, "EXCEPT"),
        (except_all, "EXCEPT ALL"),
    ],
)
def test_set_operations_join_their_selects(combine: Any, keyword: str) -> None:
    assert pg(combine(ADULTS, BUYERS)) == (f"{ADULTS_SQL} {keyword} {BUYERS_SQL}", (18,))


def test_methods_and_functions_build_the_same_statement() -> None:
    assert pg(ADULTS.union(BUYERS)) == pg(union(ADULTS, BUYERS))
    assert pg(ADULTS.intersect_all(BUYERS)) == pg(intersect_all(ADULTS, BUYERS))
    assert pg(ADULTS.except_(BUYERS, select(o.id))) == pg(except_(ADULTS, BUYERS, select(o.id)))


def test_order_limit_and_offset_apply_to_the_whole_result_by_column_name() -> None:
    statement = union(ADULTS, BUYERS).order_by(u.id.desc()).limit(5).offset(10)
    expected = f'{ADULTS_SQL} UNION {BUYERS_SQL} ORDER BY "id" DESC LIMIT %s OFFSET %s'
    assert pg(statement) == (expected, (18, 5, 10))
    assert compile_all(union(ADULTS, BUYERS).offset(2), "sqlite")[0].endswith("LIMIT -1 OFFSET ?")


def test_chains_of_one_operation_stay_flat_and_mixed_ones_nest() -> None:
    flat = ADULTS.union(BUYERS).union(select(o.id))
    assert pg(flat)[0] == f'{ADULTS_SQL} UNION {BUYERS_SQL} UNION SELECT "orders"."id" FROM "orders"'
    mixed = ADULTS.union(BUYERS).except_(select(o.id))
    assert pg(mixed)[0] == f'({ADULTS_SQL} UNION {BUYERS_SQL}) EXCEPT SELECT "orders"."id" FROM "orders"'
    # SQLite has no parentheses there, and evaluates left to right: the first member needs none.
    assert compile_all(mixed, "sqlite")[0] == pg(mixed)[0][1:].replace(")", "", 1).replace("%s", "?")
    nested_last = except_(select(o.id), ADULTS.union(BUYERS))
    raises_all(UnsupportedFeatureError, nested_last, "sqlite", "parenthesized member.*subquery")


def test_members_with_their_own_limit_are_parenthesized() -> None:
    newest = select(o.user_id).order_by(o.id.desc()).limit(1)
    assert pg(union(ADULTS, newest)) == (
        f'{ADULTS_SQL} UNION (SELECT "orders"."user_id" FROM "orders" ORDER BY "orders"."id" DESC LIMIT %s)',
        (18, 1),
    )
    raises_all(UnsupportedFeatureError, union(ADULTS, newest), "sqlite", "parenthesized member")


def test_compounds_as_subqueries_in_lists_and_values() -> None:
    either = ADULTS.union(BUYERS)
    sub = either.subquery("ids")
    assert pg(select(sub.c.id))[0] == f'SELECT "ids"."id" FROM ({ADULTS_SQL} UNION {BUYERS_SQL}) AS "ids"'
    assert pg(select(u.name).where(u.id.in_(either)))[0] == (
        f'SELECT "users"."name" FROM "users" WHERE "users"."id" IN ({ADULTS_SQL} UNION {BUYERS_SQL})'
    )
    assert pg(select(u.name).where(u.id == either))[0].endswith(f'= ({ADULTS_SQL} UNION {BUYERS_SQL})')


def test_set_operations_check_their_members() -> None:
    with pytest.raises(ValueError, match="same number of columns: 1 and 2"):
        union(ADULTS, select(o.id, o.total))
    with pytest.raises(ValueError, match="at least two selects"):
        union(ADULTS)
    with pytest.raises(TypeError, match="combine selects"):
        union(ADULTS, u.id)  # type: ignore[arg-type]


def test_intersect_and_except_follow_the_dialect() -> None:
    for dialect in ("mysql", MySQLDialect(server_version="8.0.30")):
        raises_all(
            UnsupportedFeatureError, intersect(ADULTS, BUYERS), dialect, "INTERSECT and EXCEPT.*8.0.31"
        )
    assert "INTERSECT ALL" in compile_all(intersect_all(ADULTS, BUYERS), MYSQL_8031)[0]
    assert "EXCEPT" in compile_all(except_(ADULTS, BUYERS), MARIADB)[0]
    raises_all(UnsupportedFeatureError, except_all(ADULTS, BUYERS), "sqlite", "INTERSECT ALL and EXCEPT ALL")
    mariadb_104 = MySQLDialect(server_version="10.4.1-MariaDB")
    raises_all(UnsupportedFeatureError, except_all(ADULTS, BUYERS), mariadb_104, "ALL")
    assert compile_all(union(ADULTS, BUYERS), "mysql")[0].count(" UNION ") == 1


def test_the_shape_cache_tells_set_operations_apart() -> None:
    statements = [union(ADULTS, BUYERS), union_all(ADULTS, BUYERS), except_(ADULTS, BUYERS),
                  union(ADULTS, BUYERS).limit(1), union(ADULTS, BUYERS, BUYERS)]
    sqls = {pg(statement)[0] for statement in statements}
    assert len(sqls) == len(statements)


def test_one_compiler_keeps_every_new_shape_apart() -> None:
    from covet.db.dialects import PostgreSQLDialect

    dialect = PostgreSQLDialect()  # one shape cache for all of them
    window = func.sum(o.total).over
    statements = [
        select(window(order_by=o.id, rows=(-1, 0))),
        select(window(order_by=o.id, rows=(-2, 0))),
        select(window(order_by=o.id, range_=(-1, 0))),
        select(window(order_by=o.id)),
        union(ADULTS, BUYERS),
        union_all(ADULTS, BUYERS),
        ADULTS.with_(BUYERS.cte("b")),
        ADULTS.with_(BUYERS.cte("c")),
        ADULTS.with_(BUYERS.cte("b", columns=["x"])),
        ADULTS.with_(BUYERS.cte("b", recursive=True)),
    ]
    first = [dialect.compile(statement).sql for statement in statements]
    again = [dialect.compile(statement).sql for statement in statements]
    assert first == again and len(set(first)) == len(statements)
    assert dialect.compiler.cache_info()["hits"] == len(statements)


# -- common table expressions ------------------------------------------------------------------


def test_a_cte_is_declared_with_with_and_selected_from_like_a_table() -> None:
    big = select(o.user_id, func.sum(o.total).label("spent")).group_by(o.user_id).cte("big")
    statement = (
        select(u.name, big.c.spent).join(big, big.c.user_id == u.id).where(big.c.spent > 100).with_(big)
    )
    assert pg(statement) == (
        'WITH "big" AS (SELECT "orders"."user_id", sum("orders"."total") AS "spent" FROM "orders" '
        'GROUP BY "orders"."user_id") SELECT "users"."name", "big"."spent" FROM "users" '
        'JOIN "big" ON "big"."user_id" = "users"."id" WHERE "big"."spent" > %s',
        (100,),
    )


def test_several_ctes_with_column_names_and_one_using_another() -> None:
    first = select(u.id).where(u.age > 1).cte("first", columns=["uid"])
    second = select(first.c.uid).where(first.c.uid < 9).cte("second")
    statement = select(second.c.uid).with_(first, second)
    assert pg(statement) == (
        'WITH "first" ("uid") AS (SELECT "users"."id" FROM "users" WHERE "users"."age" > %s), '
        '"second" AS (SELECT "first"."uid" FROM "first" WHERE "first"."uid" < %s) '
        'SELECT "second"."uid" FROM "second"',
        (1, 9),
    )


def test_a_recursive_cte_is_its_anchor_union_all_its_step() -> None:
    counter = select(literal(1).label("n")).cte("counter", recursive=True)
    counter = counter.union_all(select((counter.c.n + 1).label("n")).where(counter.c.n < 5))
    statement = select(counter.c.n).with_(counter)
    expected = (
        'WITH RECURSIVE "counter" AS (SELECT %s AS "n" UNION ALL SELECT "counter"."n" + %s AS "n" '
        'FROM "counter" WHERE "counter"."n" < %s) SELECT "counter"."n" FROM "counter"'
    )
    assert pg(statement) == (expected, (1, 1, 5))
    assert compile_all(statement, "mysql")[0] == expected.replace('"', "`")


def test_ctes_before_a_compound_and_compounds_inside_ctes() -> None:
    ids = union(ADULTS, BUYERS).cte("ids")
    statement = union(select(ids.c.id), select(o.id)).with_(ids)
    assert pg(statement)[0] == (
        f'WITH "ids" AS ({ADULTS_SQL} UNION {BUYERS_SQL}) SELECT "ids"."id" FROM "ids" UNION '
        'SELECT "orders"."id" FROM "orders"'
    )


def test_cte_misuse_is_reported() -> None:
    with pytest.raises(ValueError, match="CTE 'x' names 1 columns"):
        ADULTS.cte("x", columns=["a", "b"])
    with pytest.raises(ValueError, match="unnamed expression"):
        select(u.age + 1).cte("x")
    with pytest.raises(TypeError, match="with_\\(\\) declares CTEs"):
        ADULTS.with_(users)  # type: ignore[arg-type]
    mysql_57 = MySQLDialect(server_version="5.7.40")
    raises_all(UnsupportedFeatureError, ADULTS.with_(ADULTS.cte("x")), mysql_57, "WITH")


# -- window frames -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "sql"),
    [
        ({"rows": (None, 0)}, "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
        ({"rows": (-2, 2)}, "ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING"),
        ({"rows": (0, None)}, "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"),
        ({"range_": (None, None)}, "RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"),
        ({"range_": (-10, 0)}, "RANGE BETWEEN 10 PRECEDING AND CURRENT ROW"),
    ],
)
def test_window_frames(frame: dict[str, Any], sql: str) -> None:
    window = func.sum(o.total).over(order_by=o.id, **frame)
    assert pg(select(window.label("s")))[0] == (
        f'SELECT sum("orders"."total") OVER (ORDER BY "orders"."id" {sql}) AS "s" FROM "orders"'
    )
    assert pg(select(func.count().over(**frame)))[0] == f'SELECT count(*) OVER ({sql}) FROM "orders"'.replace(
        ' FROM "orders"', ""
    )


def test_window_frames_are_checked() -> None:
    with pytest.raises(ValueError, match="not both"):
        func.sum(o.total).over(rows=(None, 0), range_=(None, 0))
    with pytest.raises(ValueError, match="cannot end \\(-1\\) before it starts \\(1\\)"):
        func.sum(o.total).over(rows=(1, -1))
    with pytest.raises(TypeError, match="an int offset or None"):
        func.sum(o.total).over(rows=("1; DROP TABLE x", 0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="an int offset or None"):
        func.sum(o.total).over(rows=(True, 0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a \\(start, end\\) pair"):
        func.sum(o.total).over(rows=(1,))  # type: ignore[arg-type]
    raises_all(
        UnsupportedFeatureError,
        select(func.sum(o.total).over(rows=(None, 0))),
        SQLiteDialect(version=(3, 24)),
        "window functions",
    )


# -- against real databases --------------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(EXECUTORS))
def live(request: pytest.FixtureRequest) -> Iterator[Live]:
    with seeded(request.param) as tables:
        if tables.dialect.name == "mysql":
            version = tables.execute("SELECT VERSION()", ())[0][0]
            tables.dialect = MySQLDialect(server_version=version)  # INTERSECT/EXCEPT by version
        yield tables


def test_live_set_operations(live: Live) -> None:
    lu, lo = live.users.c, live.orders.c
    adults = select(lu.id).where(lu.age >= 18)
    buyers = select(lo.user_id)
    assert live.rows(union(adults, buyers).order_by(lu.id)) == [(1,), (2,), (4,)]
    assert live.rows(union_all(adults, buyers).order_by(lu.id.desc()).limit(3)) == [(4,), (4,), (4,)]
    assert live.rows(intersect(adults, buyers).order_by(lu.id)) == [(1,), (4,)]
    assert live.rows(except_(buyers, adults)) == [(2,)]
    but_dee = adults.union(buyers).except_(select(lu.id).where(lu.id == 4))
    assert live.rows(but_dee.order_by(lu.id)) == [(1,), (2,)]
    if live.dialect.supports_parenthesized_compound_members:
        newest = select(lo.user_id).order_by(lo.id.desc()).limit(1)
        assert live.rows(union(select(lu.id).where(lu.id == 2), newest).order_by(lu.id)) == [(2,), (4,)]
    if live.dialect.supports_intersect_except_all:
        assert live.rows(except_all(buyers, adults).order_by(lo.user_id)) == [(1,), (2,), (4,)]


def test_live_ctes_and_recursion(live: Live) -> None:
    lu, lo = live.users.c, live.orders.c
    spent = select(lo.user_id, func.sum(lo.total).label("spent")).group_by(lo.user_id).cte("spent")
    rich = select(lu.name).join(spent, spent.c.user_id == lu.id).where(spent.c.spent > 100).order_by(lu.name)
    assert live.rows(rich.with_(spent)) == [("ann",), ("dee",)]
    counter = select(literal(1).label("n")).cte("counter", recursive=True)
    counter = counter.union_all(select((counter.c.n + 1).label("n")).where(counter.c.n < 5))
    assert live.rows(select(counter.c.n).with_(counter)) == [(1,), (2,), (3,), (4,), (5,)]


def test_live_window_frames(live: Live) -> None:
    lo = live.orders.c
    running = func.sum(lo.total).over(order_by=lo.id, rows=(None, 0)).label("running")
    around = func.sum(lo.total).over(order_by=lo.id, rows=(-1, 1)).label("around")
    by_value = func.count().over(order_by=lo.total, range_=(-30, 30)).label("near")
    rows = live.rows(select(lo.id, running, around, by_value).order_by(lo.id))
    assert rows == [(1, 50, 200, 2), (2, 200, 220, 1), (3, 220, 470, 3), (4, 520, 330, 1), (5, 530, 310, 2)]
