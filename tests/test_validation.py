"""Invalid input: 422 listing every bad field with its location, 400 for non-JSON, 415 for non-JSON types."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Optional, TypedDict

import msgspec
import pytest

from covet import Covet, HTTPException
from covet.params import Query
from covet.validation import RequestValidationError, body_errors, error, from_msgspec

app = Covet()


class Line(msgspec.Struct):
    sku: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}-[0-9]+$")]
    qty: Annotated[int, msgspec.Meta(ge=1)]


class Address(TypedDict):
    city: str
    zip: str


@dataclasses.dataclass
class Customer:
    name: str
    address: Address
    email: Optional[str] = None


class Order(msgspec.Struct):
    customer: Customer
    lines: list[Line]
    note: str = ""


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    a: int


@app.post("/orders")
async def create_order(order: Order, dry_run: Annotated[bool, Query()] = False) -> dict:
    return {"lines": len(order.lines), "dry_run": dry_run}


@app.post("/strict")
async def strict(body: Strict) -> dict:
    return {"a": body.a}


@app.post("/numbers")
async def numbers(values: list[Line]) -> dict:
    return {"n": len(values)}


JSON = "application/json"
GOOD = {"customer": {"name": "Ada", "address": {"city": "London", "zip": "N1"}},
        "lines": [{"sku": "ABC-1", "qty": 2}]}


async def test_a_valid_body_is_decoded(client):
    reply = await client.post("/orders", json=GOOD)
    assert reply.json() == {"lines": 1, "dry_run": False}


async def test_every_bad_field_of_a_nested_body_is_listed_with_its_location(client):
    bad = {"customer": {"name": 5, "address": {"city": "London"}},
           "lines": [{"sku": "ABC-1", "qty": 0}, {"sku": "bad"}, "not an object"], "note": None}
    reply = await client.post("/orders?dry_run=maybe", json=bad)
    assert reply.status_code == 422
    assert reply.json()["detail"] == [
        {"loc": ["query", "dry_run"], "msg": "Expected `bool`, got `str`", "type": "type_error"},
        {"loc": ["body", "customer", "name"], "msg": "Expected `str`, got `int`", "type": "type_error"},
        {"loc": ["body", "customer", "address", "zip"], "msg": "Field required", "type": "missing"},
        {"loc": ["body", "lines", 0, "qty"], "msg": "Expected `int` >= 1", "type": "value_error"},
        {"loc": ["body", "lines", 1, "sku"], "msg": "Expected `str` matching regex '^[A-Z]{3}-[0-9]+$'",
         "type": "value_error"},
        {"loc": ["body", "lines", 1, "qty"], "msg": "Field required", "type": "missing"},
        {"loc": ["body", "lines", 2], "msg": "Expected `object`, got `str`", "type": "type_error"},
        {"loc": ["body", "note"], "msg": "Expected `str`, got `null`", "type": "type_error"},
    ]


async def test_a_top_level_list_body_reports_each_item(client):
    reply = await client.post("/numbers", json=[{"sku": "ABC-1", "qty": 1}, {"sku": "ABC-2", "qty": -1}])
    assert reply.json()["detail"] == [
        {"loc": ["body", 1, "qty"], "msg": "Expected `int` >= 1", "type": "value_error"}
    ]


async def test_unknown_fields_of_a_strict_struct_are_listed(client):
    reply = await client.post("/strict", json={"a": "x", "b": 1})
    assert reply.json()["detail"] == [
        {"loc": ["body", "a"], "msg": "Expected `int`, got `str`", "type": "type_error"},
        {"loc": ["body", "b"], "msg": "Object contains unknown field `b`", "type": "extra_forbidden"},
    ]


async def test_a_body_that_is_not_json_is_400_not_422(client):
    reply = await client.post("/orders", content=b'{"customer": ', headers={"content-type": JSON})
    assert reply.status_code == 400
    assert reply.text.startswith("request body is not valid JSON: ")


async def test_a_body_of_another_content_type_is_415(client):
    form = {"content-type": "application/x-www-form-urlencoded"}
    reply = await client.post("/orders", content=b"a=1", headers=form)
    assert reply.status_code == 415
    assert "must be JSON" in reply.text
    vendor_json = {"content-type": "application/vnd.x+json"}
    vendor = await client.post("/strict", content=b'{"a": 1}', headers=vendor_json)
    assert vendor.json() == {"a": 1}


def test_request_validation_error_is_an_http_exception_with_a_readable_summary():
    exc = RequestValidationError([error(("query", "limit"), "Expected `int` >= 1")])
    assert isinstance(exc, HTTPException)
    assert exc.status_code == 422
    assert exc.detail == "Invalid request: query.limit: Expected `int` >= 1"


@pytest.mark.parametrize(
    ("message", "loc", "kind"),
    [
        ("Expected `int`, got `str` - at `$.items[3].qty`", ["body", "items", 3, "qty"], "type_error"),
        ("Object missing required field `zip` - at `$.address`", ["body", "address", "zip"], "missing"),
        ("Expected `int`, got `str` - at `$.counts[...]`", ["body", "counts"], "type_error"),
        ("Expected `int` >= 1", ["body"], "value_error"),
    ],
)
def test_msgspec_paths_become_locations(message, loc, kind):
    assert from_msgspec(msgspec.ValidationError(message), ("body",))["loc"] == loc
    assert from_msgspec(msgspec.ValidationError(message), ("body",))["type"] == kind


def test_body_errors_is_empty_for_a_valid_value():
    assert body_errors({"sku": "ABC-1", "qty": 1}, Line, ("body",)) == []
