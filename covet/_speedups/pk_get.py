"""``Model.objects.get(pk=…)``, the query a web app runs most, down to the fetch and one instance.

``Manager.get`` is :func:`manager_get`. For a lookup by primary key alone it hands back the
database's own ``fetch_one`` coroutine with a :class:`PkLoader` that turns the row into the
instance (or raises DoesNotExist) as the coroutine returns: the lookup adds no coroutine to the
query's. Anything else goes to ``QuerySet.get``.

PERF: in the TFB queries test (20 gets a request) the ORM's steps around each fetch cost 13k
instructions before this module and a Manager without ``__getattr__``, 7k after; compiled, this
module's part runs 1.7× as fast as interpreted (``bench/speedups_compare.py``). One source for
both modes: ``pk_get.pxd`` types it for Cython.
"""

import weakref

import cython

from covet._speedups.orm_rows import load_instance

#: Set by ``covet.orm.managers`` (see :func:`bind`): this module imports nothing of the ORM's.
_get_database = None
_watch = None


def bind(get_database, watch):
    """Where the default database comes from, and the statement watch (N+1 detection)."""
    global _get_database, _watch
    _get_database = get_database
    _watch = watch


class PkGet:
    """One Manager's lookup by pk on the database it last ran on: the statement, the pk's
    ``to_db`` (None when values go as they are) and the layout instances are loaded with."""

    def __init__(self, db, sql, to_db, layout, model):
        self.db = weakref.ref(db)
        self.sql = sql
        self.to_db = to_db
        self.layout = layout
        self.model = model

    def fetch(self, db, value):
        """The coroutine that fetches the instance with primary key ``value`` from ``db``."""
        if _watch.active:
            _watch.record(self.sql)
        params = (value,) if self.to_db is None else (self.to_db(value),)
        # The database's coroutine, not the held connection's: which connection to use is
        # decided when it runs, in the task that awaits it (gather() runs each in a task of its own).
        return db.fetch_one(self.sql, params, load=PkLoader(self, db, value))


class PkLoader:
    """Called with the fetched row (None when there is none): the instance, or DoesNotExist."""

    def __init__(self, lookup, db, value):
        self.lookup = lookup
        self.db = db
        self.value = value

    def __call__(self, row):
        if row is None:
            model = self.lookup.model
            raise model.DoesNotExist(f"no {model.__name__} matches pk={self.value!r}")
        return load_instance(row, self.lookup.layout, self.db)


@cython.locals(lookup=PkGet)
def manager_get(self, *args, **kwargs):
    """The one object matching (see ``QuerySet.get``); by primary key alone, the fast path."""
    if not args and len(kwargs) == 1:
        for key, value in kwargs.items():
            keys = self._pk_keys
            if not keys:
                keys = self._find_pk_keys()
            if key in keys:
                db = _get_database(None)
                lookup = self._by_pk
                if lookup is None or lookup.db() is not db:
                    return self._get_by_pk_first(db, value)
                return lookup.fetch(db, value)
    return self.get_queryset().get(*args, **kwargs)
