"""Every model class by name, so relations can name models that are declared later.

``ForeignKey("Author", ...)`` (or ``"self"``) is resolved when ``Author`` is declared; until
then the relation waits in ``_pending``. Names are the class name, or ``module.ClassName`` to
tell apart two models of the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from covet.orm.models import Model

__all__ = ["all_models", "register", "unresolved", "when_ready"]

ModelRef = Union[str, "type[Model]"]

_models: dict[str, type[Model]] = {}
_pending: dict[str, list[Callable[[type[Model]], None]]] = {}


def _names(model: type[Model]) -> tuple[str, str]:
    return model.__name__, f"{model.__module__}.{model.__name__}"


def register(model: type[Model]) -> None:
    """Record ``model`` and run the relations that were waiting for it."""
    short, full = _names(model)
    _models[full] = model  # a re-declared model (a reloaded module) replaces the old one
    _models[short] = model
    for name in (full, short):
        for callback in _pending.pop(name, []):
            callback(model)


def when_ready(reference: ModelRef, origin: type[Model], callback: Callable[[type[Model]], None]) -> None:
    """Call ``callback(model)`` as soon as the model ``reference`` names exists (now, if it does)."""
    if not isinstance(reference, str):
        callback(reference)
        return
    name = origin.__name__ if reference == "self" else reference
    if reference == "self":
        callback(origin)
        return
    model = _models.get(name)
    if model is None and "." not in name:
        model = _models.get(f"{origin.__module__}.{name}")
    if model is not None:
        callback(model)
    else:
        _pending.setdefault(name, []).append(callback)


def unresolved() -> list[str]:
    """Model names relations refer to that were never declared."""
    return sorted(_pending)


def all_models() -> list[type[Model]]:
    """Every concrete model declared, each once, in declaration order."""
    seen: dict[int, type[Model]] = {}
    for model in _models.values():
        seen.setdefault(id(model), model)
    return [m for m in seen.values() if not m._meta.abstract]
