"""What ``execute`` returns: the affected-row count, which also carries the inserted row's id."""

from __future__ import annotations

from typing import Optional

__all__ = ["ExecuteResult"]


class ExecuteResult(int):
    """The number of rows a statement affected (-1 when not applicable), as an ``int``.

    ``lastrowid`` is the id the statement generated for the row it inserted: MySQL/MariaDB's
    AUTO_INCREMENT value (the first one for a multi-row INSERT), SQLite's rowid. It is None when
    the statement inserted nothing, generated no id, or on PostgreSQL, which has no such thing:
    use ``INSERT ... RETURNING id`` with ``fetch_val`` there (and on SQLite ≥ 3.35, MariaDB ≥ 10.5).
    """

    lastrowid: Optional[int]

    def __new__(cls, rowcount: int, lastrowid: Optional[int] = None) -> ExecuteResult:
        result = super().__new__(cls, rowcount)
        result.lastrowid = lastrowid
        return result

    @property
    def rowcount(self) -> int:
        """The number of rows affected, as a plain int."""
        return int(self)

    def __repr__(self) -> str:
        return f"ExecuteResult(rowcount={int(self)}, lastrowid={self.lastrowid!r})"
