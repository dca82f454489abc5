"""The OpenAPI 3.1 document at /openapi.json and the Swagger UI page at /docs, served with no CDN."""

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from typing import Annotated, Optional

import httpx
import msgspec
import orjson
import pytest
from openapi_spec_validator import validate

from covet import Covet
from covet.datastructures import UploadFile
from covet.dependencies import Depends
from covet.params import Body, Cookie, Form, Header, Query
from covet.routing import RouteConflict, Router
from covet.testing.live import live_server

app = Covet(title="Shop", version="2.1.0", description="Things to buy")


class Item(msgspec.Struct):
    """Something for sale."""

    name: str
    price: Annotated[float, msgspec.Meta(gt=0)]
    tags: list[str] = []


class NotFoundError(msgspec.Struct):
    detail: str


def tenant(x_tenant: Annotated[str, Header(description="Which shop")]) -> str:
    return x_tenant


@app.get("/items/{item_id:int}", tags=["items"], responses={404: {"model": NotFoundError}})
async def read_item(
    item_id: int,
    fields: Annotated[Optional[list[str]], Query(description="Fields to return")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    shop: Annotated[str, Depends(tenant)] = "",
    session: Annotated[Optional[str], Cookie()] = None,
) -> Item:
    """Read one item.

    Looks the item up by its id.
    """
    return Item("pen", 1.0)


@app.post("/items", status_code=201, tags=["items"], summary="Add an item", operation_id="add_item")
async def create_item(item: Item) -> Item:
    return item


@app.put("/items/{item_id:int}/price")
async def set_price(
    item_id: int, price: Annotated[float, Body(gt=0)], note: Annotated[str, Body()] = ""
) -> None:
    return None


@app.post("/avatar")
async def avatar(picture: UploadFile, caption: Annotated[str, Form(max_length=80)] = "") -> dict:
    return {}


@app.get("/old", deprecated=True)
async def old() -> str:
    return "old"


@app.get("/hidden", include_in_schema=False)
async def hidden() -> dict:
    return {}


@app.get("/files/{path:path}")
async def files(request):
    return "file"


admin = Router()


@admin.get("/stats")
async def stats() -> dict[str, int]:
    return {}


app.include_router(admin, prefix="/admin", name="admin")


@pytest.fixture(scope="module")
def document():
    return app.openapi()


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Shop", "version": "2.1.0", "description": "Things to buy"}


def test_paths_use_openapi_templates_and_leave_out_hidden_routes(document):
    assert sorted(document["paths"]) == [
        "/admin/stats", "/avatar", "/files/{path}", "/items", "/items/{item_id}", "/items/{item_id}/price",
        "/old",
    ]


def test_an_operation_carries_its_id_summary_description_and_tags(document):
    get = document["paths"]["/items/{item_id}"]["get"]
    assert get["operationId"] == "read_item_items__item_id__get"
    assert get["summary"] == "Read Item"
    assert get["description"] == "Read one item.\n\nLooks the item up by its id."
    assert get["tags"] == ["items"]
    post = document["paths"]["/items"]["post"]
    assert (post["operationId"], post["summary"]) == ("add_item", "Add an item")
    assert document["paths"]["/old"]["get"]["deprecated"] is True
    assert document["paths"]["/admin/stats"]["get"]["operationId"] == "admin_stats_admin_stats_get"


def test_parameters_of_the_handler_and_its_dependencies(document):
    params = {(p["in"], p["name"]): p for p in document["paths"]["/items/{item_id}"]["get"]["parameters"]}
    assert sorted(params) == [
        ("cookie", "session"), ("header", "x-tenant"), ("path", "item_id"),
        ("query", "fields"), ("query", "limit"),
    ]
    assert params[("path", "item_id")] == {"name": "item_id", "in": "path", "required": True,
                                           "schema": {"type": "integer"}}
    limit = {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}
    assert params[("query", "limit")]["schema"] == limit
    assert params[("query", "limit")]["required"] is False
    assert params[("query", "fields")]["schema"]["type"] == "array"
    assert params[("query", "fields")]["description"] == "Fields to return"
    assert params[("header", "x-tenant")] == {"name": "x-tenant", "in": "header", "required": True,
                                              "schema": {"type": "string", "description": "Which shop"},
                                              "description": "Which shop"}


def test_path_parameters_of_a_plain_handler_come_from_the_template(document):
    (param,) = document["paths"]["/files/{path}"]["get"]["parameters"]
    assert param == {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}


def test_request_bodies_and_response_models_refer_to_components(document):
    post = document["paths"]["/items"]["post"]
    assert post["requestBody"] == {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Item"}
    item = document["components"]["schemas"]["Item"]
    assert item["required"] == ["name", "price"]
    assert item["properties"]["price"] == {"type": "number", "exclusiveMinimum": 0}
    assert item["description"] == "Something for sale."


def test_several_body_parameters_are_one_object_schema(document):
    put = document["paths"]["/items/{item_id}/price"]["put"]
    ref = put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert body["required"] == ["price"]
    assert body["properties"]["price"] == {"type": "number", "exclusiveMinimum": 0}
    assert "content" not in put["responses"]["200"]  # -> None: an empty body


def test_a_form_body_is_documented_as_multipart_with_binary_files(document):
    content = document["paths"]["/avatar"]["post"]["requestBody"]["content"]
    (ref,) = content["multipart/form-data"]["schema"].values()
    form = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert form["properties"] == {"picture": {"type": "string", "format": "binary"},
                                  "caption": {"type": "string", "maxLength": 80, "default": ""}}
    assert form["required"] == ["picture"]


def test_responses_list_validation_errors_and_declared_extras(document):
    responses = document["paths"]["/items/{item_id}"]["get"]["responses"]
    assert responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"}
    assert responses["404"] == {"description": "Not Found", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/NotFoundError"}}}}
    assert "422" not in document["paths"]["/old"]["get"]["responses"]
    assert document["paths"]["/old"]["get"]["responses"]["200"]["content"] == {
        "text/plain": {"schema": {"type": "string"}}}
    error = document["components"]["schemas"]["ValidationError"]
    assert error["required"] == ["loc", "msg", "type"]


def test_the_document_is_built_once_and_again_after_a_route_is_added():
    shop = Covet()

    @shop.get("/a")
    async def a() -> dict:
        return {}

    first = shop.openapi()
    assert shop.openapi() is first

    @shop.get("/b")
    async def b() -> dict:
        return {}

    assert sorted(shop.openapi()["paths"]) == ["/a", "/b"]


def test_duplicate_operation_ids_are_refused():
    shop = Covet()

    @shop.get("/a", operation_id="same")
    async def a() -> dict:
        return {}

    @shop.get("/b", operation_id="same")
    async def b() -> dict:
        return {}

    with pytest.raises(ValueError, match="operation_id 'same' of GET /b is used twice"):
        shop.openapi()


async def test_openapi_json_is_served(client):
    reply = await client.get("/openapi.json")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == orjson.loads(orjson.dumps(app.openapi()))


# -- the docs page -------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


async def test_the_docs_page_references_only_local_urls(client):
    reply = await client.get("/docs")
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    links = _Links()
    links.feed(reply.text)
    assert sorted(links.urls) == [
        "/docs/assets/covet-docs.js", "/docs/assets/favicon-32x32.png",
        "/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css",
    ]
    assert not re.search(r"https?://", reply.text)
    config = re.search(r'<script id="covet-docs-config" type="application/json">(.*?)</script>', reply.text)
    assert config is not None
    assert orjson.loads(config.group(1)) == {
        "openapiUrl": "/openapi.json", "oauth2RedirectUrl": "/docs/assets/oauth2-redirect.html"}
    for url in links.urls:
        assert (await client.get(url)).status_code == 200, url


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("favicon-32x32.png", "image/png"),
        ("covet-docs.js", "text/javascript; charset=utf-8"),
        ("oauth2-redirect.html", "text/html; charset=utf-8"),
        ("oauth2-redirect.js", "text/javascript; charset=utf-8"),
    ],
)
async def test_assets_are_served_with_their_content_types(client, name, content_type):
    reply = await client.get(f"/docs/assets/{name}")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == content_type
    assert len(reply.content) > 100


async def test_the_swagger_ui_bundle_is_the_shipped_one_and_revalidates_with_its_etag(client):
    reply = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in reply.content
    assert reply.headers["cache-control"] == "no-cache"
    etag = {"if-none-match": reply.headers["etag"]}
    again = await client.get("/docs/assets/swagger-ui-bundle.js", headers=etag)
    assert again.status_code == 304 and again.content == b""


async def test_files_that_are_not_docs_assets_are_not_served(client):
    for name in ("LICENSE", "README.md", "..%2F__init__.py", "nope.js"):
        assert (await client.get(f"/docs/assets/{name}")).status_code == 404


async def test_the_docs_page_honours_the_root_path():
    transport = httpx.ASGITransport(app=app, root_path="/shop")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        page = (await http.get("/shop/docs")).text
    assert 'src="/shop/docs/assets/swagger-ui-bundle.js"' in page
    assert '"openapiUrl":"/shop/openapi.json"' in page


async def test_both_routes_can_be_turned_off():
    quiet = Covet(openapi_url=None, docs_url=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=quiet), base_url="http://test") as http:
        assert (await http.get("/openapi.json")).status_code == 404
        assert (await http.get("/docs")).status_code == 404
    custom = Covet(openapi_url="/api/schema.json", docs_url=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=custom), base_url="http://test") as http:
        assert (await http.get("/api/schema.json")).json()["openapi"] == "3.1.0"
        assert (await http.get("/docs")).status_code == 404

    without_document = Covet(openapi_url=None)  # the docs page shows the document: off too
    transport = httpx.ASGITransport(app=without_document)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.get("/docs")).status_code == 404


def test_swagger_ui_renders_the_document_in_a_real_browser():
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no Chromium in CI: .ci/run installs it (apt-get install chromium)")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    with live_server(app) as server:
        dom = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-proxy-server",
             "--virtual-time-budget=10000", "--dump-dom", f"{server.url}/docs"],
            capture_output=True, text=True, timeout=90, check=True,
        ).stdout
    assert "Shop" in dom and "OAS 3.1" in dom
    assert 'data-path="/items/{item_id}"' in dom and "Read Item" in dom


def test_a_route_on_the_docs_path_names_the_setting_that_moves_the_docs():
    app = Covet()

    @app.get("/docs")
    async def my_docs(request):
        return "mine"

    with pytest.raises(RouteConflict, match=r"docs_url=.*None to turn it off"):
        app.router.compile()
    moved = Covet(docs_url="/api-docs")
    moved.get("/docs")(my_docs)
    moved.router.compile()  # no conflict once the docs page lives elsewhere
