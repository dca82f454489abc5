"""The shape cache: repeated shapes reuse their SQL, different shapes never share an entry."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

import covet._speedups as speedups
from covet._speedups import sqlcompile
from covet.db.dialects import PostgreSQLDialect, SQLiteDialect, UnsupportedFeatureError, get_dialect
from covet.db.query import (
    Column,
    Table,
    and_,
    delete,
    excluded,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)


def _compiled() -> ModuleType:
    if speedups._extensions_disabled() or not speedups.is_compiled(sqlcompile):
        pytest.skip("covet._speedups.sqlcompile is not compiled here (python setup.py build_ext --inplace)")
    return sqlcompile


@pytest.fixture(params=["compiled", "interpreted"])
def kernel(request: pytest.FixtureRequest) -> ModuleType:
    return _compiled() if request.param == "compiled" else speedups.load_source("sqlcompile")


users = Table("users", Column("id", "integer"), Column("name"), Column("age", "integer"))
orders = Table("orders", Column("id", "integer"), Column("user_id", "integer"), Column("name"))
u, o = users.c, orders.c


def test_same_shape_with_other_values_hits_and_reuses_the_sql(kernel):
    compiler = kernel.Compiler(get_dialect("postgresql"), 16)
    first = compiler.compile(select(u.id, u.name).where(u.id == 1, u.name.like("a%")).limit(10))
    second = compiler.compile(select(u.id, u.name).where(u.id == 2, u.name.like("b%")).limit(20))
    assert (compiler.hits, compiler.misses) == (1, 1)
    assert second.sql is first.sql  # the cached text itself: nothing was rendered again
    assert first.params == (1, "a%", 10) and second.params == (2, "b%", 20)
    assert compiler.cache_info() == {"hits": 1, "misses": 1, "size": 1, "max_size": 16}


def test_postgresql_in_lists_of_any_length_share_one_entry(kernel):
    compiler = kernel.Compiler(get_dialect("postgresql"), 16)
    sqls = {compiler.compile(select(u.name).where(u.id.in_(list(range(n))))).sql for n in (1, 2, 5, 50)}
    assert len(sqls) == 1 and (compiler.hits, compiler.misses) == (3, 1)


def test_expanded_in_lists_of_different_lengths_are_different_shapes(kernel):
    compiler = kernel.Compiler(get_dialect("sqlite"), 16)
    two = compiler.compile(select(u.name).where(u.id.in_([1, 2])))
    three = compiler.compile(select(u.name).where(u.id.in_([1, 2, 3])))
    assert two.sql.endswith("IN (?, ?)") and three.sql.endswith("IN (?, ?, ?)")
    assert (compiler.hits, compiler.misses) == (0, 2)


def _distinct_shapes() -> list[Any]:
    """Statements whose SQL differs from every other one's, though often only slightly."""
    alias = users.alias("u2")
    a, b, c = u.id == 1, u.name == "x", u.age == 2
    return [
        select(u.id).where(u.id == 1),
        select(u.id).where(u.id.is_null()),
        select(u.id).where(u.id.is_not_null()),
        select(u.id).where(u.id == u.age),
        select(u.id).where(u.id != 1),
        select(u.id).where(u.id < 1),
        select(u.id).where(u.id <= 1),
        select(u.id).where(u.id.in_(["a", "b"])),
        select(u.id).where(u.name.in_([1, 2])),
        select(u.id).where(u.name.in_(["a", "b"])),
        select(u.id).where(u.name.in_([1, "b"])),
        select(u.id).where(u.id.not_in([1, 2])),
        select(u.id).where(u.id.in_([])),
        select(u.id).where(u.id.not_in([])),
        select(u.id).where(u.id.in_(select(o.user_id))),
        select(u.id).where(u.id.between(1, 2)),
        select(u.id).where(u.id.not_between(1, 2)),
        select(u.id).where(u.name.like("a")),
        select(u.id).where(u.name.ilike("a")),
        select(u.id).where(u.name.not_like("a")),
        select(u.id).where(u.name.like("a", escape="!")),
        select(u.id).where(or_(and_(a, b), c)),
        select(u.id).where(or_(a, and_(b, c))),
        select(u.id).where(and_(or_(a, b), c)),
        select(u.id).where(~a),
        select(u.id).where(exists(select(o.id).where(o.user_id == u.id))),
        select(o.id).where(o.id == 1),
        select(alias.c.id).where(alias.c.id == 1),
        select(Table("users", Column("id"), schema="s").c.id),
        select(Table("users_id", Column("x")).c.x),
        select(Table("users", Column("id_x")).c.id_x),
        select(u.id),
        select(u.name),
        select(u.id, u.name),
        select(u.id).distinct(),
        select(u.id).limit(5),
        select(u.id).offset(5),
        select(u.id).limit(5).offset(5),
        select(u.id).group_by(u.name),
        select(u.id).order_by(u.name),
        select(u.id).order_by(u.name.desc()),
        select(u.id).order_by(u.name.asc(nulls="first")),
        select(u.id).order_by(u.name.asc(nulls="last")),
        select(u.id).group_by(u.name).having(func.count() > 1),
        select(func.count()),
        select(func.sum(u.age)),
        select(func.count(u.age)),
        select(func.count(u.age, distinct=True)),
        select(func.count().filter(u.age > 1)),
        select(func.count().label("n")),
        select(func.count().label("m")),
        select(func.rank().over(order_by=u.id)),
        select(func.rank().over(partition_by=u.id)),
        select(u.id + 1),
        select(u.id - 1),
        select(-u.id),
        select(u.name.concat("x")),
        select(literal(1)),
        select(u.id).join(orders, u.id == o.user_id),
        select(u.id).left_join(orders, u.id == o.user_id),
        select(u.id).select_from(orders).join(users, u.id == o.user_id),
        select(u.id).cross_join(orders),
        select(u.id).for_update(),
        select(u.id).for_update(nowait=True),
        select(u.id).for_update(skip_locked=True),
        select(u.id).for_update(of=[users]),
        select(u.id).for_share(),
        insert(users).values(name="a"),
        insert(users).values(age=1),
        insert(users).values(name="a", age=1),
        insert(users).values([{"name": "a"}, {"name": "b"}]),
        insert(users).values(name="a").returning(u.id),
        insert(users).values(name="a").on_conflict_do_nothing(),
        insert(users).values(name="a").on_conflict_do_nothing("id"),
        insert(users).values(name="a", age=1).on_conflict_do_update("id"),
        insert(users).values(name="a", age=1).on_conflict_do_update("name"),
        insert(users).values(name="a").on_conflict_do_update("id", {"age": excluded("age")}),
        insert(users),
        update(users).values(name="a"),
        update(users).values(age="a"),
        update(users).values(name="a").where(u.id == 1),
        update(users).values(name="a").returning(u.id),
        delete(users),
        delete(users).where(u.id == 1),
        delete(orders),
    ]


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "mysql"])
def test_different_shapes_never_share_a_cache_key(kernel, dialect):
    compiler = kernel.Compiler(get_dialect(dialect), 0)
    by_key: dict[tuple[object, ...], str] = {}
    sqls: set[str] = set()
    for statement in _distinct_shapes():
        try:
            sql = compiler.compile(statement).sql
        except UnsupportedFeatureError:
            continue  # RETURNING on MySQL, FOR UPDATE on SQLite …
        key = compiler.shape_key(statement)
        assert by_key.setdefault(key, sql) == sql, f"{sql!r} and {by_key[key]!r} share the key {key!r}"
        sqls.add(sql)
    assert len(by_key) == len(sqls)


