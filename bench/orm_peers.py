"""The same schema and the same six operations in CovetPy's ORM, SQLAlchemy 2 (asyncio ORM) and Tortoise.

Each ``*Suite`` maps the tables ``bench/orm.py`` fills, and implements the operations the way the
library's documentation recommends (SQLAlchemy: a fresh ``AsyncSession`` per operation, so its
identity map never answers a ``get`` for free; ORM bulk INSERT with a list of dicts; ``joinedload``
and ``selectinload``. Tortoise: its queryset API). PostgreSQL peers run on asyncpg, their fastest
driver; CovetPy runs on psycopg through ``covet.db``.
"""

from __future__ import annotations

import abc
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from tortoise import fields as tfields
from tortoise.models import Model as TModel

from covet.db import Database
from covet.orm import CASCADE, BooleanField, CharField, FloatField, IntegerField, Model, setup
from covet.orm import ForeignKey as CovetForeignKey

AUTHOR = "bench_orm_author"
BOOK = "bench_orm_book"
BULK = "bench_orm_bulk"


class Suite(abc.ABC):
    name = ""

    @abc.abstractmethod
    async def open(self, backend: str, url: str, sqlite_path: str) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def get(self, pk: int) -> Any: ...

    @abc.abstractmethod
    async def filter_100(self, low: int) -> list[Any]: ...

    @abc.abstractmethod
    async def load_all(self) -> list[Any]: ...

    @abc.abstractmethod
    async def bulk_insert(self, rows: list[tuple[str, float, bool, int]]) -> None: ...

    @abc.abstractmethod
    async def select_related(self) -> list[Any]: ...

    @abc.abstractmethod
    async def prefetch_related(self) -> list[Any]: ...


# -- CovetPy ----------------------------------------------------------------------------------------


class CAuthor(Model):
    name = CharField(max_length=40)

    class Meta:
        table = AUTHOR


class CBook(Model):
    title = CharField(max_length=40)
    score = FloatField()
    flag = BooleanField()
    n = IntegerField()
    author = CovetForeignKey(CAuthor, on_delete=CASCADE, related_name="books")

    class Meta:
        table = BOOK


class CBulk(Model):
    title = CharField(max_length=40)
    score = FloatField()
    flag = BooleanField()
    n = IntegerField()

    class Meta:
        table = BULK


class CovetSuite(Suite):
    name = "covet"

    async def open(self, backend: str, url: str, sqlite_path: str) -> None:
        self.db = Database(url, pool_min_size=1, pool_max_size=4)
        await self.db.connect()
        setup(self.db)

    async def close(self) -> None:
        await self.db.disconnect()

    async def get(self, pk: int) -> Any:
        return await CBook.objects.get(pk=pk)

    async def filter_100(self, low: int) -> list[Any]:
        return await CBook.objects.filter(n__gte=low, n__lt=low + 100)

    async def load_all(self) -> list[Any]:
        return await CBook.objects.all()

    async def bulk_insert(self, rows: list[tuple[str, float, bool, int]]) -> None:
        await CBulk.objects.bulk_create([CBulk(title=t, score=s, flag=f, n=n) for t, s, f, n in rows])

    async def select_related(self) -> list[Any]:
        books = await CBook.objects.select_related("author").order_by("id")[:1000]
        assert books[0].author.name
        return books

    async def prefetch_related(self) -> list[Any]:
        authors = await CAuthor.objects.prefetch_related("books").order_by("id")[:1000]
        assert len(list(authors[0].books)) == 10
        return authors


# -- SQLAlchemy 2, asyncio ORM ------------------------------------------------------------------------


class SBase(DeclarativeBase):
    pass


class SAuthor(SBase):
    __tablename__ = AUTHOR
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    books: Mapped[list[SBook]] = relationship(back_populates="author")


class SBook(SBase):
    __tablename__ = BOOK
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    flag: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey(f"{AUTHOR}.id"))
    author: Mapped[SAuthor] = relationship(back_populates="books")


class SBulk(SBase):
    __tablename__ = BULK
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    flag: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(Integer)


