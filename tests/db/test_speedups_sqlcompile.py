"""covet._speedups.sqlcompile, compiled and interpreted: both forms must compile alike."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

import covet._speedups as speedups
from covet.db.dialects import Dialect, InvalidIdentifierError, MySQLDialect, PostgreSQLDialect, get_dialect
from covet.db.query import (
    Column,
    Table,
    case,
    cast,
    delete,
    excluded,
    exists,
    false,
    func,
    insert,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    update,
)
from tests import kernels

DIALECTS = [
    get_dialect("postgresql"),
    PostgreSQLDialect(paramstyle="numeric"),
    get_dialect("sqlite"),
    get_dialect("mysql"),
    MySQLDialect(server_version="10.11.6-MariaDB"),
    MySQLDialect(server_version="8.0.36"),
]






@pytest.fixture(params=["compiled", "interpreted"])
def kernel(request: pytest.FixtureRequest) -> ModuleType:
    return kernels.form("sqlcompile", request.param)


users = Table("users", Column("id", "integer"), Column("name"), Column("age", "integer"), Column("email"))
orders = Table("orders", Column("id", "integer"), Column("user_id", "integer"), Column("total", "numeric"))
u, o = users.c, orders.c


def corpus() -> list[Any]:
    """One statement or more for every node kind and dialect branch of the compiler."""
    boss = users.alias("boss")
    totals = select(o.user_id, func.sum(o.total).label("t")).group_by(o.user_id).subquery("totals")
    counter = select(literal(1).label("n")).cte("counter", recursive=True, columns=["n"])
    counter = counter.union_all(select(counter.c.n + 1).where(counter.c.n < 3))
    return [
        select(u.id, u.name).where(u.id == 42),
        select(users).where((u.age > 1) | ~(u.name == "x"), u.email.is_null(), u.age != None),  # noqa: E711
        select(u.id).where(u.id.in_([1, 2, 3]), u.name.not_in(["a"]), u.age.in_([]), u.id.not_in([])),
        select(u.id).where(u.id.in_(select(o.user_id).where(o.total > 10)), u.age.between(1, 2)),
        select(u.id).where(
            u.name.like("a%"), u.name.ilike("b%", escape="!"), u.name.not_ilike("c"), u.email.contains("50%")
        ),
        select((u.age + 1) * 2, u.age % 3, -u.age, u.name.concat("!"), literal(5), true(), false(), null()),
        select(u.name, func.count(o.id).label("n"))
        .join(orders, u.id == o.user_id)
        .left_join(boss, boss.c.id == u.age)
        .where(o.total >= 10)
        .group_by(u.name)
        .having(func.count(o.id) > 1)
        .order_by(u.name.desc(nulls="last"), u.id.asc(nulls="first"))
        .limit(10)
        .offset(5),
        select(u.id).offset(7),
        select(u.name).right_join(orders, u.id == o.user_id),
        select(u.name).cross_join(orders).distinct(),
        select(u.name, totals.c.t).join(totals, totals.c.user_id == u.id),
        select(u.name).where(exists(select(o.id).where(o.user_id == u.id)), not_(exists(select(o.id)))),
        select(u.name, select(func.count()).select_from(orders).where(o.user_id == u.id).scalar_subquery()),
        select(
            func.count(),
            func.count(u.email, distinct=True),
            func.sum(u.age).filter(u.age > 1),
            func.count().filter(u.name != "x"),
        ),
        select(func.row_number().over(partition_by=[u.age], order_by=u.id.desc()).label("rn")),
        select(case((u.age < 18, "minor"), else_="adult"), cast(u.age, "bigint")),
        select(u.id).where(or_()).for_update(of=[users], nowait=True),
        select(u.id).for_share(skip_locked=True),
        insert(users).values(name="a", age=1),
        insert(users).values([{"name": n, "age": i} for i, n in enumerate("abcde")]),
        insert(users).values(name="a", age=func.abs(-1)).returning(u.id),
        insert(users).values(name="a", email="e").on_conflict_do_nothing("email"),
        insert(users)
        .values(name="a", email="e", age=1)
        .on_conflict_do_update("email", {"age": u.age + excluded("age")}),
        insert(users).values(email="e", age=1).on_conflict_do_update("email"),
        insert(users).from_select(["name"], select(o.user_id)).on_conflict_do_nothing("name"),
        insert(users),
        update(users).values(name="b", age=u.age + 1).where(u.id == 1).returning(u.age),
        delete(users).where(u.id.in_([1, 2])).returning(u.id),
        u.id == 1,
        select(u.id).union(select(o.user_id)).order_by(u.id.desc()).limit(3).offset(1),
        select(u.id).intersect_all(select(o.user_id)).except_(select(o.id).limit(2)),
        select(u.id).where(u.id.in_(select(o.user_id).union_all(select(o.id)))),
        select(counter.c.n).with_(counter),
        select(func.sum(u.age).over(order_by=u.id, rows=(None, 0)), func.count().over(range_=(-5, 5))),
    ]


def _compile(kernel: ModuleType, dialect: Any, statement: Any) -> tuple[str, tuple[Any, ...]] | str:
    try:
        query = kernel.Compiler(dialect, 0).compile(statement)
    except Exception as exc:  # the forms must also fail alike
        return f"{type(exc).__name__}: {exc}"
    return query.sql, query.params


def test_the_compiled_module_is_the_extension():
    assert speedups.is_compiled(kernels.compiled("sqlcompile"))
    assert "sqlcompile" in speedups.COMPILED_MODULES


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.describe())
def test_both_forms_compile_every_case_identically(dialect):
    compiled, interpreted = kernels.compiled("sqlcompile"), kernels.interpreted("sqlcompile")
    for statement in corpus():
        assert _compile(compiled, dialect, statement) == _compile(interpreted, dialect, statement)
        if not isinstance(_compile(compiled, dialect, statement), str):
            assert compiled.Compiler(dialect, 8).shape_key(statement) == interpreted.Compiler(
                dialect, 8
            ).shape_key(statement)




def test_compiled_query_unpacks_and_shows_itself(kernel):
    query = kernel.Compiler(get_dialect("sqlite"), 4).compile(select(u.id).where(u.id == 3))
    sql, params = query
    assert (sql, params) == ('SELECT "users"."id" FROM "users" WHERE "users"."id" = ?', (3,))
    assert repr(query) == 'CompiledQuery(\'SELECT "users"."id" FROM "users" WHERE "users"."id" = ?\', (3,))'


def test_the_kernel_quotes_safely_even_when_the_builder_is_bypassed(kernel):
    # Nodes made directly skip the builder's checks; quoting must still contain the name.
    from covet._speedups import sqlnodes

    table = sqlnodes.TableNode('x"; DROP TABLE users; --')
    column = sqlnodes.ColumnNode("a`b")
    column._attach(table)
    statement = sqlnodes.SelectNode((column,), (table,))
    assert kernel.Compiler(get_dialect("postgresql"), 0).compile(statement).sql == (
        'SELECT "x""; DROP TABLE users; --"."a`b" FROM "x""; DROP TABLE users; --"'
    )
    assert kernel.Compiler(get_dialect("mysql"), 0).compile(statement).sql == (
        'SELECT `x"; DROP TABLE users; --`.`a``b` FROM `x"; DROP TABLE users; --`'
    )
    with pytest.raises(InvalidIdentifierError, match="NUL"):
        kernel.Compiler(get_dialect("sqlite"), 0).compile(sqlnodes.ColumnNode("a\0b"))


def test_the_kernel_refuses_what_is_not_a_node(kernel):
    with pytest.raises((TypeError, AttributeError)):
        kernel.Compiler(get_dialect("postgresql"), 0).compile("SELECT 1")  # type: ignore[arg-type]


def test_the_kernel_refuses_an_unknown_paramstyle(kernel):
    class Odd(Dialect):
        paramstyle = "pyformat"  # type: ignore[assignment]

    with pytest.raises(ValueError, match="unknown paramstyle 'pyformat'"):
        kernel.Compiler(Odd(), 0)