def test_cached_and_fresh_compilation_agree_for_every_shape(kernel):
    for dialect in (get_dialect("postgresql"), get_dialect("sqlite"), get_dialect("mysql")):
        cached = kernel.Compiler(dialect, 1000)
        fresh = kernel.Compiler(dialect, 0)
        texts: set[str] = set()
        compiled = 0
        for _ in range(2):
            for statement in _distinct_shapes():
                try:
                    expected = fresh.compile(statement)
                except UnsupportedFeatureError:
                    continue
                got = cached.compile(statement)
                assert (got.sql, got.params) == (expected.sql, expected.params)
                texts.add(got.sql)
                compiled += 1
        # One miss per distinct SQL text (PostgreSQL's typed IN arrays make a few coincide).
        assert (cached.misses, cached.hits) == (len(texts), compiled - len(texts))


def test_least_recently_used_entries_are_evicted(kernel):
    compiler = kernel.Compiler(get_dialect("sqlite"), 4)
    shapes = [select(u.id).where(u.id.in_(list(range(n)))) for n in range(1, 6)]
    for statement in shapes[:4]:
        compiler.compile(statement)
    compiler.compile(shapes[0])  # used again: now the most recent
    compiler.compile(shapes[4])  # the cache is full: the least recently used (shapes[1]) goes
    assert compiler.cache_info()["size"] == 4
    hits = compiler.hits
    compiler.compile(shapes[0])
    assert compiler.hits == hits + 1
    misses = compiler.misses
    compiler.compile(shapes[1])
    assert compiler.misses == misses + 1


def test_failed_compilations_are_not_cached(kernel):
    compiler = kernel.Compiler(get_dialect("mysql"), 8)
    statement = delete(users).returning(u.id)
    for _ in range(2):
        with pytest.raises(UnsupportedFeatureError):
            compiler.compile(statement)
    assert compiler.cache_info() == {"hits": 0, "misses": 2, "size": 0, "max_size": 8}


def test_each_dialect_has_its_own_cache_and_clear_cache_empties_it(kernel):
    pg = kernel.Compiler(PostgreSQLDialect(), 8)
    lite = kernel.Compiler(SQLiteDialect(), 8)
    statement = select(u.id).where(u.id == 1)
    assert pg.compile(statement).sql != lite.compile(statement).sql
    assert (pg.misses, lite.misses) == (1, 1)
    pg.clear_cache()
    assert pg.cache_info() == {"hits": 0, "misses": 0, "size": 0, "max_size": 8}
    pg.compile(statement)
    assert pg.misses == 1


def test_a_zero_size_cache_compiles_every_time(kernel):
    compiler = kernel.Compiler(get_dialect("postgresql"), 0)
    for _ in range(3):
        compiler.compile(select(u.id))
    assert compiler.cache_info() == {"hits": 0, "misses": 0, "size": 0, "max_size": 0}
