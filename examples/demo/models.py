"""The demo's data: to-do lists and their to-dos.

The tables are created by the migrations in ``examples/demo/migrations/`` (written by
``covet makemigrations``), applied at start-up. After changing a model, write the next one::

    .venv/bin/python -m covet makemigrations --models examples.demo.models \
        --migrations examples/demo/migrations
"""

from __future__ import annotations

import datetime

from covet.orm import CASCADE, BooleanField, CharField, DateTimeField, ForeignKey, Model


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class TodoList(Model):
    name = CharField(max_length=100, unique=True)
    created_at = DateTimeField(default=now)

    class Meta:
        table = "demo_todo_lists"
        ordering = ["id"]


class Todo(Model):
    todo_list = ForeignKey(TodoList, on_delete=CASCADE, related_name="todos")
    title = CharField(max_length=200)
    done = BooleanField(default=False)
    created_at = DateTimeField(default=now)

    class Meta:
        table = "demo_todos"
        ordering = ["id"]
