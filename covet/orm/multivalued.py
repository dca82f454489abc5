"""Negated lookups across multi-valued relations: EXISTS subqueries, as Django's ``exclude()`` does.

``Author.objects.exclude(books__title="x")`` means "authors with no book titled x". As a NOT over
a join it would be tested once per joined book: an author with a book "x" and another book would
still come back, once per other book. So inside a negation (``exclude()``, ``~Q``) a lookup that
crosses a reverse foreign key or a many-to-many relation becomes one test per row of the outer
query, ``EXISTS (SELECT … FROM book u1 WHERE u1.title = 'x' AND u1.author_id = author.id)``, and
the negation applies to it: ``exclude()`` is then exactly the complement of ``filter()``, NULLs
included. Each such lookup is its own subquery, so ``exclude(books__a=1, books__b=2)`` excludes
authors having a book with a=1 and a book with b=2 (not necessarily the same one), as in Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

from covet.db.query.expressions import Node
from covet.orm.errors import FieldError
from covet.orm.expressions import Expression, Q
from covet.orm.lookups import LOOKUPS
from covet.orm.relations import ForeignKey, ManyToManyField, Relation

if TYPE_CHECKING:
    from covet.orm.models import Model
    from covet.orm.query import QueryCompiler

__all__ = ["exists_lookup", "is_multivalued", "multivalued_step"]


def is_multivalued(field: Any) -> bool:
    """True for a relation one row can have several rows across: many-to-many or a reverse key."""
    return isinstance(field, ManyToManyField) or (isinstance(field, Relation) and field.multiple)


def multivalued_step(model: type[Model], parts: Sequence[str]) -> Optional[int]:
    """The index in ``parts`` of the first multi-valued relation the path crosses, or None."""
    for index, name in enumerate(parts):
        try:
            field = model._meta.get_field(name)
        except FieldError:
            return None  # a lookup or a transform; walk() explains a wrong name
        if is_multivalued(field):
            return index
        if isinstance(field, ForeignKey):
            field.require_resolved()
            model = field.related_model
        elif isinstance(field, Relation):  # the reverse of a one-to-one
            model = field.related_model
        else:
            return None
    return None


class _Outside(Expression):
    """A value of the lookup, resolved in the query the lookup was written for (not the subquery)."""

    def __init__(self, expression: Expression) -> None:
        self.expression = expression

    def resolve(self, compiler: QueryCompiler) -> Node:
        assert compiler.outer is not None  # only made for the subquery's compiler
        return self.expression.resolve(compiler.outer)


def exists_lookup(compiler: QueryCompiler, parts: Sequence[str], index: int, value: Any) -> Node:
    """``EXISTS (…)`` true for the rows of ``compiler``'s query that match the lookup ``parts``
    = ``value``, where ``parts[index]`` is the first multi-valued relation on the path."""
    from covet.orm.query import QueryCompiler, QueryState

    table, model = compiler.follow(parts[:index])
    field = model._meta.get_field(parts[index])
    rest = list(parts[index + 1 :])
    if isinstance(value, Expression):
        value = _Outside(value)
    inner_model: type[Model]
    if _matches_missing_rows(rest, value):
        # e.g. books__isnull=True: true for an author without books, so the subquery must look
        # for the author's row (with its LEFT joins), not for a book.
        inner_model, key, correlated = model, "__".join(parts[index:]), model._meta.pk.column
    elif isinstance(field, ManyToManyField) or field.many_to_many:
        m2m: ManyToManyField = field if isinstance(field, ManyToManyField) else field.field
        forward = isinstance(field, ManyToManyField)
        own_fk, other_fk = (m2m.source_fk, m2m.target_fk) if forward else (m2m.target_fk, m2m.source_fk)
        inner_model, key, correlated = m2m.through, "__".join([other_fk.name, *rest]), own_fk.column
    else:
        fk: ForeignKey = field.field
        path = ["pk", *rest] if not rest or rest[0] in LOOKUPS else rest  # the book itself, or its fields
        inner_model, key, correlated = field.related_model, "__".join(path), fk.column
    inner = QueryCompiler(QueryState(inner_model, where=(Q(**{key: value}),)), compiler.info, outer=compiler)
    query = inner.select([inner.base.c[correlated]], ordered=False)
    return query.where(inner.base.c[correlated] == table.c[model._meta.pk.column]).exists()


def _matches_missing_rows(rest: list[str], value: Any) -> bool:
    """True when the lookup holds for the NULLs a LEFT join gives a row with no related row
    (``isnull=True``, ``=None``): such a lookup cannot be tested on the related table alone."""
    name = rest[-1] if rest and rest[-1] in LOOKUPS else "exact"
    if name == "isnull":
        return value is True
    return value is None and name in ("exact", "iexact")
