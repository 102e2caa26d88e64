"""Rules over every moderation page and action, on SQLite and PostgreSQL: sign-in required,
disabled moderators shut out, admin pages for admins only, CSRF on every form, and input no
page of ours sends refused before the database sees it."""

from __future__ import annotations

from typing import Any

import pytest

from service.moderation import accounts
from tests.conftest import VALID
from tests.http.web.helpers import (
    NOOR_PASSWORD,
    World,
    csrf_token,
    flashes,
    redirects_to_login,
    sign_in,
    snapshot,
)


def action_data(world: World) -> dict[str, Any]:
    """Form fields that would make each action succeed for a signed-in admin."""
    return {
        f"seen-{world.comment}": "pending",
        "ids": str(world.comment),
        "action": "approve",
        "fingerprint": world.fingerprint,
        "batch": world.batch,
        "username": "mallory",
        "password": "a long enough password",
        "active": "0",
        "label": "stolen",
        "article": "posts/hello",
        "locked": "1",
        "moderation": "off",
        "do": "save",
        "hold_word": "moderation",
        "deny_domain": "blog.example.com",
        "kind": "email",
        "reason": "testing",
        "spam": "1",
        "target": "troll@example.org",
        "body": "a note",
        "email": VALID["email"],
        "mode": "delete",
        "view": "compact",
    }


PAGES = [
    "/moderation/",
    "/moderation/?status=all",
    "/moderation/events",
    "/moderation/admin/moderators",
    "/moderation/admin/tokens",
    "/moderation/admin/rules",
    "/moderation/bans",
    "/moderation/commenters/{commenter}",
    "/moderation/admin/privacy",
    "/moderation/sites/",
    "/moderation/sites/default",
]


ACTIONS = [
    "/moderation/logout",
    "/moderation/comments/{comment}/approve",
    "/moderation/comments/{comment}/reject",
    "/moderation/comments/{comment}/spam",
    "/moderation/comments/{comment}/delete",
    "/moderation/comments/{comment}/restore",
    "/moderation/bulk",
    "/moderation/waves",
    "/moderation/undo",
    "/moderation/view",
    "/moderation/articles/lock",
    "/moderation/articles/settings",
    "/moderation/comments/{comment}/ban",
    "/moderation/comments/{comment}/edit",
    "/moderation/comments/{comment}/pin",
    "/moderation/commenters/{commenter}/notes",
    "/moderation/bans",
    "/moderation/bans/1/lift",
    "/moderation/admin/moderators",
    "/moderation/admin/moderators/{noor}/active",
    "/moderation/admin/moderators/{noor}/password",
    "/moderation/admin/moderators/{noor}/sessions/end",
    "/moderation/admin/tokens",
    "/moderation/admin/tokens/{token}/revoke",
    "/moderation/admin/rules",
    "/moderation/admin/privacy/export",
    "/moderation/admin/privacy/erase",
    "/moderation/sites/",
    "/moderation/sites/default",
    "/moderation/sites/default/remove",
    "/moderation/sites/moderators/{noor}/grant",
    "/moderation/sites/moderators/{noor}/default/revoke",
]
ADMIN_PAGES = [path for path in PAGES if "/admin/" in path]
ADMIN_ACTIONS = [path for path in ACTIONS if "/admin/" in path]


def _path(template: str, world: World) -> str:
    return template.format(
        comment=world.comment, noor=world.noor, token=world.token, commenter=world.commenter
    )


def test_route_lists_cover_every_moderation_endpoint(app):
    adapter = app.url_map.bind("localhost")
    ids = {"comment": 1, "noor": 1, "token": 1, "commenter": "a" * 64}
    covered = {adapter.match(p.split("?")[0].format(**ids), "GET")[0] for p in PAGES} | {
        adapter.match(p.format(**ids), "POST")[0] for p in ACTIONS
    }
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/moderation") and rule.endpoint != "auth.login"
    }
    assert covered == endpoints


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_pages_redirect_to_login(client, world, path):
    response = client.get(_path(path, world))
    assert redirects_to_login(response)


@pytest.mark.parametrize("path", ACTIONS)
def test_signed_out_actions_redirect_to_login_and_change_nothing(app, client, world, path):
    before = snapshot(app)
    data = action_data(world) | {"csrf_token": csrf_token(client)}
    response = client.post(_path(path, world), data=data)
    assert redirects_to_login(response)
    assert snapshot(app) == before


