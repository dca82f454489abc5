import weakref
from collections.abc import Callable, Coroutine
from typing import Any, Optional

from covet._speedups.orm_rows import InstanceLayout

def bind(get_database: Callable[[Any], Any], watch: Any) -> None: ...

class PkGet:
    db: weakref.ref[Any]
    sql: str
    to_db: Optional[Callable[[Any], Any]]
    layout: InstanceLayout[Any]
    model: type[Any]
    def __init__(
        self,
        db: Any,
        sql: str,
        to_db: Optional[Callable[[Any], Any]],
        layout: InstanceLayout[Any],
        model: type[Any],
    ) -> None: ...
    def fetch(self, db: Any, value: Any) -> Coroutine[Any, Any, Any]: ...

class PkLoader:
    lookup: PkGet
    db: Any
    value: Any
    def __init__(self, lookup: PkGet, db: Any, value: Any) -> None: ...
    def __call__(self, row: Optional[tuple[Any, ...]]) -> Any: ...

def manager_get(self: Any, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]: ...
