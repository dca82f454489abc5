"""TimingMiddleware: ``Server-Timing: app;dur=...`` with how long the app took."""

import asyncio
import re

import pytest

from covet import Covet
from covet.middleware import Middleware
from covet.middleware.timing import TimingMiddleware


def make_app(**options):
    app = Covet(middleware=[Middleware(TimingMiddleware, **options)])

    @app.get("/slow")
    async def slow(request):
        await asyncio.sleep(0.05)
        return "done"

    return app


def test_the_duration_is_in_milliseconds(serve):
    with serve(make_app()) as client:
        header = client.get("/slow").headers["server-timing"]
    match = re.fullmatch(r"app;dur=(\d+\.\d{3})", header)
    assert match is not None
    assert 50.0 <= float(match.group(1)) < 5000.0


def test_name_and_description_label_the_entry(serve):
    with serve(make_app(name="handler", description='the "slow" one')) as client:
        header = client.get("/slow").headers["server-timing"]
    assert header.startswith('handler;desc="the \\"slow\\" one";dur=')


def test_errors_are_timed_too(serve):
    with serve(make_app()) as client:
        assert client.get("/missing").headers["server-timing"].startswith("app;dur=")


def test_a_name_must_be_a_token():
    with pytest.raises(ValueError, match="HTTP token"):
        TimingMiddleware(make_app().call_endpoint, name="my app")
