"""covet.datastructures: URL, Headers, MutableHeaders, QueryParams, FormData, UploadFile, State."""

import io
import tempfile
from urllib.parse import parse_qsl

import pytest

from covet.datastructures import (
    URL,
    Address,
    FormData,
    Headers,
    ImmutableMultiDict,
    MutableHeaders,
    QueryParams,
    State,
    UploadFile,
    encode_header,
    parse_query_string,
)

# -- URL ---------------------------------------------------------------------------------------


def test_url_splits_into_its_parts():
    url = URL("https://user:secret@example.com:8443/a%20b/c?x=1&y=2#top")
    assert url.scheme == "https"
    assert url.netloc == "user:secret@example.com:8443"
    assert url.path == "/a%20b/c"
    assert url.query == "x=1&y=2"
    assert url.fragment == "top"
    assert (url.username, url.password, url.hostname, url.port) == ("user", "secret", "example.com", 8443)
    assert url.is_secure
    assert not URL("http://example.com/").is_secure


def test_url_built_from_components_equals_the_parsed_string():
    url = URL(scheme="http", netloc="example.com", path="/p", query="q=1")
    assert url == "http://example.com/p?q=1"
    assert url == URL("http://example.com/p?q=1")
    assert hash(url) == hash(URL("http://example.com/p?q=1"))
    with pytest.raises(ValueError, match="not both"):
        URL("http://example.com", path="/x")


def test_url_from_parts_needs_no_parsing_and_reads_the_same():
    url = URL.from_parts("http", "example.com:8000", "/a", "b=1")
    assert str(url) == "http://example.com:8000/a?b=1"
    assert url.port == 8000
    assert url.components == URL(str(url)).components


def test_url_replace_rebuilds_the_netloc_from_its_pieces():
    url = URL("http://user:pw@example.com:8000/path?q=1")
    assert url.replace(scheme="https") == "https://user:pw@example.com:8000/path?q=1"
    assert url.replace(port=9000) == "http://user:pw@example.com:9000/path?q=1"
    assert url.replace(hostname="other.org") == "http://user:pw@other.org:8000/path?q=1"
    assert url.replace(username="admin", password=None) == "http://admin@example.com:8000/path?q=1"
    assert URL("http://[::1]:8000/").replace(port=None) == "http://[::1]/"
    assert URL("http://h/").replace(hostname="::1", port=80) == "http://[::1]:80/"


def test_url_query_param_helpers():
    url = URL("http://h/p?a=1&b=2")
    assert url.include_query_params(b=3, c=4) == "http://h/p?a=1&b=3&c=4"
    assert url.replace_query_params(z="x y") == "http://h/p?z=x+y"
    assert url.remove_query_params("a") == "http://h/p?b=2"
    assert url.remove_query_params(["a", "b"]) == "http://h/p"


def test_url_repr_hides_the_password():
    assert "secret" not in repr(URL("http://u:secret@h/"))
    assert repr(URL("http://h/")) == "URL('http://h/')"


# -- headers -----------------------------------------------------------------------------------


def test_headers_are_case_insensitive_and_keep_every_value():
    headers = Headers(raw=[(b"accept", b"text/html"), (b"x-tag", b"a"), (b"x-tag", b"b")])
    assert headers["Accept"] == headers.get("ACCEPT") == "text/html"
    assert headers["x-tag"] == "a"
    assert headers.getlist("X-Tag") == ["a", "b"]
    assert headers.get("missing") is None and headers.get("missing", "d") == "d"
    assert "X-TAG" in headers and "nope" not in headers and 3 not in headers
    assert headers.keys() == ["accept", "x-tag", "x-tag"]
    assert headers.items() == [("accept", "text/html"), ("x-tag", "a"), ("x-tag", "b")]
    assert len(headers) == 3
    with pytest.raises(KeyError):
        headers["missing"]


def test_headers_read_the_raw_list_in_place():
    raw = [(b"host", b"example.com")]
    headers = Headers(raw=raw)
    assert headers.raw is raw


def test_headers_from_a_mapping_are_encoded_and_compared_by_content():
    headers = Headers({"Content-Type": "text/plain", "X-A": "1"})
    assert headers.raw == [(b"content-type", b"text/plain"), (b"x-a", b"1")]
    assert headers == Headers(raw=[(b"x-a", b"1"), (b"content-type", b"text/plain")])
    assert repr(headers) == "Headers({'content-type': 'text/plain', 'x-a': '1'})"
    with pytest.raises(ValueError, match="not both"):
        Headers({"a": "b"}, raw=[])


def test_headers_lookup_of_a_non_latin1_name_finds_nothing():
    assert Headers(raw=[(b"a", b"1")]).get("ключ") is None


def test_mutable_headers_set_replace_append_and_delete():
    raw: list = [(b"vary", b"accept"), (b"x-a", b"1"), (b"x-a", b"2")]
    headers = MutableHeaders(raw=raw)
    headers["X-A"] = "3"
    assert headers.getlist("x-a") == ["3"]
    headers.append("Set-Cookie", "a=1")
    headers.append("set-cookie", "b=2")
    assert headers.getlist("set-cookie") == ["a=1", "b=2"]
    del headers["set-cookie"]
    assert "set-cookie" not in headers
    with pytest.raises(KeyError):
        del headers["set-cookie"]
    assert headers.setdefault("x-a", "9") == "3"
    assert headers.setdefault("x-b", "9") == "9"
    headers.update({"x-c": "c"})
    assert raw[-1] == (b"x-c", b"c")  # the caller's list itself changed


