from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, Optional, TypeVar

T = TypeVar("T")

class InstanceLayout(Generic[T]):
    cls: type[T]
    names: tuple[str, ...]
    slots: tuple[Any, ...]
    converters: Optional[tuple[Optional[Callable[[Any], Any]], ...]]
    def __init__(
        self, cls: type[T], names: Iterable[str], converters: Iterable[Optional[Callable[[Any], Any]]]
    ) -> None: ...

def load_instance(row: Sequence[Any], layout: InstanceLayout[T], db: Any) -> T: ...
def load_instances(rows: Iterable[Sequence[Any]], layout: InstanceLayout[T], db: Any) -> list[T]: ...
