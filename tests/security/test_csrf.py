"""CSRFMiddleware: unsafe requests that carry the session cookie need a signed, matching token
from this site; token-authenticated and exempt routes pass."""

import re

import pytest

from covet import Covet, HTMLResponse
from covet.middleware import Middleware
from covet.security.csrf import CSRFMiddleware, csrf_exempt, csrf_input, csrf_token
from covet.security.sessions import SessionMiddleware
from covet.security.settings import Settings
from covet.testing import TestClient
from tests.security.test_sessions import KEY


def origin_of(client):
    return f"{client.base_url.scheme}://{client.base_url.netloc.decode()}"


def csrf_app(**options):
    app = Covet(
        settings=Settings(secret_key=KEY),
        middleware=[Middleware(SessionMiddleware), Middleware(CSRFMiddleware, **options)],
    )

    @app.get("/form")
    async def form(request):
        return HTMLResponse(f'<form method="post" action="/comment">{csrf_input(request)}</form>')

    @app.get("/token")
    async def token(request):
        return csrf_token(request)

    @app.post("/comment")
    async def comment(request):
        body = await request.body()
        form = await request.form()
        return {"text": form.get("text"), "body": body.decode()}

    @app.post("/visit")
    async def visit(request):
        request.session["visited"] = True
        return "ok"

    @app.post("/login")
    async def login(request):
        request.session.rotate()
        request.session["user"] = "alice"
        return "ok"

    @app.post("/wizard")
    async def wizard(request):
        request.session["step"] = 2  # the first write: the session (and its id) starts here
        return HTMLResponse(f'<form method="post" action="/comment">{csrf_input(request)}</form>')

    @csrf_exempt
    @app.post("/api/exempt-above")
    async def exempt_above(request):
        return "exempt"

    @app.post("/api/exempt-below")
    @csrf_exempt
    async def exempt_below(request):
        return "exempt"

    @app.post("/webhooks/{name}")
    async def webhook(request):
        return "hook"

    @app.delete("/items/1")
    async def delete_item(request):
        return "deleted"

    return app


def form_token(client):
    page = client.get("/form").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def with_session(client):
    """Give the client a stored session (its cookie is what makes a request cookie-authenticated)."""
    client.get("/token")  # the CSRF cookie first, as a page with a form would set it
    assert client.post("/visit", headers={"x-csrf-token": client.cookies["csrftoken"]}).status_code == 200
    return client


def test_a_page_with_a_form_sets_the_token_cookie_for_scripts_and_the_same_site(serve):
    with serve(csrf_app()) as client:
        response = client.get("/form")
    (line,) = response.headers.get_list("set-cookie")
    assert line.startswith("csrftoken=") and "SameSite=Lax" in line and "HttpOnly" not in line
    assert 'name="csrf_token"' in response.text


def test_a_form_posted_with_its_token_passes_and_the_handler_still_reads_it(serve):
    with serve(csrf_app()) as client:
        with_session(client)
        token = form_token(client)
        headers = {"origin": origin_of(client)}
        response = client.post("/comment", data={"csrf_token": token, "text": "hi"}, headers=headers)
    assert response.status_code == 200
    assert response.json()["text"] == "hi" and "csrf_token=" in response.json()["body"]


def test_a_script_may_send_the_cookie_value_in_the_header(serve):
    with serve(csrf_app()) as client:
        with_session(client)
        headers = {"x-csrf-token": client.cookies["csrftoken"]}
        assert client.delete("/items/1", headers=headers).text == "deleted"


def test_a_missing_token_is_refused_with_a_precise_403(serve):
    with serve(csrf_app()) as client:
        with_session(client)
        response = client.post("/comment", data={"text": "hi"})
    assert response.status_code == 403
    assert response.text == (
        "CSRF check failed: no CSRF token: send it in the x-csrf-token header or the csrf_token form field"
    )


def test_a_token_that_does_not_match_the_cookie_is_refused(serve):
    with serve(csrf_app()) as client:
        with_session(client)
        other = TestClient(csrf_app())
        foreign = form_token(other)
        response = client.post("/comment", data={"csrf_token": foreign})
    assert response.status_code == 403
    assert "does not match the csrftoken cookie" in response.text


def test_a_session_without_the_token_cookie_is_refused(serve):
    with serve(csrf_app()) as client:
        with_session(client)
        session = client.cookies["session"]
        client.cookies.clear()
        response = client.post("/comment", data={"csrf_token": "x"}, headers={"cookie": f"session={session}"})
    assert response.status_code == 403
    assert "no csrftoken cookie" in response.text


def test_a_token_the_server_did_not_sign_is_refused_even_when_cookie_and_field_agree(serve):
    # An attacker who can write cookies (a sibling subdomain) plants a pair of their own making.
    planted = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    with serve(csrf_app()) as client:
        with_session(client)
        session = client.cookies["session"]
        client.cookies.clear()
        response = client.post(
            "/comment",
            data={"csrf_token": planted},
            headers={"cookie": f"session={session}; csrftoken={planted}"},
        )
    assert response.status_code == 403
    assert "not issued for this session" in response.text


def test_a_valid_token_of_another_session_is_refused(serve):
    with serve(csrf_app()) as attacker, serve(csrf_app()) as victim:
        with_session(attacker)
        with_session(victim)
        pair = attacker.cookies["csrftoken"]
        session = victim.cookies["session"]
        victim.cookies.clear()
        response = victim.post(
            "/comment", data={"csrf_token": pair}, headers={"cookie": f"session={session}; csrftoken={pair}"}
        )
    assert response.status_code == 403 and "not issued for this session" in response.text


