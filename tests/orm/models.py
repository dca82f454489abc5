"""Models the ORM tests share. Table names carry a per-run suffix: other suites use the same servers."""

from __future__ import annotations

import enum
import uuid

from covet.orm import (
    CASCADE,
    PROTECT,
    RESTRICT,
    SET_DEFAULT,
    SET_NULL,
    BinaryField,
    BooleanField,
    CharField,
    CheckConstraint,
    DateField,
    DateTimeField,
    DecimalField,
    EnumField,
    FloatField,
    ForeignKey,
    Index,
    IntegerField,
    JSONField,
    ManyToManyField,
    Model,
    OneToOneField,
    Q,
    SmallIntegerField,
    TextField,
    TimeField,
    UUIDField,
)

SUFFIX = uuid.uuid4().hex[:6]


def table(name: str) -> str:
    return f"orm_{name}_{SUFFIX}"


class Status(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Country(Model):
    name = CharField(max_length=60, unique=True)

    class Meta:
        table = table("country")


class Publisher(Model):
    name = CharField(max_length=60)

    class Meta:
        table = table("publisher")


class Author(Model):
    name = CharField(max_length=100)
    email = CharField(max_length=100, null=True, unique=True)
    country = ForeignKey(Country, on_delete=SET_NULL, null=True, related_name="authors")
    publisher = ForeignKey(Publisher, on_delete=PROTECT, null=True, related_name="authors")

    class Meta:
        table = table("author")
        ordering = ["name"]


class Profile(Model):
    author = OneToOneField(Author, on_delete=CASCADE, related_name="profile")
    bio = TextField(default="")

    class Meta:
        table = table("profile")


class Tag(Model):
    name = CharField(max_length=30)

    class Meta:
        table = table("tag")


class Book(Model):
    title = CharField(max_length=200)
    author = ForeignKey(Author, on_delete=CASCADE, related_name="books")
    pages = IntegerField(default=100)
    rating = FloatField(null=True)
    price = DecimalField(max_digits=8, decimal_places=2, null=True)
    status = EnumField(Status, default=Status.DRAFT)
    published = DateTimeField(null=True)
    data = JSONField(null=True)
    tags = ManyToManyField(Tag, related_name="books")

    class Meta:
        table = table("book")
        indexes = [Index("title", "pages")]
        constraints = [CheckConstraint(Q(pages__gte=0), name=f"book_pages_{SUFFIX}")]


class Review(Model):
    book = ForeignKey(Book, on_delete=RESTRICT, related_name="reviews")
    stars = SmallIntegerField(choices=[1, 2, 3, 4, 5])

    class Meta:
        table = table("review")


class Everything(Model):
    """One field of each kind, for the type round trips."""

    uid = UUIDField(default=uuid.uuid4)
    flag = BooleanField(default=False)
    day = DateField(null=True)
    at = TimeField(null=True)
    blob = BinaryField(null=True)
    note = TextField(null=True)
    amount = DecimalField(max_digits=10, decimal_places=3, null=True)
    fallback = ForeignKey(Country, on_delete=SET_DEFAULT, null=True, default=None, related_name="+")

    class Meta:
        table = table("everything")


class Student(Model):
    name = CharField(max_length=40)
    courses = ManyToManyField("Course", through="Enrolment", related_name="students")

    class Meta:
        table = table("student")


class Course(Model):
    title = CharField(max_length=40)

    class Meta:
        table = table("course")


class Enrolment(Model):
    student = ForeignKey(Student, on_delete=CASCADE, related_name="enrolments")
    course = ForeignKey(Course, on_delete=CASCADE, related_name="enrolments")
    grade = SmallIntegerField(null=True)

    class Meta:
        table = table("enrolment")
        unique_together = [("student", "course")]


class Stamped(Model):
    """An abstract base: its fields are copied into each concrete child."""

    label = CharField(max_length=20, default="")

    class Meta:
        abstract = True


def not_blank(text: str) -> None:
    if not text.strip():
        raise ValueError("must not be blank")


class Note(Stamped):
    body = TextField(validators=[not_blank])

    class Meta:
        table = table("note")


#: Every table, parents first (the order to create them in).
MODELS = [
    Country,
    Publisher,
    Author,
    Profile,
    Tag,
    Book,
    Book.tags.field.through,
    Review,
    Everything,
    Student,
    Course,
    Enrolment,
    Note,
]
