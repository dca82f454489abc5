"""Signals: ``pre_save``, ``post_save``, ``pre_delete``, ``post_delete``.

::

    @post_save.connect(sender=Book)
    async def index_book(sender, instance, created, **kwargs): ...

Receivers may be plain functions or coroutine functions (awaited in order). ``sender`` limits a
receiver to one model; without it the receiver hears every model. An exception in a receiver
propagates to the ``save()``/``delete()`` that sent the signal.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Optional

__all__ = ["Signal", "post_delete", "post_save", "pre_delete", "pre_save"]

Receiver = Callable[..., Any]


class Signal:
    """Receivers called when something happens to a model (``pre_save``, ``post_delete`` …),
    for every sender or for one model class (``sender=``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[tuple[Optional[type], Receiver]] = []

    def connect(self, receiver: Optional[Receiver] = None, *, sender: Optional[type] = None) -> Any:
        """Add ``receiver`` (or use as a decorator: ``@signal.connect(sender=Model)``)."""
        if receiver is None:

            def decorator(fn: Receiver) -> Receiver:
                self.connect(fn, sender=sender)
                return fn

            return decorator
        if not callable(receiver):
            raise TypeError(f"a receiver must be callable, not {receiver!r}")
        if (sender, receiver) not in self._receivers:
            self._receivers.append((sender, receiver))
        return receiver

    def disconnect(self, receiver: Receiver, *, sender: Optional[type] = None) -> bool:
        """Remove ``receiver``; True if it was connected."""
        try:
            self._receivers.remove((sender, receiver))
        except ValueError:
            return False
        return True

    def has_receivers(self, sender: type) -> bool:
        """Whether sending for ``sender`` would call anything (lets callers skip building kwargs)."""
        return any(s is None or s is sender for s, _ in self._receivers)

    async def send(self, sender: type, **kwargs: Any) -> None:
        """Call each receiver for ``sender`` with ``sender=`` and ``kwargs``, awaiting coroutines."""
        for wanted, receiver in list(self._receivers):
            if wanted is None or wanted is sender:
                result = receiver(sender=sender, signal=self, **kwargs)
                if inspect.isawaitable(result):
                    await result

    def __repr__(self) -> str:
        return f"<Signal {self.name} ({len(self._receivers)} receivers)>"


pre_save = Signal("pre_save")
post_save = Signal("post_save")
pre_delete = Signal("pre_delete")
post_delete = Signal("post_delete")
