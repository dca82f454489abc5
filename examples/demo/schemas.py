"""What the API takes and gives, as msgspec Structs: validated on the way in (422 listing every
bad field), shaped on the way out (from ORM objects by attribute), documented in /openapi.json."""

from __future__ import annotations

import datetime
from typing import Annotated, Optional

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, examples=["Groceries"])]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Buy milk"])]


class ListIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name


class TodoIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    done: bool = False


class TodoPatch(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; those left out (or null) keep their value."""

    title: Optional[Title] = None
    done: Optional[bool] = None


class TodoOut(msgspec.Struct):
    id: int
    todo_list_id: int
    title: str
    done: bool
    created_at: datetime.datetime


class ListSummary(msgspec.Struct):
    id: int
    name: str
    created_at: datetime.datetime
    todo_count: int
    open_count: int


class ListDetail(msgspec.Struct):
    id: int
    name: str
    created_at: datetime.datetime
    todos: list[TodoOut]


class ListRef(msgspec.Struct):
    id: int
    name: str


class TodoInList(msgspec.Struct):
    id: int
    title: str
    done: bool
    created_at: datetime.datetime
    todo_list: ListRef


class Stats(msgspec.Struct):
    lists: int
    todos: int
    done: int


class Greeting(msgspec.Struct):
    message: str
    language: str
