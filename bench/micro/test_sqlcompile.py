"""sqlcompile: bench/sql_compile.py's simple and complex SELECT compiled for PostgreSQL,
with no cache (a full render) and with the shape cached (the walk that collects parameters)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.micro.kernels import case

SIMPLE = ('SELECT "users"."id", "users"."name" FROM "users" WHERE "users"."id" = %s', (18,))
COMPLEX = (
    'SELECT "users"."name", count("orders"."id") AS "n", sum("items"."qty") AS "qty" FROM "users" '
    'JOIN "orders" ON "users"."id" = "orders"."user_id" JOIN "items" ON "orders"."id" = "items"."order_id" '
    'JOIN "products" ON "items"."product_id" = "products"."id" '
    'WHERE "users"."age" >= %s AND "users"."name" <> %s AND "orders"."total" > %s '
    'AND "products"."sku" LIKE %s AND "users"."email" IS NOT NULL '
    'GROUP BY "users"."name" ORDER BY "users"."name" DESC',
    (18, "x", 10, "A%"),
)


@pytest.mark.parametrize("cache", ["uncached", "cached"])
@pytest.mark.parametrize(
    ("shape", "expected"), [("simple", SIMPLE), ("complex", COMPLEX)], ids=["simple", "complex"]
)
def test_compile_select(
    benchmark: Any, shape: str, expected: tuple[str, tuple[Any, ...]], cache: str
) -> None:
    run = case("sqlcompile", f"compile {shape} select, {cache}")
    assert run() == expected
    benchmark(run)
