"""Signing in and out of the moderation pages (service/http/web/auth.py): the login form, where
it returns to, rate limits, and the session cookie."""

from __future__ import annotations

import html
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
    pages = [CSRF.sub("", r.get_data(as_text=True)) for r in answers]
    assert pages[0].replace("nobody", "?") == pages[1].replace("mia", "?") != ""
    assert redirects_to_login(client.get("/moderation/"))


def test_empty_login_form_asks_for_username_and_password(client, world):
    response = sign_in(client, "", "")
    assert response.status_code == 401
    assert "Enter your username and password." in response.get_data(as_text=True)


def _attempt(client: FlaskClient, username: str, password: str, ip: str) -> Any:
    return sign_in(client, username, password, environ_base={"REMOTE_ADDR": ip})


def _is_rate_limited(response: Any) -> bool:
    page = response.get_data(as_text=True)
    return (
        response.status_code == 429
        and "Too many attempts. Please wait a minute and try again." in page
        and int(response.headers["Retry-After"]) > 0
    )


def test_login_is_rate_limited_per_account_across_addresses(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
        accounts.create_moderator("noor", NOOR_PASSWORD)
    client = app.test_client()
    for n in range(3):
        assert _attempt(client, "mia", "wrong guess", f"10.0.0.{n}").status_code == 401
    # Even the right password, from a fresh address: the account is resting.
    assert _is_rate_limited(_attempt(client, "mia", PASSWORD, "10.0.0.99"))
    assert _is_rate_limited(_attempt(client, " MIA ", PASSWORD, "10.0.0.98"))
    # Other accounts are not locked out by it.
    assert _attempt(app.test_client(), "noor", NOOR_PASSWORD, "10.0.0.50").status_code == 302


def test_login_is_rate_limited_per_address_across_accounts(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
    client = app.test_client()
    for name in ("ann", "bob", "cy"):
        assert _attempt(client, name, "guess", "192.0.2.7").status_code == 401
    assert _is_rate_limited(_attempt(client, "mia", PASSWORD, "192.0.2.7"))
    assert _attempt(app.test_client(), "mia", PASSWORD, "192.0.2.8").status_code == 302


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
    cookie = _set_cookie(response)
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/moderation/", **https).status_code == 200


def test_login_with_a_nul_character_is_refused(client, world):
    data = {"csrf_token": csrf_token(client), "username": "mia\x00", "password": PASSWORD}
    assert client.post("/moderation/login", data=data).status_code == 400
    assert redirects_to_login(client.get("/moderation/"))
