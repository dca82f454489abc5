"""``covet serve --reload``: a changed Python file brings up a fresh server on the same port."""

import signal

import httpx
import pytest

from tests.server.covet_process import covet_serve, free_port

pytestmark = pytest.mark.slow

APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": b"{answer}"}})
"""


def test_a_changed_file_is_served_after_reload_and_sigterm_stops_everything(tmp_path):
    source = tmp_path / "main.py"
    source.write_text(APP.format(answer="one"))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with covet_serve(
        "main:app", "--reload", "--port", str(port), cwd=str(tmp_path), ready=lambda: httpx.get(url)
    ) as reloader:
        assert httpx.get(url).text == "one"
        source.write_text(APP.format(answer="two"))
        reloader.wait_until(lambda: httpx.get(url).text == "two", what="the reloaded app")
        reloader.send_signal(signal.SIGTERM)
        assert reloader.wait() == 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(url)  # no server process left behind


def test_a_broken_edit_waits_for_the_fix(tmp_path):
    source = tmp_path / "main.py"
    source.write_text(APP.format(answer="one"))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with covet_serve(
        "main:app", "--reload", "--port", str(port), cwd=str(tmp_path), ready=lambda: httpx.get(url)
    ) as reloader:
        source.write_text("def broken(:\n")
        reloader.wait_until(lambda: "SyntaxError" in reloader.log(), what="the syntax error report")
        source.write_text(APP.format(answer="fixed"))
        reloader.wait_until(lambda: httpx.get(url).text == "fixed", what="the fixed app")
        reloader.send_signal(signal.SIGINT)
        assert reloader.wait() == 0
