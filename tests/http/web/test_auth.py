"""Signing in and out of the moderation pages (service/http/web/auth.py): the login form, where
it returns to, rate limits, and the session cookie."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.http.web.auth import BAD_LOGIN
from service.moderation import accounts
from tests.http.web.helpers import (
    CSRF,
    NOOR_PASSWORD,
    PASSWORD,
    csrf_token,
    redirects_to_login,
    sign_in,
)


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/moderation/login", data={"username": "mia", "password": PASSWORD})
    assert response.status_code == 400
    assert redirects_to_login(client.get("/moderation/"))


def test_signing_in_opens_the_queue_and_signing_out_closes_it(client, world):
    response = sign_in(client)
    assert response.status_code == 302 and response.location == "/moderation/"
    assert client.get("/moderation/").status_code == 200
    response = client.post("/moderation/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.location == "/moderation/login"
    assert redirects_to_login(client.get("/moderation/"))


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/moderation/events", "/moderation/events"),
        ("https://evil.example/phish", "/moderation/"),
        ("//evil.example/phish", "/moderation/"),
        ("/\\evil.example", "/moderation/"),
        ("/\t/evil.example", "/moderation/"),
    ],
)
def test_login_returns_to_the_page_asked_for_but_never_off_site(client, world, next_url, lands_on):
    data = {"csrf_token": csrf_token(client), "username": "mia", "password": PASSWORD}
    response = client.post("/moderation/login", query_string={"next": next_url}, data=data)
    assert response.status_code == 302
    assert response.location == lands_on


CSRF_FIELD = re.compile(r'<input id="csrf_token" name="csrf_token" type="hidden" value="[^"]+">')


def test_unknown_user_and_wrong_password_get_the_same_answer(app, client, world):
    with app.app_context():
        accounts.set_active(world.noor, False)
    answers = [
        sign_in(client, "nobody", PASSWORD),
        sign_in(client, "mia", "not the password"),
        sign_in(client, "noor", NOOR_PASSWORD),  # right password, disabled account
    ]
    for response in answers:
        assert response.status_code == 401
        page = response.get_data(as_text=True)
        assert f'<p class="error" role="alert">{html.escape(BAD_LOGIN)}</p>' in page
        assert CSRF_FIELD.search(page)
    # The CSRF token (meta tag and the form's hidden field) carries a timestamp: pages made in
    # different seconds differ there and nowhere else.
    pages = [CSRF_FIELD.sub("", CSRF.sub("", r.get_data(as_text=True))) for r in answers]
    assert pages[0].replace("nobody", "?") == pages[1].replace("mia", "?") != ""
    assert redirects_to_login(client.get("/moderation/"))


def test_empty_login_form_asks_for_username_and_password(client, world):
    response = sign_in(client, "", "")
    assert response.status_code == 401
    assert "Enter your username and password." in response.get_data(as_text=True)


def _attempt(client: FlaskClient, username: str, password: str, ip: str) -> Any:
    return sign_in(client, username, password, environ_base={"REMOTE_ADDR": ip})


def _throttled_for(response: Any) -> int:
    """The seconds a refused sign-in says to wait, checked against its page and header."""
    assert response.status_code == 429, response.status_code
    wait = int(response.headers["Retry-After"])
    minutes = -(-wait // 60)
    message = f"Too many failed sign-ins. Try again in {minutes} minutes."
    assert f'<p class="error" role="alert">{message}</p>' in response.get_data(as_text=True)
    return wait


def test_failed_sign_ins_rest_the_account_on_every_worker(make_app):
    # Two app instances with their own engines on one database: two workers, or replicas.
    # RATELIMIT_ENABLED as in production, where the old in-memory limit let worker 2 in.
    settings = {"RATELIMIT_ENABLED": True, "LOGIN_FAILURES_PER_ACCOUNT": 3}
    worker_1, worker_2 = make_app(**settings), make_app(**settings)
    with worker_1.app_context():
        accounts.create_moderator("mia", PASSWORD)
        accounts.create_moderator("noor", NOOR_PASSWORD)
    for n in range(3):
        assert _attempt(worker_1.test_client(), "mia", "wrong", f"10.0.0.{n}").status_code == 401
    # Even the right password, from a fresh address, on the other worker: the account rests.
    refusals = [
        _attempt(worker_2.test_client(), name, PASSWORD, f"10.0.0.9{n}")
        for n, name in enumerate(("mia", " MIA "))
    ]
    assert all(890 <= _throttled_for(refusal) <= 900 for refusal in refusals)
    # Other accounts are not locked out by it.
    assert _attempt(worker_2.test_client(), "noor", NOOR_PASSWORD, "10.0.0.50").status_code == 302


def test_failed_sign_ins_rest_the_address_across_accounts(make_app):
    app = make_app(LOGIN_FAILURES_PER_ADDRESS=3)
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
    for name in ("ann", "bob", "cy"):
        assert _attempt(app.test_client(), name, "guess", "192.0.2.7").status_code == 401
    _throttled_for(_attempt(app.test_client(), "mia", PASSWORD, "192.0.2.7"))
    assert _attempt(app.test_client(), "mia", PASSWORD, "192.0.2.8").status_code == 302


def test_a_newsroom_behind_one_address_signs_in_all_morning(make_app):
    """Twenty colleagues behind one NAT sign in within the minute, four after a typo: none is
    refused (the old limit, 5 per minute per address, refused the sixth)."""
    app = make_app(RATELIMIT_ENABLED=True)
    names = [f"reporter{n}" for n in range(20)]
    with app.app_context():
        for name in names:
            accounts.create_moderator(name, PASSWORD)
    for n, name in enumerate(names):
        client = app.test_client()
        if n % 5 == 0:
            assert _attempt(client, name, "typo " + PASSWORD, "203.0.113.9").status_code == 401
        assert _attempt(client, name, PASSWORD, "203.0.113.9").status_code == 302
        queue = client.get("/moderation/", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert queue.status_code == 200


def test_a_successful_sign_in_clears_the_accounts_failures(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_FAILURES_PER_ACCOUNT=3)
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
    for _ in range(2):
        for n in range(2):
            assert _attempt(app.test_client(), "mia", "wrong", f"10.1.0.{n}").status_code == 401
        assert _attempt(app.test_client(), "mia", PASSWORD, "10.1.0.9").status_code == 302


def test_the_account_may_try_again_once_the_window_has_passed(make_app):
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT=2, LOGIN_FAILURE_WINDOW_SECONDS=1)
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
    for _ in range(2):
        assert _attempt(app.test_client(), "mia", "wrong", "10.2.0.1").status_code == 401
    refused = _attempt(app.test_client(), "mia", PASSWORD, "10.2.0.1")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Try again in 1 second." in refused.get_data(as_text=True)
    time.sleep(1.1)
    assert _attempt(app.test_client(), "mia", PASSWORD, "10.2.0.1").status_code == 302


def test_password_reset_ends_the_moderators_sessions(app, world):
    noor, other_tab = app.test_client(), app.test_client()
    sign_in(noor, "noor", NOOR_PASSWORD)
    sign_in(other_tab, "noor", NOOR_PASSWORD)
    assert noor.get("/moderation/").status_code == 200
    with app.app_context():
        accounts.reset_password(world.noor, "a brand new password")
    assert redirects_to_login(noor.get("/moderation/"))
    assert redirects_to_login(other_tab.get("/moderation/events"))
    assert sign_in(noor, "noor", NOOR_PASSWORD).status_code == 401
    assert sign_in(noor, "noor", "a brand new password").status_code == 302


def _set_cookie(response: Any, name: str = "session") -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert cookies, response.headers
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_lax_over_http(client, world):
    cookie = _set_cookie(sign_in(client))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(client, world):
    https = {"base_url": "https://localhost"}
    token = csrf_token(client, **https)
    no_referer = {"csrf_token": token, "username": "mia", "password": PASSWORD}
    assert client.post("/moderation/login", data=no_referer, **https).status_code == 400
    response = sign_in(client, **https)
    assert response.status_code == 302
    cookie = _set_cookie(response, "__Host-session")
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/moderation/", **https).status_code == 200


def test_login_with_a_nul_character_is_refused(client, world):
    data = {"csrf_token": csrf_token(client), "username": "mia\x00", "password": PASSWORD}
    assert client.post("/moderation/login", data=data).status_code == 400
    assert redirects_to_login(client.get("/moderation/"))
