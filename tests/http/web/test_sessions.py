"""Moderators' sessions end on the server (service/http/web/sessions.py and the accounts): a
copy of the cookie taken before signing out, a password reset, disabling the account or "sign
out everywhere" opens nothing afterwards; a session also ends when idle or old; over HTTPS the
cookie is `__Host-session`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.moderation import accounts
from tests.http.web.helpers import (
    NOOR_PASSWORD,
    PASSWORD,
    World,
    admin_post,
    csrf_token,
    flashes,
    redirects_to_login,
    sign_in,
    status_of,
)


def _copy_of_cookie(app: Flask, browser: FlaskClient) -> FlaskClient:
    """Another client carrying the same session cookie: another tab, or a stolen copy."""
    cookie = browser.get_cookie("session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("session", cookie.value)
    return copy


def _approve(client: FlaskClient, token: str, comment: int) -> Any:
    return client.post(
        f"/moderation/comments/{comment}/approve",
        data={"csrf_token": token, f"seen-{comment}": "pending"},
    )


def _sign_out(app: Flask, noor: FlaskClient, world: World) -> None:
    noor.post("/moderation/logout", data={"csrf_token": csrf_token(noor)})


def _reset_password(app: Flask, noor: FlaskClient, world: World) -> None:
    mia = app.test_client()
    sign_in(mia)
    admin_post(mia, f"/moderation/admin/moderators/{world.noor}/password", password="x" * 12)


def _disable_and_enable_again(app: Flask, noor: FlaskClient, world: World) -> None:
    mia = app.test_client()
    sign_in(mia)
    admin_post(mia, f"/moderation/admin/moderators/{world.noor}/active", active="0")
    admin_post(mia, f"/moderation/admin/moderators/{world.noor}/active", active="1")


def _everywhere_from_the_admin_page(app: Flask, noor: FlaskClient, world: World) -> None:
    mia = app.test_client()
    sign_in(mia)
    response = admin_post(mia, f"/moderation/admin/moderators/{world.noor}/sessions/end")
    assert flashes(response) == [("flash-info", "noor is signed out in every browser.")]


def _everywhere_from_the_command_line(app: Flask, noor: FlaskClient, world: World) -> None:
    result = app.test_cli_runner().invoke(args=["end-sessions", "noor"])
    assert result.exit_code == 0, result.output
    assert "Signed 'noor' out in every browser." in result.output


@pytest.mark.parametrize(
    "end",
    [
        _sign_out,
        _reset_password,
        _disable_and_enable_again,
        _everywhere_from_the_admin_page,
        _everywhere_from_the_command_line,
    ],
)
def test_a_copied_session_cookie_opens_nothing_once_the_session_is_ended(
    app: Flask, world: World, end: Callable[[Flask, FlaskClient, World], None]
) -> None:
    noor = app.test_client()
    assert sign_in(noor, "noor", NOOR_PASSWORD).status_code == 302
    copy = _copy_of_cookie(app, noor)
    assert copy.get("/moderation/").status_code == 200
    token = csrf_token(copy)

    end(app, noor, world)

    assert redirects_to_login(copy.get("/moderation/"))
    assert redirects_to_login(copy.get("/moderation/events"))
    assert redirects_to_login(_approve(copy, token, world.comment))
    assert status_of(app, world.comment) == "pending"
    assert redirects_to_login(noor.get("/moderation/"))


def test_signing_out_ends_the_session_in_every_browser_and_a_new_sign_in_works(app, world):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "noor", NOOR_PASSWORD)
    sign_in(phone, "noor", NOOR_PASSWORD)
    response = laptop.post(
        "/moderation/logout", data={"csrf_token": csrf_token(laptop)}, follow_redirects=True
    )
    assert flashes(response) == [("flash-info", "You are signed out, in every browser.")]
    assert redirects_to_login(phone.get("/moderation/"))
    assert sign_in(phone, "noor", NOOR_PASSWORD).status_code == 302
    assert phone.get("/moderation/").status_code == 200


def test_ending_another_moderators_sessions_leaves_your_own(app, world):
    mia, noor = app.test_client(), app.test_client()
    sign_in(mia)
    sign_in(noor, "noor", NOOR_PASSWORD)
    admin_post(mia, f"/moderation/admin/moderators/{world.noor}/sessions/end")
    assert mia.get("/moderation/").status_code == 200
    assert redirects_to_login(noor.get("/moderation/"))


def test_the_command_line_names_a_moderator_it_does_not_know(app, world):
    result = app.test_cli_runner().invoke(args=["end-sessions", "nobody"])
    assert result.exit_code != 0
    assert "There is no active moderator called 'nobody'." in result.output


def test_an_idle_session_ends_while_a_used_one_goes_on(make_app):
    app = make_app(SESSION_IDLE_SECONDS=1)
    _moderators(app)
    client = app.test_client()
    sign_in(client)
    for _ in range(3):  # 1.5 s in all, never 1 s without a request
        time.sleep(0.5)
        assert client.get("/moderation/").status_code == 200
    time.sleep(1.2)
    response = client.get("/moderation/")
    assert redirects_to_login(response)
    page = client.get(response.location)
    assert ("flash-info", "Your session has ended; please sign in again.") in flashes(page)


def test_a_session_ends_after_its_lifetime_however_busy(make_app):
    app = make_app(SESSION_MAX_SECONDS=1)
    _moderators(app)
    client = app.test_client()
    sign_in(client)
    time.sleep(0.6)
    assert client.get("/moderation/").status_code == 200
    time.sleep(0.6)
    assert redirects_to_login(client.get("/moderation/"))
    assert sign_in(client).status_code == 302
    assert client.get("/moderation/").status_code == 200


def test_the_default_timeouts_are_two_hours_idle_and_twelve_hours_in_all(app, client, world):
    sign_in(client)
    now = time.time()
    with client.session_transaction() as session:
        session["seen_at"] = now - 2 * 3600 + 60
    assert client.get("/moderation/").status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] = now - 12 * 3600 + 60
        session["seen_at"] = now - 2 * 3600 - 60
    assert redirects_to_login(client.get("/moderation/"))
    sign_in(client)
    with client.session_transaction() as session:
        session["signed_in_at"] = now - 12 * 3600 - 60
    assert redirects_to_login(client.get("/moderation/"))


def _moderators(app: Flask) -> None:
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD, admin=True)


def _set_cookies(response: Any) -> dict[str, str]:
    # Flask-Login also clears a remember-me cookie that is never used.
    headers = response.headers.getlist("Set-Cookie")
    return {h.partition("=")[0]: h for h in headers if not h.startswith("remember_token=;")}


def test_over_https_the_cookie_is_host_prefixed_secure_and_for_the_whole_host(make_app):
    # A deployment mounted under a path still gets Path=/: browsers drop a __Host- cookie
    # with any other path, and nobody could sign in.
    app = make_app(SESSION_COOKIE_PATH="/moderation")
    _moderators(app)
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    response = sign_in(client, **https)
    assert response.status_code == 302
    cookies = _set_cookies(response)
    assert list(cookies) == ["__Host-session"]
    cookie = cookies["__Host-session"]
    assert "; Secure" in cookie and "; Path=/;" in cookie and "Domain" not in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/moderation/", **https).status_code == 200


def test_over_https_a_cookie_without_the_prefix_is_ignored(client, world):
    # A plain `session` cookie can be planted by an HTTP page or a sibling subdomain.
    sign_in(client)
    assert client.get("/moderation/").status_code == 200
    assert redirects_to_login(client.get("/moderation/", base_url="https://localhost"))


def test_session_cookie_secure_setting_uses_the_prefixed_name_everywhere(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    _moderators(app)
    cookies = _set_cookies(sign_in(app.test_client()))
    assert list(cookies) == ["__Host-session"]
    assert "; Secure" in cookies["__Host-session"]
