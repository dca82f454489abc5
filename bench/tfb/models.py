"""The ORM models of TFB's two tables (created by ``bench.tfb.setup``, not by migrations)."""

from covet.orm import CharField, IntegerField, Model


class World(Model):
    id = IntegerField(primary_key=True)
    randomNumber = IntegerField(db_column="randomnumber")  # the JSON key TFB asks for

    class Meta:
        db_table = "world"


class Fortune(Model):
    id = IntegerField(primary_key=True)
    message = CharField(max_length=2048)

    class Meta:
        db_table = "fortune"