def test_mutable_headers_add_vary_once():
    headers = MutableHeaders()
    headers.add_vary_header("Accept-Encoding")
    headers.add_vary_header("Origin")
    headers.add_vary_header("accept-encoding")
    assert headers["vary"] == "Accept-Encoding, Origin"


@pytest.mark.parametrize(
    "name, value",
    [("x-a", "1\r\nset-cookie: evil=1"), ("x-a", "1\nx"), ("x-a", "a\0b"), ("bad name", "v"), ("", "v"),
     ("x:a", "v"), ("x-a", "€uro")],
)
def test_header_injection_and_bad_names_are_refused(name, value):
    with pytest.raises(ValueError):
        encode_header(name, value)
    with pytest.raises(ValueError):
        MutableHeaders()[name] = value


def test_mutablecopy_does_not_touch_the_original():
    original = Headers(raw=[(b"a", b"1")])
    copy = original.mutablecopy()
    copy["a"] = "2"
    assert original["a"] == "1" and copy["a"] == "2"


# -- multi-dicts -------------------------------------------------------------------------------


def test_query_params_give_the_last_value_and_keep_all():
    params = QueryParams("a=1&b=2&a=3&empty=&plus=x+y&pct=%C3%A9")
    assert params["a"] == params.get("a") == "3"
    assert params.getlist("a") == ["1", "3"]
    assert params["empty"] == ""
    assert params["plus"] == "x y" and params["pct"] == "é"
    assert list(params.keys()) == ["a", "b", "empty", "plus", "pct"]
    assert params.multi_items()[:3] == [("a", "1"), ("b", "2"), ("a", "3")]
    assert len(params) == 5 and "b" in params and "z" not in params
    assert params.get("z") is None and params.get("z", "d") == "d"
    with pytest.raises(KeyError):
        params["z"]


@pytest.mark.parametrize(
    "query",
    ["", "a=1", "a=1&&b=2", "flag", "=x", "a=b=c", "x+y=%20z+", "%zz=%C3%A9", "a=1;b=2", "&&", "k=%2"],
)
def test_query_string_parsing_agrees_with_parse_qsl(query):
    assert parse_query_string(query) == parse_qsl(query, keep_blank_values=True)


def test_query_params_from_bytes_mapping_and_pairs_render_back():
    assert QueryParams(b"a=1&a=2").getlist("a") == ["1", "2"]
    assert QueryParams({"a": "1"}) == QueryParams([("a", "1")]) == QueryParams("a=1")
    assert str(QueryParams([("q", "a b"), ("q", "&")])) == "q=a+b&q=%26"
    assert QueryParams("a=1&b=2") == QueryParams("b=2&a=1")
    assert QueryParams("a=1&a=2") != QueryParams("a=2&a=1")
    assert repr(QueryParams("a=1")) == "QueryParams([('a', '1')])"


def test_multidict_copies_from_another():
    original = ImmutableMultiDict([("a", 1), ("a", 2)])
    assert ImmutableMultiDict(original).getlist("a") == [1, 2]


async def test_form_data_close_closes_every_upload():
    upload = UploadFile(io.BytesIO(b"x"), filename="x.txt")
    form = FormData([("name", "value"), ("file", upload)])
    assert form["name"] == "value" and form["file"] is upload
    assert form == FormData([("file", upload), ("name", "value")])
    await form.close()
    assert upload.file.closed


# -- uploads -----------------------------------------------------------------------------------


async def test_upload_file_reads_writes_and_seeks_in_memory():
    spooled = tempfile.SpooledTemporaryFile(max_size=1024)  # noqa: SIM115 - closed by upload.close()
    upload = UploadFile(spooled, size=0, filename="a.txt", headers=Headers({"content-type": "text/plain"}))
    await upload.write(b"hello ")
    await upload.write(b"world")
    assert upload.size == 11 and upload._in_memory
    await upload.seek(0)
    assert await upload.read(5) == b"hello"
    assert await upload.read() == b" world"
    assert upload.content_type == "text/plain"
    assert repr(upload) == "UploadFile(filename='a.txt', size=11, content_type='text/plain')"
    await upload.close()


async def test_upload_file_past_the_threshold_goes_to_disk_and_off_the_loop():
    upload = UploadFile(tempfile.SpooledTemporaryFile(max_size=4), size=0)  # noqa: SIM115
    await upload.write(b"0123456789")
    assert not upload._in_memory
    await upload.seek(2)
    assert await upload.read() == b"23456789"
    await upload.close()
    assert upload.file.closed
    assert upload.content_type is None


# -- state and address -------------------------------------------------------------------------


def test_state_is_attribute_style_and_says_what_is_missing():
    state = State()
    state.user = "ann"
    assert state.user == "ann" and "user" in state
    del state.user
    with pytest.raises(AttributeError, match="no attribute 'user'"):
        _ = state.user
    with pytest.raises(AttributeError):
        del state.user
    shared = {"db": 1}
    assert State(shared).db == 1
    assert repr(State(shared)) == "State({'db': 1})"


def test_address_is_a_named_pair():
    address = Address("127.0.0.1", 5000)
    assert address.host == "127.0.0.1" and address.port == 5000
    host, port = address
    assert (host, port) == ("127.0.0.1", 5000)
