"""covet.cookies: the Cookie header parsed as browsers send it."""

import pytest

from covet.cookies import parse_cookie_header


@pytest.mark.parametrize(
    "header, expected",
    [
        ("a=1", {"a": "1"}),
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ("a=1;b=2;  c = 3 ", {"a": "1", "b": "2", "c": "3"}),
        ('q="quoted value"', {"q": "quoted value"}),
        ("token=abc==", {"token": "abc=="}),  # base64 padding stays in the value
        ("flag", {"": "flag"}),  # no '=': a value with an empty name, as browsers treat it
        ("a=; b=2", {"a": "", "b": "2"}),
        ("; ;a=1;;", {"a": "1"}),
        ("", {}),
        ("json={\"k\": [1, 2]}", {"json": '{"k": [1, 2]}'}),
        ("name=José", {"name": "José"}),
    ],
)
def test_cookie_header_parses_leniently(header, expected):
    assert parse_cookie_header(header) == expected


def test_a_repeated_cookie_name_keeps_the_first_most_specific_value():
    # Browsers order cookies with longer paths first (RFC 6265 5.4 step 2).
    assert parse_cookie_header("sid=for-/app; sid=for-/") == {"sid": "for-/app"}
