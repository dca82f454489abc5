"""The demo app (``examples/demo``, what ``make serve`` runs) starts on a fresh database, migrates
it, and answers as its index page and docstrings say — in process, over CovetPy's server, and
as ``covet serve`` started from a directory with nothing in it."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from websockets.sync.client import connect as websocket_connect

from covet.testing import TestClient
from covet.testing.live import live_server
from examples.demo import app
from examples.demo.database import DATABASE_URL_VARIABLE
from tests.server.covet_process import CovetProcess, free_port, run_covet
from tests.serving import Serve

JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the demo's database goes in this test (it does not exist yet)."""
    path = tmp_path / "demo.db"
    monkeypatch.setenv(DATABASE_URL_VARIABLE, f"sqlite:///{path}")
    return path


@pytest.fixture
def client(db_file: Path) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def tables_and_migrations(path: Path) -> tuple[set[str], list[str]]:
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        applied = [row[0] for row in conn.execute("SELECT name FROM covet_migrations ORDER BY name")]
    return tables, applied


def new_list(client: Any, name: str = "Groceries") -> dict[str, Any]:
    response = client.post("/api/lists", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def new_todo(client: Any, list_id: int, title: str, done: bool = False) -> dict[str, Any]:
    response = client.post(f"/api/lists/{list_id}/todos", json={"title": title, "done": done})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def read_event(lines: Iterator[str]) -> dict[str, str]:
    """The next Server-Sent Event's fields (the lines up to the blank one)."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            return fields
        name, _, value = line.partition(": ")
        fields[name] = value
    raise AssertionError("the event stream ended")


# -- start-up and the database ----------------------------------------------------------------


def test_start_up_creates_the_configured_database_and_applies_the_migrations(db_file: Path) -> None:
    assert not db_file.exists()
    with TestClient(app) as client:
        assert client.get("/api/lists").json() == []
    tables, applied = tables_and_migrations(db_file)
    assert {"demo_todo_lists", "demo_todos", "covet_migrations"} <= tables
    assert applied == ["0001_initial"]


def test_without_configuration_the_database_is_covet_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATABASE_URL_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    with TestClient(app) as client:
        new_list(client)
    assert (tmp_path / "covet.db").is_file()


def test_a_restart_keeps_the_data_and_applies_no_migration_twice(db_file: Path) -> None:
    with TestClient(app) as client:
        created = new_list(client)
    with TestClient(app) as client:
        assert client.get(f"/api/lists/{created['id']}").json()["name"] == "Groceries"
    assert tables_and_migrations(db_file)[1] == ["0001_initial"]


def test_the_shipped_migrations_match_the_models() -> None:
    models, migrations = "examples.demo.models", "examples/demo/migrations"
    result = run_covet("makemigrations", "--check", "--models", models, "--migrations", migrations)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected." in result.stdout


# -- the index page, the docs, static files -----------------------------------------------------


def test_every_link_on_the_index_page_answers_as_the_page_says(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    links = set(re.findall(r'(?:href|src)="(/[^"]*)"', page.text))
    assert {"/docs", "/openapi.json", "/api/lists", "/api/stats", "/static/live.js"} <= links
    promised = {"/api/lists?limit=0": 422, "/api/lists/999999": 404}
    for link in links:
        assert client.get(link).status_code == promised.get(link, 200), link


def test_the_index_page_shows_commands_for_the_address_it_was_reached_at(client: TestClient) -> None:
    assert "curl -N http://testserver/live/events" in client.get("/").text


def test_the_docs_page_and_a_valid_openapi_document_are_served(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert '"openapiUrl":"/openapi.json"' in docs.text
    document = client.get("/openapi.json").json()
    validate(document)
    assert document["info"]["title"] == "CovetPy demo"
    assert set(document["paths"]) == {
        "/api/lists",
        "/api/lists/{list_id}",
        "/api/lists/{list_id}/todos",
        "/api/todos",
        "/api/todos/{todo_id}",
        "/api/stats",
        "/api/hello/{name}",
        "/live/events",
    }
    create = document["paths"]["/api/lists"]["post"]
    assert "201" in create["responses"] and "409" in create["responses"]


def test_static_files_are_served_with_their_type_and_revalidated_by_etag(client: TestClient) -> None:
    style = client.get("/static/style.css")
    assert style.status_code == 200
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    revalidated = client.get("/static/style.css", headers={"if-none-match": style.headers["etag"]})
    assert revalidated.status_code == 304
    assert client.get("/static/live.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/%2e%2e/app.py").status_code == 404


# -- lists --------------------------------------------------------------------------------------


def test_a_created_list_is_201_and_reads_back_with_its_todos_in_order(client: TestClient) -> None:
    created = new_list(client)
    assert created["name"] == "Groceries" and created["todos"] == []
    milk = new_todo(client, created["id"], "Milk")
    eggs = new_todo(client, created["id"], "Eggs", done=True)
    read = client.get(f"/api/lists/{created['id']}").json()
    assert read["created_at"] == created["created_at"]
    assert [todo["title"] for todo in read["todos"]] == ["Milk", "Eggs"]
    assert read["todos"] == [milk, eggs]


def test_a_list_name_taken_already_is_a_409_that_says_so(client: TestClient) -> None:
    new_list(client, "Work")
    response = client.post("/api/lists", json={"name": "Work"})
    assert response.status_code == 409
    assert response.json() == {"detail": "a list named 'Work' exists already"}


def test_lists_come_oldest_first_with_their_counts_and_page_by_limit_and_offset(client: TestClient) -> None:
    first, second, third = (new_list(client, name)["id"] for name in ("A", "B", "C"))
    new_todo(client, first, "one")
    new_todo(client, first, "two", done=True)
    lists = client.get("/api/lists").json()
    assert [(item["name"], item["todo_count"], item["open_count"]) for item in lists] == [
        ("A", 2, 1), ("B", 0, 0), ("C", 0, 0)
    ]
    assert [item["id"] for item in client.get("/api/lists?limit=1&offset=1").json()] == [second]
    assert [item["id"] for item in client.get("/api/lists?offset=2").json()] == [third]


def test_deleting_a_list_deletes_its_todos(client: TestClient) -> None:
    todo_list = new_list(client)
    todo = new_todo(client, todo_list["id"], "Milk")
    response = client.delete(f"/api/lists/{todo_list['id']}")
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"/api/lists/{todo_list['id']}").status_code == 404
    assert client.patch(f"/api/todos/{todo['id']}", json={"done": True}).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/lists/999", None),
        ("DELETE", "/api/lists/999", None),
        ("POST", "/api/lists/999/todos", {"title": "x"}),
        ("PATCH", "/api/todos/999", {"done": True}),
        ("DELETE", "/api/todos/999", None),
    ],
)
def test_what_does_not_exist_is_a_json_404_naming_it(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == 404
    assert re.fullmatch(r"no (TodoList|Todo) matches (id|pk)=999", response.json()["detail"])


def test_an_id_that_is_not_a_number_matches_no_route(client: TestClient) -> None:
    assert client.get("/api/lists/abc").status_code == 404


# -- to-dos -------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_it_is_given(client: TestClient) -> None:
    todo = new_todo(client, new_list(client)["id"], "Milk")
    done = client.patch(f"/api/todos/{todo['id']}", json={"done": True}).json()
    assert done == {**todo, "done": True}
    renamed = client.patch(f"/api/todos/{todo['id']}", json={"title": "Oat milk", "done": None}).json()
    assert renamed == {**todo, "done": True, "title": "Oat milk"}


def test_a_deleted_todo_is_gone_from_its_list(client: TestClient) -> None:
    todo_list = new_list(client)
    todo = new_todo(client, todo_list["id"], "Milk")
    assert client.delete(f"/api/todos/{todo['id']}").status_code == 204
    assert client.get(f"/api/lists/{todo_list['id']}").json()["todos"] == []


def test_todos_are_searched_by_words_in_the_title_and_by_done_each_with_its_list(client: TestClient) -> None:
    home, work = new_list(client, "Home"), new_list(client, "Work")
    new_todo(client, home["id"], "Buy milk")
    new_todo(client, work["id"], "Milk the budget", done=True)
    new_todo(client, work["id"], "Write report")

    def titles(query: str) -> list[tuple[str, str]]:
        return [(t["title"], t["todo_list"]["name"]) for t in client.get(f"/api/todos{query}").json()]

    assert titles("?q=MILK") == [("Buy milk", "Home"), ("Milk the budget", "Work")]
    assert titles("?done=false") == [("Buy milk", "Home"), ("Write report", "Work")]
    assert titles("?q=milk&done=true") == [("Milk the budget", "Work")]
    assert titles("?limit=1") == [("Buy milk", "Home")]
    assert client.get("/api/todos").json()[0]["todo_list"] == {"id": home["id"], "name": "Home"}


# -- validation ---------------------------------------------------------------------------------


def test_a_bad_body_is_a_422_listing_every_bad_field(client: TestClient) -> None:
    response = client.post("/api/lists", json={"name": "", "colour": "red"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"loc": ["body", "name"], "msg": "Expected `str` of length >= 1", "type": "value_error"},
            {
                "loc": ["body", "colour"],
                "msg": "Object contains unknown field `colour`",
                "type": "extra_forbidden",
            },
        ]
    }
    todo_list = new_list(client)
    response = client.post(f"/api/lists/{todo_list['id']}/todos", json={"title": "x" * 201, "done": "yes"})
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "title"], ["body", "done"]]


def test_a_body_that_is_not_json_is_refused_with_a_reason(client: TestClient) -> None:
    malformed = client.post("/api/lists", content=b"{name", headers=JSON_HEADERS)
    assert malformed.status_code == 400
    assert malformed.json()["detail"].startswith("request body is not valid JSON")
    form = client.post("/api/lists", data={"name": "x"})
    assert form.status_code == 415


@pytest.mark.parametrize(
    ("query", "loc"),
    [("?limit=0", "limit"), ("?limit=101", "limit"), ("?offset=-1", "offset"), ("?limit=ten", "limit")],
)
def test_query_parameters_out_of_range_are_a_422_naming_them(
    client: TestClient, query: str, loc: str
) -> None:
    response = client.get(f"/api/lists{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", loc]


def test_done_must_be_a_boolean(client: TestClient) -> None:
    response = client.get("/api/todos?done=maybe")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "done"]


# -- stats and the greeting ----------------------------------------------------------------------


def test_stats_count_lists_todos_and_done_todos(client: TestClient) -> None:
    assert client.get("/api/stats").json() == {"lists": 0, "todos": 0, "done": 0}
    first = new_list(client, "A")["id"]
    new_list(client, "B")
    new_todo(client, first, "one", done=True)
    new_todo(client, first, "two")
    assert client.get("/api/stats").json() == {"lists": 2, "todos": 2, "done": 1}


@pytest.mark.parametrize(
    ("accept_language", "message", "language"),
    [
        (None, "Hello, Ada.", "en"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "Bonjour, Ada.", "fr"),
        ("nl, de;q=0.7, fr;q=0.5", "Hallo, Ada.", "de"),
        ("es;q=0.2, it;q=0.9", "Ciao, Ada.", "it"),
        ("fr;q=0, pt", "Olá, Ada.", "pt"),
        ("xx, ;;, q=z", "Hello, Ada.", "en"),
    ],
)
def test_hello_greets_in_the_first_language_it_knows_from_accept_language(
    client: TestClient, accept_language: str | None, message: str, language: str
) -> None:
    headers = {"accept-language": accept_language} if accept_language else {}
    response = client.get("/api/hello/Ada", headers=headers)
    assert response.json() == {"message": message, "language": language}


def test_hello_can_be_excited_and_refuses_long_names(client: TestClient) -> None:
    assert client.get("/api/hello/Ada?excited=true").json()["message"] == "Hello, Ada!"
    response = client.get("/api/hello/" + "a" * 41)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "name"]


# -- middleware ----------------------------------------------------------------------------------


def test_every_response_carries_a_request_id_and_its_server_timing(client: TestClient) -> None:
    made = client.get("/api/lists")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert re.fullmatch(r"app;dur=\d+\.\d{3}", made.headers["server-timing"])
    assert client.get("/", headers={"x-request-id": "from-the-proxy-42"}).headers["x-request-id"] == (
        "from-the-proxy-42"
    )
    assert client.get("/nowhere").headers["x-request-id"]


def test_large_responses_are_gzipped_for_clients_that_accept_it(client: TestClient) -> None:
    plain = client.get("/openapi.json", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    with client.stream("GET", "/openapi.json", headers={"accept-encoding": "gzip"}) as zipped:
        assert zipped.headers["content-encoding"] == "gzip"
        assert json.loads(gzip.decompress(b"".join(zipped.iter_raw()))) == plain.json()
    small = client.get("/api/stats", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in small.headers


def test_cors_answers_preflights_from_the_allowed_origin_only(client: TestClient) -> None:
    preflight = {"access-control-request-method": "PATCH", "access-control-request-headers": "content-type"}
    allowed = client.options("/api/todos/1", headers={"origin": "http://localhost:5173", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "PATCH" in allowed.headers["access-control-allow-methods"]
    refused = client.options("/api/todos/1", headers={"origin": "https://elsewhere.example", **preflight})
    assert refused.status_code == 400
    simple = client.get("/api/lists", headers={"origin": "http://localhost:5173"})
    assert simple.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert simple.headers["access-control-expose-headers"] == "x-request-id"


# -- live: WebSocket and Server-Sent Events -------------------------------------------------------


def test_a_chat_message_reaches_everyone_in_its_room_and_no_one_else(client: TestClient) -> None:
    with client.websocket_connect("/live/rooms/lobby?name=ann") as ann, client.websocket_connect(
        "/live/rooms/lobby"
    ) as guest, client.websocket_connect("/live/rooms/kitchen?name=cook") as cook:
        ann.send_text("hello" + "!" * 600)
        expected = {"from": "ann", "text": "hello" + "!" * 495}
        assert ann.receive_json() == expected
        assert guest.receive_json() == expected
        guest.send_text("hi")
        assert ann.receive_json() == {"from": "anonymous", "text": "hi"}
        cook.send_text("dinner")
        assert cook.receive_json() == {"from": "cook", "text": "dinner"}
        guest.send_text("bye")  # published after "dinner": ann would have had that first
        assert ann.receive_json() == {"from": "anonymous", "text": "bye"}


def test_the_event_feed_announces_each_todo_change(client: TestClient) -> None:
    todo_list = new_list(client)
    with client.stream("GET", "/live/events") as feed:
        assert feed.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert "content-encoding" not in feed.headers
        lines = feed.iter_lines()
        assert read_event(lines) == {"event": "ready", "retry": "3000", "data": "subscribed"}
        todo = new_todo(client, todo_list["id"], "Milk")
        client.patch(f"/api/todos/{todo['id']}", json={"done": True})
        client.delete(f"/api/todos/{todo['id']}")
        summary = {"id": todo["id"], "todo_list_id": todo_list["id"], "title": "Milk"}
        for kind, done in (("todo.created", False), ("todo.updated", True), ("todo.deleted", True)):
            event = read_event(lines)
            assert event["event"] == kind
            assert json.loads(event["data"]) == {**summary, "done": done}


# -- over CovetPy's server ----------------------------------------------------------------------


def test_each_route_answers_the_same_on_covets_server_and_in_process(serve: Serve, db_file: Path) -> None:
    with serve(app) as http:
        assert http.get("/").status_code == 200
        todo_list = new_list(http)
        todo = new_todo(http, todo_list["id"], "Milk")
        assert http.patch(f"/api/todos/{todo['id']}", json={"done": True}).json()["done"] is True
        assert http.get("/api/todos?done=true").json()[0]["todo_list"]["name"] == "Groceries"
        assert http.get(f"/api/lists/{todo_list['id']}").json()["todos"][0]["id"] == todo["id"]
        assert http.get("/api/lists").json()[0]["todo_count"] == 1
        assert http.get("/api/stats").json() == {"lists": 1, "todos": 1, "done": 1}
        assert http.get("/api/hello/Ada", headers={"accept-language": "de"}).json()["language"] == "de"
        assert http.get("/api/lists?limit=0").status_code == 422
        assert http.post("/api/lists", json={"name": "Groceries"}).status_code == 409
        assert http.get("/docs").status_code == 200
        validate(http.get("/openapi.json").json())
        assert http.get("/static/style.css").status_code == 200
        assert http.delete(f"/api/todos/{todo['id']}").status_code == 204
        assert http.delete(f"/api/lists/{todo_list['id']}").status_code == 204
        assert http.get(f"/api/lists/{todo_list['id']}").status_code == 404


def test_websocket_and_event_feed_work_over_covets_server(db_file: Path) -> None:
    with live_server(app) as server, httpx.Client(base_url=server.url) as http:
        ws_url = server.url.replace("http:", "ws:") + "/live/rooms/lobby?name=ann"
        with websocket_connect(ws_url) as ann, websocket_connect(ws_url) as other:
            ann.send("hi")
            assert json.loads(other.recv(timeout=5)) == {"from": "ann", "text": "hi"}
        todo_list = new_list(http)
        with http.stream("GET", "/live/events") as feed:
            lines = feed.iter_lines()
            assert read_event(lines)["event"] == "ready"
            new_todo(http, todo_list["id"], "Milk")
            assert read_event(lines)["event"] == "todo.created"


@pytest.mark.slow
def test_covet_serve_runs_the_demo_from_an_empty_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``make serve`` does, with the working directory a fresh one: the database appears
    there, the pages answer, SIGTERM stops the server cleanly."""
    monkeypatch.delenv(DATABASE_URL_VARIABLE, raising=False)
    port = free_port()
    args = ("examples.demo:app", "--host", "127.0.0.1", "--port", str(port))
    process = CovetProcess(args, cwd=str(tmp_path))
    base = f"http://127.0.0.1:{port}"
    try:
        process.wait_until(lambda: httpx.get(base + "/").status_code == 200, timeout=30)
        assert httpx.get(base + "/api/lists").json() == []
        assert httpx.get(base + "/docs").status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0, process.log()
        assert "Applying 0001_initial... OK" in process.log()
        assert (tmp_path / "covet.db").is_file()
        assert not os.path.exists(tmp_path / "migrations")
    finally:
        process.kill_group()