class SQLAlchemySuite(Suite):
    name = "sqlalchemy"

    async def open(self, backend: str, url: str, sqlite_path: str) -> None:
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

        self.Author, self.Book, self.Bulk = SAuthor, SBook, SBulk
        if backend == "postgresql":
            engine_url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
        else:
            engine_url = f"sqlite+aiosqlite:///{sqlite_path}"
        self.engine = create_async_engine(engine_url, pool_size=4)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def close(self) -> None:
        await self.engine.dispose()

    async def get(self, pk: int) -> Any:
        async with self.sessions() as session:
            return await session.get(self.Book, pk)

    async def filter_100(self, low: int) -> list[Any]:
        from sqlalchemy import select

        Book = self.Book
        async with self.sessions() as session:
            return list((await session.scalars(select(Book).where(Book.n >= low, Book.n < low + 100))).all())

    async def load_all(self) -> list[Any]:
        from sqlalchemy import select

        async with self.sessions() as session:
            return list((await session.scalars(select(self.Book))).all())

    async def bulk_insert(self, rows: list[tuple[str, float, bool, int]]) -> None:
        from sqlalchemy import insert

        async with self.sessions() as session:
            await session.execute(
                insert(self.Bulk), [{"title": t, "score": s, "flag": f, "n": n} for t, s, f, n in rows]
            )
            await session.commit()

    async def select_related(self) -> list[Any]:
        from sqlalchemy import select
        from sqlalchemy.orm import joinedload

        Book = self.Book
        async with self.sessions() as session:
            query = select(Book).options(joinedload(Book.author)).order_by(Book.id).limit(1000)
            books = list((await session.scalars(query)).all())
        assert books[0].author.name
        return books

    async def prefetch_related(self) -> list[Any]:
        from sqlalchemy import select
        from sqlalchemy.orm import selectinload

        Author = self.Author
        async with self.sessions() as session:
            query = select(Author).options(selectinload(Author.books)).order_by(Author.id).limit(1000)
            authors = list((await session.scalars(query)).all())
        assert len(authors[0].books) == 10
        return authors


# -- Tortoise ORM -------------------------------------------------------------------------------------


class TAuthor(TModel):
    id = tfields.IntField(primary_key=True)
    name = tfields.CharField(max_length=40)

    class Meta:
        table = AUTHOR


class TBook(TModel):
    id = tfields.IntField(primary_key=True)
    title = tfields.CharField(max_length=40)
    score = tfields.FloatField()
    flag = tfields.BooleanField()
    n = tfields.IntField()
    author: Any = tfields.ForeignKeyField("bench.TAuthor", related_name="books")

    class Meta:
        table = BOOK


class TBulk(TModel):
    id = tfields.IntField(primary_key=True)
    title = tfields.CharField(max_length=40)
    score = tfields.FloatField()
    flag = tfields.BooleanField()
    n = tfields.IntField()

    class Meta:
        table = BULK


class TortoiseSuite(Suite):
    name = "tortoise"

    async def open(self, backend: str, url: str, sqlite_path: str) -> None:
        from tortoise import Tortoise

        self.Author, self.Book, self.Bulk = TAuthor, TBook, TBulk
        db_url = (
            url.replace("postgresql://", "asyncpg://", 1)
            if backend == "postgresql"
            else f"sqlite://{sqlite_path}"
        )
        await Tortoise.init(db_url=db_url, modules={"bench": ["bench.orm_peers"]})

    async def close(self) -> None:
        from tortoise import Tortoise

        await Tortoise.close_connections()

    async def get(self, pk: int) -> Any:
        return await self.Book.get(id=pk)

    async def filter_100(self, low: int) -> list[Any]:
        return list(await self.Book.filter(n__gte=low, n__lt=low + 100))

    async def load_all(self) -> list[Any]:
        return list(await self.Book.all())

    async def bulk_insert(self, rows: list[tuple[str, float, bool, int]]) -> None:
        Bulk = self.Bulk
        await Bulk.bulk_create([Bulk(title=t, score=s, flag=f, n=n) for t, s, f, n in rows])

    async def select_related(self) -> list[Any]:
        books = list(await self.Book.all().select_related("author").order_by("id").limit(1000))
        assert books[0].author.name
        return books

    async def prefetch_related(self) -> list[Any]:
        authors = list(await self.Author.all().prefetch_related("books").order_by("id").limit(1000))
        assert len(authors[0].books) == 10
        return authors
