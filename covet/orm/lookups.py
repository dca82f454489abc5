"""Lookups: the part of ``filter(title__icontains="x")`` after the last ``__``.

``build_lookup`` turns (column, lookup name, value) into a condition of the query builder. Values
are always bound parameters; ``%`` and ``_`` in ``contains``-style lookups match literally.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from covet.db.query.expressions import Node, Operators, Param
from covet.db.query.functions import func as sql_func
from covet.orm.backends import Operations
from covet.orm.errors import FieldError

__all__ = ["LOOKUPS", "build_lookup"]

_LIKE_ESCAPE = "!"


def _like_text(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _text(value: Any, lookup: str) -> str:
    if not isinstance(value, str):
        raise FieldError(f"the {lookup!r} lookup takes a str, not {type(value).__name__}")
    return value


def _ilike(lhs: Any, pattern: str) -> Operators:
    return lhs.ilike(Param(pattern), escape=_LIKE_ESCAPE)  # type: ignore[no-any-return]


def _exact(lhs: Any, value: Any, ops: Operations) -> Operators:
    return lhs.is_null() if value is None else lhs == value  # type: ignore[no-any-return]


def _iexact(lhs: Any, value: Any, ops: Operations) -> Operators:
    if value is None:
        return lhs.is_null()  # type: ignore[no-any-return]
    return sql_func.upper(lhs) == sql_func.upper(Param(_text(value, "iexact")))


def _in(lhs: Any, value: Any, ops: Operations) -> Operators:
    if isinstance(value, Node):
        return lhs.in_(value)  # type: ignore[no-any-return]  # a subquery
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise FieldError(f"the 'in' lookup takes a list, tuple or set of values, not {value!r}")
    return lhs.in_(list(value))  # type: ignore[no-any-return]


def _range(lhs: Any, value: Any, ops: Operations) -> Operators:
    try:
        low, high = value
    except (TypeError, ValueError):
        raise FieldError(f"the 'range' lookup takes a (low, high) pair, not {value!r}") from None
    return lhs.between(low, high)  # type: ignore[no-any-return]


def _isnull(lhs: Any, value: Any, ops: Operations) -> Operators:
    if not isinstance(value, bool):
        raise FieldError(f"the 'isnull' lookup takes True or False, not {value!r}")
    return lhs.is_null() if value else lhs.is_not_null()  # type: ignore[no-any-return]


Builder = Callable[[Any, Any, Operations], Operators]

LOOKUPS: dict[str, Builder] = {
    "exact": _exact,
    "iexact": _iexact,
    "contains": lambda lhs, v, ops: ops.contains(lhs, _text(v, "contains")),
    "icontains": lambda lhs, v, ops: _ilike(lhs, f"%{_like_text(_text(v, 'icontains'))}%"),
    "startswith": lambda lhs, v, ops: ops.startswith(lhs, _text(v, "startswith")),
    "istartswith": lambda lhs, v, ops: _ilike(lhs, f"{_like_text(_text(v, 'istartswith'))}%"),
    "endswith": lambda lhs, v, ops: ops.endswith(lhs, _text(v, "endswith")),
    "iendswith": lambda lhs, v, ops: _ilike(lhs, f"%{_like_text(_text(v, 'iendswith'))}"),
    "in": _in,
    "gt": lambda lhs, v, ops: lhs > v,
    "gte": lambda lhs, v, ops: lhs >= v,
    "lt": lambda lhs, v, ops: lhs < v,
    "lte": lambda lhs, v, ops: lhs <= v,
    "range": _range,
    "isnull": _isnull,
}

#: Lookups whose value is not a value of the field (so it is not converted with ``to_db``).
RAW_VALUE_LOOKUPS = frozenset({"isnull"})
#: Lookups whose value is a collection of field values.
MANY_VALUE_LOOKUPS = frozenset({"in", "range"})


def build_lookup(name: str, lhs: Node, value: Any, ops: Operations, where: str) -> Operators:
    """The condition ``lhs <name> value``; ``where`` names the field for the error message."""
    builder = LOOKUPS.get(name)
    if builder is None:
        raise FieldError(
            f"unsupported lookup {name!r} on {where}; lookups: {', '.join(LOOKUPS)} "
            f"(and the transforms year, quarter, month, day, week_day, hour, minute, second, date)"
        )
    return builder(lhs, value, ops)
