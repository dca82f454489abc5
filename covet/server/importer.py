"""Find the application named by ``module:attribute`` and check that it can be served."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import sys
import traceback
from typing import Any

# Frames shown when the user's own code fails while the app loads: enough to find the line.
_FRAMES_SHOWN = 3
_IMPORTLIB_DIR = os.path.dirname(importlib.__file__)


class AppImportError(Exception):
    """The app could not be loaded. ``str(exc)`` is what to show the user: no traceback needed."""


@dataclasses.dataclass(frozen=True)
class AppSpec:
    """Where the app lives: ``"pkg.module:attr"`` (``attr`` may be dotted), looked up from ``app_dir``.

    Picklable, so a freshly spawned process (``--reload``) can load the app again by itself.
    """

    path: str
    factory: bool = False
    app_dir: str = "."

    def load(self) -> Any:
        """Import the module, find the attribute (call it with ``factory``) and check it is an app."""
        module_name, _, attr = self.path.partition(":")
        if not module_name or not attr:
            raise AppImportError(f"the app must be given as 'module:attribute', got {self.path!r}")
        app_dir = os.path.abspath(self.app_dir)
        if app_dir not in sys.path:
            # The current directory, as `python -m` and uvicorn put it, so `main:app` is found.
            sys.path.insert(0, app_dir)
        module = _import_module(module_name)
        obj: Any = module
        for part in attr.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise AppImportError(f"module {module_name!r} has no attribute {attr!r}") from None
        if self.factory:
            obj = _call_factory(obj, self.path)
        _check_is_app(obj, self.path, self.factory)
        return obj


def _import_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise AppImportError(f"cannot import module {name!r}: {exc}") from None
        raise AppImportError(f"error while importing module {name!r}:\n{_brief(exc)}") from None
    except Exception as exc:
        raise AppImportError(f"error while importing module {name!r}:\n{_brief(exc)}") from None


def _call_factory(factory: Any, path: str) -> Any:
    if not callable(factory):
        raise AppImportError(
            f"--factory was given but {path!r} is an object of type {type(factory).__name__}, not callable"
        )
    try:
        return factory()
    except Exception as exc:
        raise AppImportError(f"error while calling the app factory {path!r}:\n{_brief(exc)}") from None


def _check_is_app(obj: Any, path: str, factory: bool) -> None:
    """Accept CovetPy apps and ASGI 3 callables, ``app(scope, receive, send)``."""
    what = f"the app factory {path!r} returned" if factory else f"{path!r} is"
    if hasattr(obj, "__covet_handler__"):
        return
    if not callable(obj):
        raise AppImportError(
            f"{what} an object of type {type(obj).__name__}, which is not callable; "
            "expected an ASGI app or a Covet app"
        )
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):  # builtins and extension types: trust them
        return
    try:
        signature.bind(None, None, None)
    except TypeError:
        hint = "; if it builds the app, pass --factory" if not factory and not signature.parameters else ""
        raise AppImportError(
            f"{what} not an ASGI app: it takes {signature}, but an ASGI app is called as "
            f"app(scope, receive, send){hint}"
        ) from None


def _brief(exc: BaseException) -> str:
    """The last few frames of the user's own code and the exception line, without importlib's frames."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith(("<frozen", _IMPORTLIB_DIR)) and frame.filename != __file__
    ]
    lines = traceback.format_list(frames[-_FRAMES_SHOWN:]) + traceback.format_exception_only(exc)
    return "".join(lines).rstrip("\n")
