"""Django's async ORM on the tables ``bench/orm.py`` fills, as a peer of the suites in ``bench/orm_peers.py``.

Django is configured in-process (``settings.configure``, no project directory, no installed apps) on
the same SQLite file or PostgreSQL database as the other suites; PostgreSQL goes through psycopg 3,
the driver Django recommends. The models map the existing tables (``db_table``, ``managed = False``)
and the operations use the async API its documentation recommends: ``aget``, ``async for`` over a
queryset, ``abulk_create``, and ``select_related`` / ``prefetch_related`` evaluated by ``async for``.

Django's ORM is synchronous underneath: each of those calls runs the query in one shared worker
thread through asgiref's ``sync_to_async``. That hop is part of what a Django user pays, so it is
measured, not avoided (and ``DJANGO_ALLOW_ASYNC_UNSAFE`` is not set). The database connection lives
in that thread, so ``close()`` closes it there.

Settings are process-wide and can be configured once: a process benchmarks one backend, as
``bench/orm.py`` already arranges (one child process per backend).
"""

from __future__ import annotations

from typing import Any

from bench.orm_peers import AUTHOR, BOOK, BULK, Suite
from covet.db import Database

APP_LABEL = "bench_orm"


def configure(backend: str, url: str, sqlite_path: str) -> dict[str, Any]:
    """Configure Django for ``backend`` (once per process) and return the ``default`` database settings."""
    import django
    from django.conf import settings

    if backend == "postgresql":
        c = Database(url).config
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": c.database,
            "USER": c.user or "",
            "PASSWORD": c.password or "",
            "HOST": c.host or "",
            "PORT": str(c.port or ""),
        }
    else:
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": sqlite_path}
    if settings.configured:
        configured = settings.DATABASES["default"]
        if any(configured.get(key) != value for key, value in database.items()):
            raise RuntimeError(
                f"Django is already configured for {configured['ENGINE']} {configured['NAME']!r} in this "
                "process; settings.configure works once, so run one backend per process "
                "(python -m bench.orm --backends sqlite,postgresql starts one child per backend)"
            )
        return database
    settings.configure(
        DATABASES={"default": database},
        INSTALLED_APPS=[],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=True,
        DEBUG=False,  # with DEBUG, every connection would keep a log of its queries
    )
    django.setup()
    return database


_models: tuple[type[Any], type[Any], type[Any]] | None = None


def models() -> tuple[type[Any], type[Any], type[Any]]:
    """The Author, Book and Bulk models (classes need a configured Django, so they are built on first use)."""
    global _models
    if _models is None:
        from django.db import models as m

        class DAuthor(m.Model):
            name = m.CharField(max_length=40)

            class Meta:
                app_label = APP_LABEL
                db_table = AUTHOR
                managed = False

        class DBook(m.Model):
            title = m.CharField(max_length=40)
            score = m.FloatField()
            flag = m.BooleanField()
            n = m.IntegerField()
            author = m.ForeignKey(DAuthor, on_delete=m.CASCADE, related_name="books")

            class Meta:
                app_label = APP_LABEL
                db_table = BOOK
                managed = False

        class DBulk(m.Model):
            title = m.CharField(max_length=40)
            score = m.FloatField()
            flag = m.BooleanField()
            n = m.IntegerField()

            class Meta:
                app_label = APP_LABEL
                db_table = BULK
                managed = False

        _models = (DAuthor, DBook, DBulk)
    return _models


class DjangoSuite(Suite):
    name = "django"

    async def open(self, backend: str, url: str, sqlite_path: str) -> None:
        from asgiref.sync import sync_to_async
        from django.db import connections

        configure(backend, url, sqlite_path)
        self.Author, self.Book, self.Bulk = models()
        # Connect now, so a wrong setting fails here. `connections["default"]` is looked up inside the
        # worker thread: Django's connections are per thread, and that thread runs every query.
        await sync_to_async(lambda: connections["default"].ensure_connection())()

    async def close(self) -> None:
        from asgiref.sync import sync_to_async
        from django.db import connections

        await sync_to_async(connections.close_all)()

    async def get(self, pk: int) -> Any:
        return await self.Book.objects.aget(pk=pk)

    async def filter_100(self, low: int) -> list[Any]:
        return [book async for book in self.Book.objects.filter(n__gte=low, n__lt=low + 100)]

    async def load_all(self) -> list[Any]:
        return [book async for book in self.Book.objects.all()]

    async def bulk_insert(self, rows: list[tuple[str, float, bool, int]]) -> None:
        Bulk = self.Bulk
        await Bulk.objects.abulk_create([Bulk(title=t, score=s, flag=f, n=n) for t, s, f, n in rows])

    async def select_related(self) -> list[Any]:
        books = [book async for book in self.Book.objects.select_related("author").order_by("id")[:1000]]
        assert books[0].author.name  # loaded by the JOIN: a query here would raise SynchronousOnlyOperation
        return books

    async def prefetch_related(self) -> list[Any]:
        query = self.Author.objects.prefetch_related("books").order_by("id")[:1000]
        authors = [author async for author in query]
        assert len(authors[0].books.all()) == 10  # from the prefetch cache, no query
        return authors
