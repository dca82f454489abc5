"""The HTML side: the index page, which links to what to try, and the static files it uses."""

from __future__ import annotations

import html
from pathlib import Path

from covet import HTMLResponse, Request
from covet.routing import Router

STATIC = Path(__file__).with_name("static")

router = Router()

INDEX = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CovetPy demo</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<main>
<h1>CovetPy is running</h1>
<p>A to-do API on SQLite through <code>covet.orm</code>, with live updates.
The code is in <code>examples/demo/</code>.</p>

<h2>Try</h2>
<ul>
  <li><a href="/docs">/docs</a> &mdash; the interactive API docs (and
      <a href="/openapi.json">/openapi.json</a>): create a list, add to-dos, tick them off</li>
  <li><a href="/api/lists">/api/lists</a> &mdash; the lists, with their to-do counts</li>
  <li><a href="/api/todos?done=false">/api/todos?done=false</a> &mdash; open to-dos, each with its list</li>
  <li><a href="/api/stats">/api/stats</a> &mdash; counts made with the query builder</li>
  <li><a href="/api/hello/Ada?excited=true">/api/hello/Ada?excited=true</a> &mdash; in your browser's
      language (<code>Accept-Language</code>)</li>
  <li><a href="/api/lists?limit=0">/api/lists?limit=0</a> &mdash; a 422 saying what is wrong</li>
  <li><a href="/api/lists/999999">/api/lists/999999</a> &mdash; a 404 from an exception handler</li>
</ul>
<pre>curl -X POST {base}/api/lists -H 'content-type: application/json' -d '{"name": "Groceries"}'
curl -X POST {base}/api/lists/1/todos -H 'content-type: application/json' -d '{"title": "Milk"}'
curl -X PATCH {base}/api/todos/1 -H 'content-type: application/json' -d '{"done": true}'
curl -N {base}/live/events</pre>
<p>Every response carries <code>X-Request-ID</code> and <code>Server-Timing</code>; big ones are gzipped.</p>

<h2>Live</h2>
<section class="live">
  <div>
    <h3>To-do changes <small>(Server-Sent Events, <code>/live/events</code>)</small></h3>
    <ul id="events"><li class="quiet">Change a to-do to see it here.</li></ul>
  </div>
  <div>
    <h3>Chat <small>(WebSocket, <code>/live/rooms/lobby</code>)</small></h3>
    <form id="chat">
      <input name="text" placeholder="Say something" autocomplete="off"> <button>Send</button>
    </form>
    <ul id="messages"></ul>
  </div>
</section>
</main>
<script src="/static/live.js"></script>
</body>
</html>
"""


@router.get("/", include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    base = html.escape(str(request.base_url).rstrip("/"))
    return HTMLResponse(INDEX.replace("{base}", base))
