"""The CovetPy ORM: declarative async models over ``covet.db``, with no hidden queries.

::

    from covet.db import Database
    from covet.orm import CASCADE, CharField, ForeignKey, Model, setup

    class Author(Model):
        name = CharField(max_length=100)

    class Book(Model):
        title = CharField(max_length=200)
        author = ForeignKey(Author, on_delete=CASCADE, related_name="books")

    setup(Database("postgresql://app@localhost/app"))   # in a lifespan hook, after connect()
    books = await Book.objects.select_related("author").filter(author__name="Ann")

Relations that a query did not load raise ``RelatedNotLoaded`` instead of querying; use
``select_related``, ``prefetch_related`` or ``await obj.fetch_related(...)``.
"""

from covet.orm.connection import get_database, setup, teardown
from covet.orm.errors import (
    FieldError,
    ImproperlyConfigured,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    ProtectedError,
    QuerySetNotLoaded,
    RelatedNotLoaded,
    RestrictedError,
    ValidationError,
)
from covet.orm.expressions import Avg, Count, Exists, F, Max, Min, OuterRef, Q, Subquery, Sum, Value
from covet.orm.fields import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    BinaryField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    EnumField,
    Field,
    FloatField,
    IntegerField,
    JSONField,
    SmallIntegerField,
    TextField,
    TimeField,
    UUIDField,
)
from covet.orm.instrumentation import (
    assert_max_queries,
    assert_num_queries,
    detect_repeated_queries,
    enable_n_plus_one_detection,
)
from covet.orm.managers import Manager
from covet.orm.models import Model
from covet.orm.options import CheckConstraint, Index, UniqueConstraint
from covet.orm.prefetch import Prefetch
from covet.orm.queryset import QuerySet
from covet.orm.relations import (
    CASCADE,
    DO_NOTHING,
    PROTECT,
    RESTRICT,
    SET_DEFAULT,
    SET_NULL,
    ForeignKey,
    ManyToManyField,
    OneToOneField,
)
from covet.orm.signals import Signal, post_delete, post_save, pre_delete, pre_save

__all__ = [
    "CASCADE",
    "DO_NOTHING",
    "PROTECT",
    "RESTRICT",
    "SET_DEFAULT",
    "SET_NULL",
    "AutoField",
    "Avg",
    "BigAutoField",
    "BigIntegerField",
    "BinaryField",
    "BooleanField",
    "CharField",
    "CheckConstraint",
    "Count",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EnumField",
    "Exists",
    "F",
    "Field",
    "FieldError",
    "FloatField",
    "ForeignKey",
    "ImproperlyConfigured",
    "Index",
    "IntegerField",
    "JSONField",
    "Manager",
    "ManyToManyField",
    "Max",
    "Min",
    "Model",
    "MultipleObjectsReturned",
    "ObjectDoesNotExist",
    "OneToOneField",
    "OuterRef",
    "Prefetch",
    "ProtectedError",
    "Q",
    "QuerySet",
    "QuerySetNotLoaded",
    "RelatedNotLoaded",
    "RestrictedError",
    "Signal",
    "SmallIntegerField",
    "Subquery",
    "Sum",
    "TextField",
    "TimeField",
    "UUIDField",
    "UniqueConstraint",
    "ValidationError",
    "Value",
    "assert_max_queries",
    "assert_num_queries",
    "detect_repeated_queries",
    "enable_n_plus_one_detection",
    "get_database",
    "post_delete",
    "post_save",
    "pre_delete",
    "pre_save",
    "setup",
    "teardown",
]