@pytest.mark.parametrize("path", PAGES)
def test_disabled_moderators_session_no_longer_opens_pages(app, client, world, path):
    assert sign_in(client).status_code == 302
    assert client.get(_path(path, world)).status_code == 200
    with app.app_context():
        accounts.set_active(world.mia, False)
    assert redirects_to_login(client.get(_path(path, world)))


@pytest.mark.parametrize("path", ACTIONS)
def test_disabled_moderators_session_can_take_no_action(app, client, world, path):
    assert sign_in(client).status_code == 302
    token = csrf_token(client)
    with app.app_context():
        accounts.set_active(world.mia, False)
    before = snapshot(app)
    response = client.post(_path(path, world), data=action_data(world) | {"csrf_token": token})
    assert redirects_to_login(response)
    assert snapshot(app) == before


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_forbidden_to_moderators(client, world, path):
    assert sign_in(client, "noor", NOOR_PASSWORD).status_code == 302
    response = client.get(path)
    assert response.status_code == 403
    assert "Your account cannot do that." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ADMIN_ACTIONS)
def test_admin_actions_are_forbidden_to_moderators(app, client, world, path):
    assert sign_in(client, "noor", NOOR_PASSWORD).status_code == 302
    before = snapshot(app)
    data = action_data(world) | {"csrf_token": csrf_token(client), "username": "noor"}
    response = client.post(_path(path, world), data=data)
    assert response.status_code == 403
    assert snapshot(app) == before


def test_moderators_do_not_see_links_to_admin_pages(client, world):
    sign_in(client, "noor", NOOR_PASSWORD)
    page = client.get("/moderation/").get_data(as_text=True)
    assert "/moderation/admin/" not in page


@pytest.mark.parametrize("path", ACTIONS)
def test_post_without_csrf_token_is_refused_and_changes_nothing(app, client, world, path):
    assert sign_in(client).status_code == 302
    before = snapshot(app)
    response = client.post(_path(path, world), data=action_data(world))
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_post_with_a_forged_csrf_token_is_refused(app, client, world):
    sign_in(client)
    before = snapshot(app)
    data = action_data(world) | {"csrf_token": "IjEyMyI.forged.token"}
    response = client.post(f"/moderation/comments/{world.comment}/approve", data=data)
    assert response.status_code == 400
    assert snapshot(app) == before


def test_bad_page_links_start_again_from_the_first_page(client, world):
    sign_in(client)
    for path in ("/moderation/?cursor=garbage", "/moderation/events?cursor=garbage"):
        response = client.get(path)
        assert response.status_code == 200
        assert ("flash-error", "This page link is invalid; start again from the first page.") in (
            flashes(response)
        )


def test_unknown_moderation_page_is_a_readable_404(client, world):
    sign_in(client)
    response = client.get("/moderation/nowhere")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)


def test_public_submission_is_unaffected_by_moderation_csrf(client):
    # The public API is for other sites' forms and scripts: no session, no CSRF token.
    response = client.post(
        "/api/v1/articles/posts/hello/comments",
        data=VALID,
        headers={"Referer": "https://blog.example.com/posts/hello"},
    )
    assert response.status_code == 303


# Input no page of ours sends: refused or ignored with a message, never a 500, nothing changed.


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/moderation/?article=%00", {}),
        ("GET", "/moderation/?q=a%00b", {}),
        ("GET", "/moderation/events?moderator=%00", {}),
        ("POST", "/moderation/bulk", {"action": "approve", "ids": "1", "seen-1": "\x00"}),
        ("POST", "/moderation/waves", {"action": "reject", "fingerprint": "\x00"}),
        ("POST", "/moderation/undo", {"batch": "\x00"}),
        ("POST", "/moderation/articles/lock", {"article": "posts/\x00", "locked": "1"}),
        ("POST", "/moderation/admin/moderators", {"username": "a\x00", "password": "x" * 12}),
        ("POST", "/moderation/admin/tokens", {"username": "mia", "label": "\x00"}),
    ],
)
def test_nul_characters_are_refused_before_the_database_sees_them(
    app, client, world, method, path, data
):
    sign_in(client)
    before = snapshot(app)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data=data | {"csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert snapshot(app) == before
