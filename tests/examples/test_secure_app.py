"""examples/secure_app.py end to end with the test client: register with TOTP enrolment, log in
with password + code, CSRF on forms, roles, rate-limited logins, and the JWT API."""

import re
import time

import pytest

from covet.security.otp import TOTP
from covet.testing import TestClient
from examples.secure_app import create_app

PASSWORD = "correct horse battery staple"


@pytest.fixture
def app(tmp_path):
    return create_app(f"sqlite:///{tmp_path / 'users.db'}")


def form_token(page_html):
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html)[1]


def register(client, username):
    """Register and turn on two-factor; the TOTP of the new account."""
    token = form_token(client.get("/register").text)
    fields = {"csrf_token": token, "username": username, "password": PASSWORD}
    enrolment = client.post("/register", data=fields)
    assert enrolment.status_code == 200, enrolment.text
    uri = re.search(r'<code id="uri">([^<]+)</code>', enrolment.text)[1]
    assert uri.startswith(f"otpauth://totp/CovetPy%20secure%20app:{username}?secret=")
    totp = TOTP(re.search(r'<code id="secret">([A-Z2-7]+)</code>', enrolment.text)[1])
    fields = {"csrf_token": form_token(enrolment.text), "code": totp.now()}
    confirmed = client.post("/2fa/confirm", data=fields)
    assert confirmed.status_code == 200, confirmed.text
    return totp


def next_code(totp):
    """A code of the next time step: valid (clock drift is allowed) and not used yet."""
    return totp.generate(totp.step(time.time()) + 1)


def log_in(client, username, code):
    token = form_token(client.get("/login").text)
    fields = {"csrf_token": token, "username": username, "password": PASSWORD, "code": code}
    return client.post("/login", data=fields)


def test_register_log_in_and_out_with_password_and_totp(app):
    with TestClient(app, follow_redirects=False) as client:
        totp = register(client, "alice")
        response = log_in(client, "alice", next_code(totp))
        assert (response.status_code, response.headers["location"]) == (303, "/")
        home = client.get("/")
        assert "Hello, alice" in home.text and "You are a admin" in home.text
        logged_out = client.post("/logout", data={"csrf_token": form_token(home.text)})
        assert logged_out.status_code == 303
        assert "Welcome" in client.get("/").text


def test_a_totp_code_works_once(app):
    with TestClient(app, follow_redirects=False) as client:
        totp = register(client, "alice")
        code = next_code(totp)
        assert log_in(client, "alice", code).status_code == 303
        client.post("/logout", data={"csrf_token": form_token(client.get("/").text)})
        replay = log_in(client, "alice", code)
    assert replay.status_code == 400 and "Wrong username, password or code" in replay.text


def test_a_wrong_password_or_code_gives_one_answer(app):
    with TestClient(app, follow_redirects=False) as client:
        totp = register(client, "alice")
        wrong_code = log_in(client, "alice", "000000" if totp.now() != "000000" else "111111")
        token = form_token(client.get("/login").text)
        wrong_password = client.post(
            "/login", data={"csrf_token": token, "username": "alice", "password": "nope", "code": totp.now()}
        )
        unknown = log_in(client, "mallory", next_code(totp))
    assert {r.status_code for r in (wrong_code, wrong_password, unknown)} == {400}
    assert len({r.text for r in (wrong_code, wrong_password, unknown)}) == 1


def test_a_session_id_planted_before_the_login_is_not_kept(app):
    with TestClient(app, follow_redirects=False) as client:
        totp = register(client, "alice")
        token = form_token(client.get("/register").text)
        client.post("/register", data={"csrf_token": token, "username": "mallory", "password": PASSWORD})
        planted = client.cookies["session"]  # a session of the attacker's, mid-enrolment
        response = log_in(client, "alice", next_code(totp))
        assert response.status_code == 303
        assert response.cookies["session"] != planted


def test_forms_need_their_csrf_token(app):
    with TestClient(app, follow_redirects=False) as client:
        totp = register(client, "alice")
        log_in(client, "alice", next_code(totp))
        refused = client.post("/logout")
    assert refused.status_code == 403 and refused.text.startswith("CSRF check failed")


def test_the_admin_page_is_for_the_admin_role(app):
    with TestClient(app, follow_redirects=False) as alice:
        bob = TestClient(app, follow_redirects=False)  # the same running app: one lifespan
        alice_totp = register(alice, "alice")
        bob_totp = register(bob, "bob")
        assert alice.get("/admin", headers={"accept": "text/html"}).status_code == 303  # to the login page
        log_in(alice, "alice", next_code(alice_totp))
        log_in(bob, "bob", next_code(bob_totp))
        assert "bob (member)" in alice.get("/admin").text
        assert bob.get("/admin").status_code == 403


def test_logins_are_rate_limited(app):
    with TestClient(app, follow_redirects=False) as client:
        register(client, "alice")
        statuses = [log_in(client, "alice", "123456").status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]


def test_the_api_takes_tokens_refreshes_them_and_checks_roles(app):
    with TestClient(app) as client:
        alice_totp, bob_totp = register(client, "alice"), register(client, "bob")
        pair = client.post(
            "/api/token", json={"username": "alice", "password": PASSWORD, "code": next_code(alice_totp)}
        ).json()
        bob_pair = client.post(
            "/api/token", json={"username": "bob", "password": PASSWORD, "code": next_code(bob_totp)}
        ).json()
        client.cookies.clear()  # the API is used without the browser's session
        alice = {"authorization": f"Bearer {pair['access_token']}"}
        bob = {"authorization": f"Bearer {bob_pair['access_token']}"}
        assert client.get("/api/me", headers=alice).json() == {"id": 1, "username": "alice", "role": "admin"}
        users = client.get("/api/admin/users", headers=alice).json()
        assert [u["username"] for u in users] == ["alice", "bob"]
        assert client.get("/api/admin/users", headers=bob).status_code == 403
        assert client.get("/api/me").status_code == 401

        rotated = client.post("/api/token/refresh", json={"refresh_token": pair["refresh_token"]}).json()
        fresh = {"authorization": f"Bearer {rotated['access_token']}"}
        assert client.get("/api/me", headers=fresh).status_code == 200
        # The old refresh token again: stolen and replayed. The whole login is revoked.
        reused = client.post("/api/token/refresh", json={"refresh_token": pair["refresh_token"]})
        assert reused.status_code == 400 and "reused" in reused.json()["error_description"]
        assert client.get("/api/me", headers=fresh).status_code == 401


def test_api_logout_revokes_the_login(app):
    with TestClient(app) as client:
        totp = register(client, "alice")
        pair = client.post(
            "/api/token", json={"username": "alice", "password": PASSWORD, "code": next_code(totp)}
        ).json()
        client.cookies.clear()
        headers = {"authorization": f"Bearer {pair['access_token']}"}
        logout = client.post("/api/logout", json={"refresh_token": pair["refresh_token"]}, headers=headers)
        assert logout.json() == {"revoked": True}
        assert client.get("/api/me", headers=headers).status_code == 401
