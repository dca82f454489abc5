"""The order of targets per round: every target once, each floor's close pair side by side."""

from __future__ import annotations

from bench.http.run import round_order

TARGETS = ["covet", "covet-raw", "starlette-asyncpg", "fastapi-asyncpg", "blacksheep-asyncpg"]


def test_each_round_measures_every_target_once_with_the_twins_side_by_side() -> None:
    firsts = set()
    for round_ in range(8):
        order = round_order(TARGETS, round_)
        assert sorted(order) == sorted(TARGETS)
        at = order.index("covet")
        assert "covet-raw" in order[max(0, at - 1) : at + 2]
        assert (order.index("covet") < order.index("covet-raw")) == (round_ % 2 == 0)
        firsts.add(order[0])
    assert {"starlette-asyncpg", "fastapi-asyncpg", "blacksheep-asyncpg"} <= firsts


def test_the_http_suite_keeps_covet_beside_the_bare_protocol_and_the_asgi_pair_together() -> None:
    names = ["bare-protocol", "covet", "covet-asgi", "uvicorn-asgi", "starlette", "blacksheep"]
    firsts = set()
    for round_ in range(8):
        order = round_order(names, round_)
        assert sorted(order) == sorted(names)
        for a, b in (("covet", "bare-protocol"), ("covet-asgi", "uvicorn-asgi")):
            assert abs(order.index(a) - order.index(b)) == 1, order
        firsts.add(order[0])
    assert {"starlette", "blacksheep"} <= firsts


def test_targets_without_a_partner_are_simply_rotated() -> None:
    names = ["starlette", "blacksheep", "covet"]
    assert [round_order(names, r)[0] for r in range(3)] == names
