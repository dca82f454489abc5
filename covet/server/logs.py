"""Log output of the ``covet.*`` loggers: one plain line per record on stderr."""

from __future__ import annotations

import logging
import sys
from typing import Optional

LEVELS = ("critical", "error", "warning", "info", "debug")
FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

_handler: Optional[logging.Handler] = None


def configure_logging(level: str = "info", access_log: bool = False) -> None:
    """Send the covet loggers to stderr at ``level``; the access log at INFO when ``access_log``.

    Calling it again replaces the previous set-up rather than adding a second handler. The
    records do not propagate to the root logger, so an app's own logging set-up does not print
    them twice.
    """
    global _handler
    if level.lower() not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    covet_logger = logging.getLogger("covet")
    if _handler is not None:
        covet_logger.removeHandler(_handler)
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    covet_logger.addHandler(_handler)
    covet_logger.setLevel(level.upper())
    covet_logger.propagate = False
    logging.getLogger("covet.access").setLevel(logging.INFO if access_log else logging.NOTSET)
