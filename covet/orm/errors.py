"""The exceptions the ORM raises; each message says what happened and what to do about it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

__all__ = [
    "FieldError",
    "ImproperlyConfigured",
    "MultipleObjectsReturned",
    "ObjectDoesNotExist",
    "ProtectedError",
    "QuerySetNotLoaded",
    "RelatedNotLoaded",
    "RestrictedError",
    "ValidationError",
]


class ObjectDoesNotExist(LookupError):
    """``get()`` found no row. Each model has its own subclass: ``Book.DoesNotExist``."""


class MultipleObjectsReturned(LookupError):
    """``get()`` found more than one row. Each model has its own subclass."""


class FieldError(ValueError):
    """A field, lookup or relation name that the model does not have."""


class ImproperlyConfigured(RuntimeError):
    """The models or the ORM set-up cannot work as declared (no database, unknown related model …)."""


class RelatedNotLoaded(Exception):
    """A relation was read that the query did not load; the ORM never fetches it behind your back."""

    def __init__(self, model: str, name: str, *, many: bool) -> None:
        loader = "prefetch_related" if many else "select_related"
        super().__init__(
            f"{model}.{name} was not loaded, and the ORM does not run hidden queries: load it with "
            f"{model}.objects.{loader}({name!r})"
            + ("" if many else f" or prefetch_related({name!r})")
            + f", or `await obj.fetch_related({name!r})` first"
        )


class QuerySetNotLoaded(TypeError):
    """A QuerySet was used synchronously before it ran its query."""


class ValidationError(ValueError):
    """Values that ``full_clean()`` (run by ``save()``) refused: ``errors`` maps field names to messages."""

    def __init__(self, errors: Union[str, Mapping[str, Union[str, Sequence[str]]]]) -> None:
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors: dict[str, list[str]] = {
            name: [messages] if isinstance(messages, str) else list(messages)
            for name, messages in errors.items()
        }
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items()))


class ProtectedError(Exception):
    """Deleting would leave rows pointing at a deleted row through an ``on_delete=PROTECT`` key."""

    def __init__(self, message: str, protected: Iterable[Any]) -> None:
        super().__init__(message)
        self.protected = list(protected)


class RestrictedError(ProtectedError):
    """Deleting would leave rows pointing at it through ``on_delete=RESTRICT`` (and they are not
    being deleted by the same cascade)."""