def test_a_cross_origin_request_is_refused_and_a_trusted_origin_is_not(serve):
    with serve(csrf_app(trusted_origins=["https://app.example.com"])) as client:
        with_session(client)
        headers = {"x-csrf-token": client.cookies["csrftoken"]}
        refused = client.post("/comment", headers={**headers, "origin": "https://evil.example"})
        trusted = client.post("/comment", headers={**headers, "origin": "https://app.example.com"})
    assert refused.status_code == 403
    assert f"origin 'https://evil.example', not '{origin_of(client)}'" in refused.text
    assert trusted.status_code == 200


def test_over_https_a_request_needs_an_origin_or_a_same_site_referer(serve):
    with serve(csrf_app(), https=True) as client:
        client.get("/token")
        token = client.cookies["csrftoken"]
        visit = client.post("/visit", headers={"x-csrf-token": token, "origin": origin_of(client)})
        assert visit.status_code == 200, visit.text
        base = {"x-csrf-token": client.cookies["csrftoken"]}
        no_source = client.post("/comment", headers=base)
        own_page = f"{origin_of(client)}/form"
        from_page = client.post("/comment", headers={**base, "referer": own_page})
        from_elsewhere = client.post("/comment", headers={**base, "referer": "https://evil.example/page"})
    assert no_source.status_code == 403 and "without an Origin or a Referer" in no_source.text
    assert from_page.status_code == 200
    assert from_elsewhere.status_code == 403
    assert "the Referer is 'https://evil.example'" in from_elsewhere.text


def test_requests_without_cookies_are_not_checked(serve):
    with serve(csrf_app()) as client:
        assert client.post("/comment", data={"text": "token-authenticated API call"}).status_code == 200


def test_exempt_routes_and_paths_pass_with_the_session_cookie(serve):
    with serve(csrf_app(exempt_paths=["/webhooks/"])) as client:
        with_session(client)
        assert client.post("/api/exempt-above").text == "exempt"
        assert client.post("/api/exempt-below").text == "exempt"
        assert client.post("/webhooks/github").text == "hook"
        assert client.post("/comment").status_code == 403


def test_safe_methods_are_never_checked(serve):
    with serve(csrf_app()) as client:
        with_session(client)
        assert client.get("/form").status_code == 200


def test_logging_in_reissues_the_token_for_the_new_session(serve):
    with serve(csrf_app()) as client:
        client.get("/token")
        before = client.cookies["csrftoken"]
        response = client.post("/login", headers={"x-csrf-token": before})
        assert response.status_code == 200
        after = client.cookies["csrftoken"]
        assert after != before
        session = client.cookies["session"]
        client.cookies.clear()
        stale = client.post(
            "/comment",
            headers={"x-csrf-token": before, "cookie": f"session={session}; csrftoken={before}"},
        )
        fresh = client.post(
            "/comment",
            headers={"x-csrf-token": after, "cookie": f"session={session}; csrftoken={after}"},
        )
    assert stale.status_code == 403 and "not issued for this session" in stale.text
    assert fresh.status_code == 200


def test_a_form_rendered_after_the_session_changed_carries_a_token_for_the_new_session(serve):
    with serve(csrf_app()) as client:
        client.get("/token")
        step = client.post("/wizard", headers={"x-csrf-token": client.cookies["csrftoken"]})
        token = re.search(r'name="csrf_token" value="([^"]+)"', step.text)[1]
        assert client.post("/comment", data={"csrf_token": token}).status_code == 200


def test_page_tokens_are_masked_afresh_each_time_and_all_valid(serve):
    with serve(csrf_app()) as client:
        with_session(client)
        first, second = form_token(client), form_token(client)
        assert first != second and client.cookies["csrftoken"] not in (first, second)
        for token in (first, second):
            assert client.post("/comment", data={"csrf_token": token}).status_code == 200


def test_garbage_tokens_are_refused_not_crashed_on(serve):
    with serve(csrf_app()) as client:
        with_session(client)
        for garbage in ("!!!", "AAAA", "A", "é".encode("latin-1"), "a.b.c"):
            assert client.post("/comment", headers={"x-csrf-token": garbage}).status_code == 403


def test_csrf_token_without_the_middleware_says_how_to_add_it():
    app = Covet(settings=Settings(secret_key=KEY))

    @app.get("/")
    async def page(request):
        return csrf_token(request)

    with TestClient(app) as client, pytest.raises(RuntimeError, match="needs CSRFMiddleware"):
        client.get("/")


def test_trusted_origins_are_checked_for_shape():
    with pytest.raises(ValueError, match="must look like 'https://example.com'"):
        CSRFMiddleware(None, trusted_origins=["example.com"])


def test_the_token_and_its_signature_are_compared_in_constant_time(compare_digest_calls):
    with TestClient(csrf_app()) as client:
        with_session(client)
        cookie = client.cookies["csrftoken"]
        compare_digest_calls.clear()
        assert client.post("/comment", headers={"x-csrf-token": cookie}).status_code == 200
    compared = [pair for pair in compare_digest_calls if cookie.encode() in pair]
    assert compared, "the submitted token must be compared with the cookie through compare_digest"
    signature = cookie.split(".")[1].encode()
    assert any(signature in pair for pair in compare_digest_calls)
