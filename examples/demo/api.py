"""The JSON API, mounted under ``/api``: to-do lists and to-dos on the ORM, stats on the query
builder, and a greeting that reads a header. Each change is also published to the live feed."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import msgspec

from covet import Header, HTTPException, Path, Query
from covet.db import UniqueViolation
from covet.db.query import Column, Table, func, select, true
from covet.orm import Count, Q
from covet.routing import Router
from examples.demo.database import DB, IN_SNAPSHOT, Snapshot
from examples.demo.live import TODO_EVENTS, HubDep
from examples.demo.models import Todo, TodoList
from examples.demo.schemas import (
    Greeting,
    ListDetail,
    ListIn,
    ListSummary,
    Stats,
    TodoIn,
    TodoInList,
    TodoOut,
    TodoPatch,
)

router = Router()

Limit = Annotated[int, Query(ge=1, le=100, description="how many to return")]
Offset = Annotated[int, Query(ge=0, description="how many to skip")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such list or to-do"}}


def detail(todo_list: TodoList) -> dict[str, Any]:
    """A list with its prefetched to-dos, in the shape ``ListDetail`` is converted from."""
    return {
        "id": todo_list.id,
        "name": todo_list.name,
        "created_at": todo_list.created_at,
        "todos": list(todo_list.todos),
    }


def todo_event(kind: str, todo: Todo) -> tuple[str, dict[str, Any]]:
    return kind, {"id": todo.id, "todo_list_id": todo.todo_list_id, "title": todo.title, "done": todo.done}


# -- lists -------------------------------------------------------------------------------------


@router.get("/lists", response_model=list[ListSummary], dependencies=IN_SNAPSHOT, tags=["lists"])
async def list_lists(limit: Limit = 20, offset: Offset = 0) -> list[TodoList]:
    """The lists, oldest first, with how many to-dos each holds and how many are open."""
    counted = TodoList.objects.annotate(
        todo_count=Count("todos"), open_count=Count("todos", filter=Q(todos__done=False))
    )
    lists: list[TodoList] = await counted[offset : offset + limit]
    return lists


@router.post("/lists", status_code=201, tags=["lists"], responses={409: {"description": "Name taken"}})
async def create_list(data: ListIn, db: DB) -> ListDetail:
    """Create a list; its name must be unique (409 otherwise)."""
    try:
        async with db.transaction():
            todo_list = await TodoList.objects.create(name=data.name)
    except UniqueViolation:
        raise HTTPException(409, f"a list named {data.name!r} exists already") from None
    return ListDetail(id=todo_list.id, name=todo_list.name, created_at=todo_list.created_at, todos=[])


@router.get(
    "/lists/{list_id:int}",
    response_model=ListDetail,
    dependencies=IN_SNAPSHOT,
    tags=["lists"],
    responses=NOT_FOUND,
)
async def get_list(list_id: int) -> dict[str, Any]:
    """A list and its to-dos: two queries, the second for every to-do at once."""
    todo_list = await TodoList.objects.prefetch_related("todos").get(id=list_id)
    return detail(todo_list)


@router.delete("/lists/{list_id:int}", status_code=204, tags=["lists"], responses=NOT_FOUND)
async def delete_list(list_id: int, db: DB) -> None:
    """Delete a list and its to-dos."""
    async with db.transaction():
        todo_list = await TodoList.objects.get(id=list_id)
        await todo_list.delete()


@router.post(
    "/lists/{list_id:int}/todos", status_code=201, response_model=TodoOut, tags=["todos"], responses=NOT_FOUND
)
async def create_todo(list_id: int, data: TodoIn, db: DB, hub: HubDep) -> Todo:
    """Add a to-do to a list."""
    async with db.transaction():
        todo_list = await TodoList.objects.get(id=list_id)
        todo: Todo = await Todo.objects.create(todo_list=todo_list, title=data.title, done=data.done)
    hub.publish(TODO_EVENTS, todo_event("todo.created", todo))
    return todo


# -- to-dos ------------------------------------------------------------------------------------


@router.get("/todos", response_model=list[TodoInList], dependencies=IN_SNAPSHOT, tags=["todos"])
async def search_todos(
    q: Annotated[Optional[str], Query(max_length=50, description="words in the title")] = None,
    done: Annotated[Optional[bool], Query(description="only done (true) or open (false) ones")] = None,
    limit: Limit = 50,
) -> list[Todo]:
    """To-dos across lists, each with its list: one query, the list joined in."""
    todos = Todo.objects.select_related("todo_list")
    if q is not None:
        todos = todos.filter(title__icontains=q)
    if done is not None:
        todos = todos.filter(done=done)
    found: list[Todo] = await todos[:limit]
    return found


@router.patch("/todos/{todo_id:int}", response_model=TodoOut, tags=["todos"], responses=NOT_FOUND)
async def update_todo(todo_id: int, data: TodoPatch, db: DB, hub: HubDep) -> Todo:
    """Change a to-do's title or whether it is done; ``save()`` writes only what changed."""
    async with db.transaction():
        todo: Todo = await Todo.objects.get(id=todo_id)
        for name, value in msgspec.structs.asdict(data).items():
            if value is not None:
                setattr(todo, name, value)
        await todo.save()
    hub.publish(TODO_EVENTS, todo_event("todo.updated", todo))
    return todo


@router.delete("/todos/{todo_id:int}", status_code=204, tags=["todos"], responses=NOT_FOUND)
async def delete_todo(todo_id: int, db: DB, hub: HubDep) -> None:
    """Delete a to-do."""
    async with db.transaction():
        todo = await Todo.objects.get(id=todo_id)
        event = todo_event("todo.deleted", todo)
        await todo.delete()
    hub.publish(TODO_EVENTS, event)


# -- the query builder and headers -------------------------------------------------------------

TODOS = Table(Todo._meta.db_table, Column("id"), Column("done", "boolean"))
LISTS = Table(TodoList._meta.db_table, Column("id"))


@router.get("/stats", tags=["stats"])
async def stats(db: Snapshot) -> Stats:
    """Counts, with the query builder: ``count(*) FILTER (WHERE done)`` compiled for the database."""
    lists = select(func.count()).select_from(LISTS)
    query = select(
        lists.scalar_subquery().label("lists"),
        func.count(TODOS.c.id).label("todos"),
        func.count(TODOS.c.id).filter(TODOS.c.done == true()).label("done"),
    ).select_from(TODOS)
    row = await db.fetch_one(query.compile(db.backend))
    return Stats(lists=row["lists"], todos=row["todos"], done=row["done"])


GREETINGS = {"en": "Hello", "fr": "Bonjour", "de": "Hallo", "es": "Hola", "it": "Ciao", "pt": "Olá"}


@router.get("/hello/{name}", tags=["greetings"])
async def hello(
    name: Annotated[str, Path(max_length=40)],
    accept_language: Annotated[Optional[str], Header(description="e.g. fr-CH, fr;q=0.9")] = None,
    excited: bool = False,
) -> Greeting:
    """Greet ``name`` in the first language of ``Accept-Language`` the demo knows (else English)."""
    language = next((tag for tag in _languages(accept_language) if tag in GREETINGS), "en")
    message = f"{GREETINGS[language]}, {name}" + ("!" if excited else ".")
    return Greeting(message=message, language=language)


def _languages(header: Optional[str]) -> list[str]:
    """The primary language tags of an ``Accept-Language`` header, most preferred first."""
    weighted = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(weighted)]
