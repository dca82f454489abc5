"""Migration files: plain Python a reviewer can read, one operation per call."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

from covet.orm.expressions import Q
from covet.orm.migrations.operations import Operation
from covet.orm.migrations.state import Check, Field, Index, Unique

__all__ = ["render_migration"]

_INDENT = "    "


class _Imports:
    def __init__(self) -> None:
        self.lines: set[str] = set()


def _render(value: Any, imports: _Imports, depth: int) -> str:
    pad = _INDENT * depth
    inner = _INDENT * (depth + 1)
    if isinstance(value, Field):
        options = "".join(f", {k}={_render(v, imports, depth)}" for k, v in sorted(value.options.items()))
        return f"migrations.Field({value.internal_type!r}{options})"
    if isinstance(value, Index):
        unique = ", unique=True" if value.unique else ""
        return f"migrations.Index({value.name!r}, {_render(value.columns, imports, depth)}{unique})"
    if isinstance(value, Unique):
        return f"migrations.Unique({value.name!r}, {_render(value.columns, imports, depth)})"
    if isinstance(value, Check):
        imports.lines.add("from covet.orm import Q")
        return f"migrations.Check({value.name!r}, {_render(value.condition, imports, depth)})"
    if isinstance(value, Q):
        return _render_q(value, imports, depth)
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{inner}{_render(item, imports, depth + 1)},\n" for item in value)
        return f"[\n{items}{pad}]"
    if isinstance(value, tuple):
        items = ", ".join(_render(item, imports, depth) for item in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, enum.Enum):
        return _render(value.value, imports, depth)
    if isinstance(value, decimal.Decimal):
        imports.lines.add("import decimal")
        return f"decimal.Decimal({str(value)!r})"
    if isinstance(value, (datetime.date, datetime.time, datetime.datetime, datetime.timedelta)):
        imports.lines.add("import datetime")
        return repr(value)
    if isinstance(value, uuid.UUID):
        imports.lines.add("import uuid")
        return f"uuid.UUID({str(value)!r})"
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return repr(value)
    raise TypeError(f"cannot write {value!r} into a migration file")


def _render_q(q: Q, imports: _Imports, depth: int) -> str:
    parts = []
    simple = []
    for child in q.children:
        if isinstance(child, Q):
            parts.append(_render_q(child, imports, depth))
        else:
            key, value = child
            simple.append(f"{key}={_render(value, imports, depth)}")
    if simple and q.connector == Q.AND:
        parts.insert(0, f"Q({', '.join(simple)})")
    else:
        parts = [f"Q({item})" for item in simple] + parts
    joined = (" & " if q.connector == Q.AND else " | ").join(parts) if parts else "Q()"
    if len(parts) > 1:
        joined = f"({joined})"
    return f"~{joined}" if q.negated else joined


def render_migration(name: str, dependencies: list[str], operations: list[Operation]) -> str:
    """The source of migration ``name`` running ``operations`` after ``dependencies``."""
    imports = _Imports()
    body = []
    for operation in operations:
        args, kwargs = operation.arguments()
        rendered = [_render(arg, imports, 2) for arg in args]
        rendered += [f"{key}={_render(value, imports, 2)}" for key, value in kwargs.items()]
        body.append(
            f"{_INDENT * 2}# {operation.describe()}\n{_INDENT * 2}migrations.{type(operation).__name__}(\n"
            + "".join(f"{_INDENT * 3}{item.replace(chr(10), chr(10) + _INDENT)},\n" for item in rendered)
            + f"{_INDENT * 2}),\n"
        )
    header = [
        f'"""Migration {name}: {len(operations)} operation{"s" if len(operations) != 1 else ""}."""',
        "",
    ]
    header += sorted(imports.lines) + ["from covet.orm import migrations", "", "", ""]
    lines = "\n".join(header)
    lines += "class Migration(migrations.Migration):\n"
    lines += f"{_INDENT}dependencies = {dependencies!r}\n\n"
    lines += f"{_INDENT}operations = [\n" + "\n".join(body) + f"{_INDENT}]\n"
    return lines
