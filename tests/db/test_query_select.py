"""SELECT through the query builder: exact SQL per dialect, parameter order, and real databases.

Every statement is compiled by both forms of the kernel (compiled and interpreted), with and
without the shape cache; all of them must give the same SQL and parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from covet.db.dialects import MySQLDialect, PostgreSQLDialect, SQLiteDialect
from covet.db.query import (
    Column,
    Table,
    UnsupportedFeatureError,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)
from tests.db.compile_forms import compile_all, raises_all
from tests.db.live_servers import EXECUTORS, Live, seeded


def pg(statement: Any) -> tuple[str, tuple[Any, ...]]:
    return compile_all(statement, "postgresql")


users = Table(
    "users",
    Column("id", "integer", primary_key=True),
    Column("name", "text"),
    Column("age", "integer"),
    Column("email"),
)
orders = Table(
    "orders", Column("id", "integer"), Column("user_id", "integer"), Column("total", "numeric(10, 2)")
)
items = Table("items", Column("order_id", "integer"), Column("sku"), Column("qty", "integer"))
u, o = users.c, orders.c


# -- the simple select, per dialect -------------------------------------------------------------


def test_simple_select_renders_per_dialect_with_values_as_parameters():
    query = select(u.id, u.name).where(u.id == 42)
    assert compile_all(query, "postgresql") == (
        'SELECT "users"."id", "users"."name" FROM "users" WHERE "users"."id" = %s',
        (42,),
    )
    assert compile_all(query, "sqlite") == (
        'SELECT "users"."id", "users"."name" FROM "users" WHERE "users"."id" = ?',
        (42,),
    )
    assert compile_all(query, "mysql") == (
        "SELECT `users`.`id`, `users`.`name` FROM `users` WHERE `users`.`id` = %s",
        (42,),
    )


def test_numeric_paramstyle_numbers_placeholders_in_order():
    asyncpg = PostgreSQLDialect(paramstyle="numeric")
    query = select(u.id).where(u.age.between(18, 65), u.name.like("a%")).limit(5)
    assert compile_all(query, asyncpg) == (
        'SELECT "users"."id" FROM "users" WHERE "users"."age" BETWEEN $1 AND $2 '
        'AND "users"."name" LIKE $3 LIMIT $4',
        (18, 65, "a%", 5),
    )


def test_selecting_a_table_selects_all_its_columns():
    assert pg(select(users))[0] == (
        'SELECT "users"."id", "users"."name", "users"."age", "users"."email" FROM "users"'
    )


# -- comparisons and boolean logic --------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "sql"),
    [
        (u.age == 1, '"users"."age" = %s'),
        (u.age != 1, '"users"."age" <> %s'),
        (u.age < 1, '"users"."age" < %s'),
        (u.age <= 1, '"users"."age" <= %s'),
        (u.age > 1, '"users"."age" > %s'),
        (u.age >= 1, '"users"."age" >= %s'),
        (u.age > 1, '"users"."age" > %s'),
        (u.age == None, '"users"."age" IS NULL'),  # noqa: E711
        (u.age != None, '"users"."age" IS NOT NULL'),  # noqa: E711
        (u.age.is_null(), '"users"."age" IS NULL'),
        (u.age.is_not_null(), '"users"."age" IS NOT NULL'),
        (u.age == u.id, '"users"."age" = "users"."id"'),
    ],
)
def test_comparison_operators(expression, sql):
    assert pg(expression)[0] == sql


def test_and_or_not_parenthesise_only_where_precedence_needs_it():
    a, b, c = u.age == 1, u.name == "x", u.email == "y"
    assert pg((a | b) & c)[0] == '("users"."age" = %s OR "users"."name" = %s) AND "users"."email" = %s'
    assert pg(a | (b & c))[0] == '"users"."age" = %s OR "users"."name" = %s AND "users"."email" = %s'
    assert pg(~(a | b))[0] == 'NOT ("users"."age" = %s OR "users"."name" = %s)'
    assert pg(~a)[0] == 'NOT ("users"."age" = %s)'
    assert pg(not_(u.age.is_null()))[0] == '"users"."age" IS NOT NULL'
    assert pg(a & b & c)[0] == '"users"."age" = %s AND "users"."name" = %s AND "users"."email" = %s'
    assert pg(and_(a, and_(b, c))) == pg(a & b & c)
    assert pg(or_(a, b, c))[1] == (1, "x", "y")


def test_empty_and_is_true_and_empty_or_is_false_per_dialect():
    assert pg(and_())[0] == "TRUE"
    assert pg(or_())[0] == "FALSE"
    assert compile_all(and_(), "sqlite")[0] == "1"
    assert compile_all(select(true(), false(), null()), "sqlite")[0] == "SELECT 1, 0, NULL"


def test_python_and_on_expressions_is_refused():
    with pytest.raises(TypeError, match="combine conditions with & | ~"):
        bool(u.age > 1)
    assert u.age in [u.id, u.age]  # == by identity, so membership tests still work


def test_arithmetic_keeps_its_grouping():
    assert pg((u.age + 1) * 2)[0] == '("users"."age" + %s) * %s'
    assert pg(u.age + 1 * 2)[0] == '"users"."age" + %s'
    assert pg(u.age - (u.id - 1))[0] == '"users"."age" - ("users"."id" - %s)'
    assert pg(u.age - u.id - 1)[0] == '"users"."age" - "users"."id" - %s'
    assert pg(-u.age)[0] == '-"users"."age"'
    assert pg((u.age + 1) > 10)[0] == '"users"."age" + %s > %s'


def test_modulo_is_escaped_for_format_paramstyle_only():
    assert compile_all(u.id % 2 == 0, "postgresql") == ('"users"."id" %% %s = %s', (2, 0))
    assert compile_all(u.id % 2 == 0, "mysql") == ("`users`.`id` %% %s = %s", (2, 0))
    assert compile_all(u.id % 2 == 0, "sqlite") == ('"users"."id" % ? = ?', (2, 0))


def test_concatenation_is_an_operator_or_a_function():
    assert pg(u.name.concat("!"))[0] == '"users"."name" || %s'
    assert compile_all(u.name.concat("!"), "mysql")[0] == "CONCAT(`users`.`name`, %s)"


# -- IN, BETWEEN, LIKE ---------------------------------------------------------------------------


def test_in_list_expands_one_parameter_per_value_without_arrays():
    assert compile_all(u.id.in_([1, 2, 3]), "sqlite") == ('"users"."id" IN (?, ?, ?)', (1, 2, 3))
    assert compile_all(u.id.not_in((7,)), "mysql") == ("`users`.`id` NOT IN (%s)", (7,))


def test_in_list_on_postgresql_is_one_typed_array_parameter():
    assert pg(u.id.in_([1, 2, 3])) == ('"users"."id" = ANY(%s::integer[])', ([1, 2, 3],))
    assert pg(u.id.not_in([1])) == ('"users"."id" <> ALL(%s::integer[])', ([1],))
    assert pg(u.email.in_(["a", "b"])) == ('"users"."email" = ANY(%s::text[])', (["a", "b"],))
    assert pg(literal(5).in_([1, 2])) == ("%s = ANY(%s::bigint[])", (5, [1, 2]))
    # varchar(n)/numeric(p, s) would truncate or round in the cast: the base type is used.
    assert pg(o.total.in_([1]))[0] == '"orders"."total" = ANY(%s::numeric[])'
    # Mixed Python types have no one array type: expanded.
    assert pg(u.email.in_(["a", 1])) == ('"users"."email" IN (%s, %s)', ("a", 1))


def test_empty_in_list_is_false_and_empty_not_in_is_true():
    assert compile_all(u.id.in_([]), "sqlite") == ("1 = 0", ())
    assert compile_all(u.id.not_in([]), "mysql") == ("1 = 1", ())
    assert pg(u.id.in_([])) == ('"users"."id" = ANY(%s::integer[])', ([],))


def test_in_subquery_and_negation():
    adults = select(u.id).where(u.age >= 18)
    assert pg(o.user_id.in_(adults)) == (
        '"orders"."user_id" IN (SELECT "users"."id" FROM "users" WHERE "users"."age" >= %s)',
        (18,),
    )
    assert pg(~o.user_id.in_(adults))[0].startswith('"orders"."user_id" NOT IN (SELECT')


def test_in_refuses_strings_and_expressions():
    with pytest.raises(TypeError, match="collection of values"):
        u.name.in_("abc")
    with pytest.raises(TypeError, match="or_"):
        u.name.in_([u.email])


def test_between_and_not_between():
    assert pg(u.age.between(1, 9)) == ('"users"."age" BETWEEN %s AND %s', (1, 9))
    assert pg(u.age.not_between(1, 9))[0] == '"users"."age" NOT BETWEEN %s AND %s'


def test_ilike_is_native_on_postgresql_and_lowered_elsewhere():
    assert pg(u.name.ilike("a%")) == ('"users"."name" ILIKE %s', ("a%",))
    assert pg(u.name.not_ilike("a%"))[0] == '"users"."name" NOT ILIKE %s'
    assert compile_all(u.name.ilike("a%"), "sqlite") == ('LOWER("users"."name") LIKE LOWER(?)', ("a%",))
    assert compile_all(u.name.not_ilike("a%"), "mysql")[0] == "LOWER(`users`.`name`) NOT LIKE LOWER(%s)"


def test_like_with_escape_and_the_escaping_helpers():
    assert pg(u.name.like("a!%%", escape="!")) == ('"users"."name" LIKE %s ESCAPE %s', ("a!%%", "!"))
    assert pg(u.name.contains("50%_off!")) == ('"users"."name" LIKE %s ESCAPE %s', ("%50!%!_off!!%", "!"))
    assert pg(u.name.startswith("a"))[1] == ("a%", "!")
    assert pg(u.name.endswith("a"))[1] == ("%a", "!")


# -- joins ---------------------------------------------------------------------------------------


def test_join_chains_onto_the_first_table_and_drops_it_from_the_comma_list():
    query = select(u.name, o.total).join(orders, u.id == o.user_id)
    assert pg(query)[0] == (
        'SELECT "users"."name", "orders"."total" FROM "users" '
        'JOIN "orders" ON "users"."id" = "orders"."user_id"'
    )


@pytest.mark.parametrize(
    ("method", "keyword"),
    [("join", "JOIN"), ("left_join", "LEFT JOIN"), ("right_join", "RIGHT JOIN"), ("full_join", "FULL JOIN")],
)
def test_join_kinds(method, keyword):
    query = getattr(select(u.name), method)(orders, u.id == o.user_id)
    assert pg(query)[0] == (
        f'SELECT "users"."name" FROM "users" {keyword} "orders" ON "users"."id" = "orders"."user_id"'
    )


def test_cross_join_has_no_on():
    assert pg(select(u.id).cross_join(orders))[0] == 'SELECT "users"."id" FROM "users" CROSS JOIN "orders"'
    with pytest.raises(ValueError, match="needs an ON condition"):
        select(u.id).join(orders)


def test_complex_select_three_joins_group_having_order():
    query = (
        select(u.name, func.count(o.id).label("n"), func.sum(items.c.qty).label("qty"))
        .join(orders, u.id == o.user_id)
        .join(items, o.id == items.c.order_id)
        .left_join(users.alias("ref"), users.alias("ref").c.id == u.id)
        .where(u.age >= 18, u.name != "x", o.total > 10, items.c.sku.like("A%"), u.email.is_not_null())
        .group_by(u.name)
        .having(func.count(o.id) > 1)
        .order_by(u.name.desc())
        .limit(20)
    )
    assert compile_all(query, "mysql") == (
        "SELECT `users`.`name`, count(`orders`.`id`) AS `n`, sum(`items`.`qty`) AS `qty` FROM `users` "
        "JOIN `orders` ON `users`.`id` = `orders`.`user_id` "
        "JOIN `items` ON `orders`.`id` = `items`.`order_id` "
        "LEFT JOIN `users` AS `ref` ON `ref`.`id` = `users`.`id` "
        "WHERE `users`.`age` >= %s AND `users`.`name` <> %s AND `orders`.`total` > %s "
        "AND `items`.`sku` LIKE %s AND `users`.`email` IS NOT NULL "
        "GROUP BY `users`.`name` HAVING count(`orders`.`id`) > %s ORDER BY `users`.`name` DESC LIMIT %s",
        (18, "x", 10, "A%", 1, 20),
    )


def test_self_join_through_aliases():
    boss = users.alias("boss")
    query = select(u.name, boss.c.name.label("boss")).join(boss, boss.c.id == u.age)
    assert pg(query)[0] == (
        'SELECT "users"."name", "boss"."name" AS "boss" FROM "users" '
        'JOIN "users" AS "boss" ON "boss"."id" = "users"."age"'
    )


def test_right_and_full_join_need_dialect_support():
    right = select(u.name).right_join(orders, u.id == o.user_id)
    full = select(u.name).full_join(orders, u.id == o.user_id)
    raises_all(
        UnsupportedFeatureError,
        right,
        SQLiteDialect(version=(3, 38, 5)),
        "RIGHT JOIN is not supported by sqlite 3.38.5; SQLite has RIGHT",
    )
    raises_all(UnsupportedFeatureError, full, "mysql", "FULL JOIN is not supported by mysql")
    compile_all(right, SQLiteDialect(version=(3, 39, 0)))
    compile_all(right, "mysql")


def test_schema_qualified_tables():
    audit = Table("log", Column("id"), schema="audit")
    assert pg(select(audit.c.id))[0] == 'SELECT "audit"."log"."id" FROM "audit"."log"'
    assert pg(select(audit.alias("l").c.id))[0] == 'SELECT "l"."id" FROM "audit"."log" AS "l"'


# -- subqueries ----------------------------------------------------------------------------------


def test_from_subquery_and_its_columns():
    totals = select(o.user_id, func.sum(o.total).label("spent")).group_by(o.user_id).subquery("t")
    query = select(u.name, totals.c.spent).join(totals, totals.c.user_id == u.id).where(totals.c.spent > 100)
    assert pg(query) == (
        'SELECT "users"."name", "t"."spent" FROM "users" JOIN (SELECT "orders"."user_id", '
        'sum("orders"."total") AS "spent" FROM "orders" GROUP BY "orders"."user_id") AS "t" '
        'ON "t"."user_id" = "users"."id" WHERE "t"."spent" > %s',
        (100,),
    )
    with pytest.raises(AttributeError, match="subquery 't' has no column 'total'"):
        totals.c.total  # noqa: B018


def test_subquery_needs_names_for_computed_columns():
    with pytest.raises(ValueError, match=r"name it with \.label\(\)"):
        select(func.count()).subquery("s")


def test_exists_and_not_exists_correlate_with_the_outer_query():
    big = select(o.id).where(o.user_id == u.id, o.total > 100)
    assert pg(select(u.name).where(exists(big))) == (
        'SELECT "users"."name" FROM "users" WHERE EXISTS (SELECT "orders"."id" FROM "orders" '
        'WHERE "orders"."user_id" = "users"."id" AND "orders"."total" > %s)',
        (100,),
    )
    assert pg(select(u.name).where(~big.exists()))[0].endswith(
        'WHERE NOT EXISTS (SELECT "orders"."id" FROM "orders" WHERE "orders"."user_id" = "users"."id" '
        'AND "orders"."total" > %s)'
    )


def test_scalar_subquery_as_value_and_in_comparisons():
    count = select(func.count()).select_from(orders).where(o.user_id == u.id)
    assert pg(select(u.name, count.scalar_subquery().label("n")).where(count.scalar_subquery() > 1)) == (
        'SELECT "users"."name", '
        '(SELECT count(*) FROM "orders" WHERE "orders"."user_id" = "users"."id") AS "n" '
        'FROM "users" WHERE (SELECT count(*) FROM "orders" WHERE "orders"."user_id" = "users"."id") > %s',
        (1,),
    )


# -- aggregates, grouping, ordering, windows -----------------------------------------------------


def test_aggregates_and_distinct():
    query = select(
        func.count(), func.count(u.email, distinct=True), func.avg(u.age), func.min(u.age), func.max(u.age)
    )
    assert pg(query)[0] == (
        'SELECT count(*), count(DISTINCT "users"."email"), avg("users"."age"), min("users"."age"), '
        'max("users"."age") FROM "users"'
    )
    assert pg(select(u.name).distinct())[0] == 'SELECT DISTINCT "users"."name" FROM "users"'


def test_filter_clause_native_and_emulated_with_case():
    query = select(func.count().filter(u.age > 17), func.sum(u.age).filter(u.name != "x"))
    assert pg(query) == (
        'SELECT count(*) FILTER (WHERE "users"."age" > %s), '
        'sum("users"."age") FILTER (WHERE "users"."name" <> %s) '
        'FROM "users"',
        (17, "x"),
    )
    assert compile_all(query, "mysql") == (
        "SELECT count(CASE WHEN `users`.`age` > %s THEN 1 END), "
        "sum(CASE WHEN `users`.`name` <> %s THEN `users`.`age` END) FROM `users`",
        (17, "x"),
    )
    raises_all(UnsupportedFeatureError, select(func.coalesce(u.age, 0).filter(u.age > 1)), "mysql", "FILTER")


def test_order_by_directions_and_nulls_native_and_emulated():
    query = select(u.name).order_by(u.age.desc(nulls="last"), u.name, u.email.asc(nulls="first"))
    assert pg(query)[0] == (
        'SELECT "users"."name" FROM "users" ORDER BY "users"."age" DESC NULLS LAST, "users"."name", '
        '"users"."email" NULLS FIRST'
    )
    assert compile_all(query, "mysql")[0] == (
        "SELECT `users`.`name` FROM `users` ORDER BY `users`.`age` IS NULL, `users`.`age` DESC, "
        "`users`.`name`, `users`.`email` IS NULL DESC, `users`.`email`"
    )
    with pytest.raises(ValueError, match="'first' or 'last'"):
        u.age.desc(nulls="top")


def test_limit_and_offset_are_parameters_and_offset_alone_per_dialect():
    assert pg(select(u.id).limit(10).offset(20)) == (
        'SELECT "users"."id" FROM "users" LIMIT %s OFFSET %s',
        (10, 20),
    )
    assert pg(select(u.id).offset(5)) == ('SELECT "users"."id" FROM "users" OFFSET %s', (5,))
    assert (
        compile_all(select(u.id).offset(5), "sqlite")[0]
        == 'SELECT "users"."id" FROM "users" LIMIT -1 OFFSET ?'
    )
    assert compile_all(select(u.id).offset(5), "mysql")[0] == (
        "SELECT `users`.`id` FROM `users` LIMIT 18446744073709551615 OFFSET %s"
    )
    assert pg(select(u.id).limit(3).limit(None))[0] == 'SELECT "users"."id" FROM "users"'
    with pytest.raises(ValueError, match="0 or more"):
        select(u.id).limit(-1)
    with pytest.raises(TypeError):
        select(u.id).limit("10")  # type: ignore[arg-type]


def test_window_functions_and_labels_in_order_by():
    rank = func.rank().over(partition_by=u.age, order_by=[u.name.desc(), u.id]).label("r")
    query = select(u.name, rank).order_by(rank)
    assert pg(query)[0] == (
        'SELECT "users"."name", rank() OVER (PARTITION BY "users"."age" ORDER BY "users"."name" DESC, '
        '"users"."id") AS "r" FROM "users" ORDER BY "r"'
    )
    assert pg(func.sum(u.age).over())[0] == 'sum("users"."age") OVER ()'
    assert pg(func.lag(u.age, 1).over(order_by=u.id)) == (
        'lag("users"."age", %s) OVER (ORDER BY "users"."id")',
        (1,),
    )
    raises_all(UnsupportedFeatureError, query, SQLiteDialect(version=(3, 24)), "window functions")


def test_case_and_cast():
    label = case((u.age < 13, "child"), (u.age < 18, "teen"), else_="adult")
    assert pg(label) == (
        'CASE WHEN "users"."age" < %s THEN %s WHEN "users"."age" < %s THEN %s ELSE %s END',
        (13, "child", 18, "teen", "adult"),
    )
    assert pg(cast(u.age, "bigint"))[0] == 'CAST("users"."age" AS bigint)'
    assert pg(u.age.cast("numeric(10, 2)"))[0] == 'CAST("users"."age" AS numeric(10, 2))'


# -- row locks -----------------------------------------------------------------------------------


def test_for_update_variants_per_dialect():
    query = select(u.id).where(u.id == 1)
    assert pg(query.for_update())[0].endswith(" FOR UPDATE")
    assert pg(query.for_update(nowait=True, of=[users]))[0].endswith(' FOR UPDATE OF "users" NOWAIT')
    assert pg(query.for_share(skip_locked=True))[0].endswith(" FOR SHARE SKIP LOCKED")
    assert compile_all(query.for_share(), "mysql")[0].endswith(" LOCK IN SHARE MODE")
    mysql8 = MySQLDialect(server_version="8.0.36")
    assert compile_all(query.for_share(of=[users]), mysql8)[0].endswith(" FOR SHARE OF `users`")
    raises_all(UnsupportedFeatureError, query.for_update(), "sqlite", "FOR UPDATE is not supported by sqlite")
    raises_all(UnsupportedFeatureError, query.for_update(of=[users]), "mysql", "FOR UPDATE OF")
    raises_all(
        UnsupportedFeatureError,
        query.for_update(skip_locked=True),
        MySQLDialect(server_version="10.5.2-MariaDB"),
        "SKIP LOCKED",
    )
    with pytest.raises(ValueError, match="not both"):
        query.for_update(nowait=True, skip_locked=True)


def test_statements_are_immutable_and_shareable():
    base = select(u.id)
    narrowed = base.where(u.id > 1)
    assert pg(base)[0] == 'SELECT "users"."id" FROM "users"'
    assert pg(narrowed.where(u.id < 9))[1] == (1, 9)
    assert str(narrowed) == 'SELECT "users"."id" FROM "users" WHERE "users"."id" > %s'
    assert repr(u.id > 1) == '<BinaryExpression "users"."id" > %s>'


# -- against real databases ----------------------------------------------------------------------

@pytest.fixture(scope="module", params=sorted(EXECUTORS))
def live(request: pytest.FixtureRequest) -> Iterator[Live]:
    """The users and orders tables, created and seeded on one real database, dropped after."""
    with seeded(request.param) as tables:
        yield tables


def test_live_filters_in_lists_and_case_insensitive_like(live):
    lu = live.users.c
    assert live.rows(select(lu.name).where(lu.age >= 18).order_by(lu.name)) == [("ann",), ("dee",)]
    assert live.rows(select(lu.name).where(lu.name.ilike("c%"))) == [("Cid",)]
    assert live.rows(select(lu.id).where(lu.id.in_([1, 3, 99])).order_by(lu.id)) == [(1,), (3,)]
    assert live.rows(select(lu.id).where(lu.id.not_in([1, 3]), lu.age.between(10, 50)).order_by(lu.id)) == [
        (2,),
        (4,),
    ]
    assert live.rows(select(lu.id).where(lu.id.in_([]))) == []
    assert live.rows(select(lu.id).where(lu.id % 2 == 0, lu.name.startswith("d"))) == [(4,)]
    assert live.rows(select(lu.id).where(lu.age == None)) == [(3,)]  # noqa: E711


def test_live_join_group_by_having_and_filter(live):
    lu, lo = live.users.c, live.orders.c
    spent = func.sum(lo.total).label("spent")
    query = (
        select(lu.name, spent, func.count().filter(lo.total > 100).label("big"))
        .join(live.orders, lu.id == lo.user_id)
        .group_by(lu.name)
        .having(func.sum(lo.total) > 25)
        .order_by(spent.desc())
    )
    assert live.rows(query) == [("dee", 310, 1), ("ann", 200, 1)]


def test_live_outer_joins_subqueries_and_exists(live):
    lu, lo = live.users.c, live.orders.c
    assert live.rows(select(lu.name).left_join(live.orders, lu.id == lo.user_id).where(lo.id == None)) == [  # noqa: E711
        ("Cid",)
    ]
    no_orders = select(lu.name).select_from(live.orders).right_join(live.users, lo.user_id == lu.id)
    assert live.rows(no_orders.where(lo.id.is_null())) == [("Cid",)]
    totals = select(lo.user_id, func.sum(lo.total).label("t")).group_by(lo.user_id).subquery("t")
    assert live.rows(
        select(lu.name, totals.c.t)
        .join(totals, lu.id == totals.c.user_id)
        .where(totals.c.t > 100)
        .order_by(lu.id)
    ) == [("ann", 200), ("dee", 310)]
    big = select(lo.id).where(lo.user_id == lu.id, lo.total > 100)
    assert live.rows(select(lu.name).where(exists(big)).order_by(lu.id)) == [("ann",), ("dee",)]
    count = select(func.count()).select_from(live.orders).where(lo.user_id == lu.id).scalar_subquery()
    assert live.rows(select(lu.name, count.label("n")).order_by(lu.id)) == [
        ("ann", 2),
        ("bob", 1),
        ("Cid", 0),
        ("dee", 2),
    ]


def test_live_windows_ordering_paging_case_and_concat(live):
    lu, lo = live.users.c, live.orders.c
    rank = func.row_number().over(partition_by=lo.user_id, order_by=lo.total.desc()).label("rn")
    ranked = select(lo.id, rank).subquery("r")
    assert live.rows(select(ranked.c.id).where(ranked.c.rn == 1).order_by(ranked.c.id)) == [(2,), (3,), (4,)]
    assert live.rows(select(lu.id).order_by(lu.age.asc(nulls="first"))) == [(3,), (2,), (1,), (4,)]
    assert live.rows(select(lu.id).order_by(lu.age.desc(nulls="last"))) == [(4,), (1,), (2,), (3,)]
    assert live.rows(select(lu.id).order_by(lu.id).limit(2).offset(1)) == [(2,), (3,)]
    assert live.rows(select(lu.id).order_by(lu.id).offset(3)) == [(4,)]
    kind = case((lu.age < 18, "minor"), (lu.age.is_null(), "unknown"), else_="adult")
    assert live.rows(select(kind).order_by(lu.id)) == [("adult",), ("minor",), ("unknown",), ("adult",)]
    assert live.rows(select(lu.name.concat("!")).where(lu.id == 1)) == [("ann!",)]
    assert live.rows(select(lu.name).where(and_(), or_(lu.id == 1, lu.id == 2), not_(lu.id == 2))) == [
        ("ann",)
    ]
