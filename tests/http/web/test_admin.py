"""The admin pages (service/http/web/admin.py): moderators created, disabled and reset, API
tokens shown once and revoked."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import ApiToken
from tests.http.web.helpers import (
    NOOR_PASSWORD,
    admin_post,
    flashes,
    redirects_to_login,
    sign_in,
    snapshot,
)


def test_admin_creates_a_moderator_who_can_then_sign_in(app, client, world):
    sign_in(client)
    response = admin_post(
        client,
        "/moderation/admin/moderators",
        username="lee",
        password="lee's long password",
        role="moderator",
    )
    assert flashes(response) == [("flash-info", "Created moderator lee.")]
    assert "<td>lee</td>" in response.get_data(as_text=True)
    lee = app.test_client()
    assert sign_in(lee, "lee", "lee's long password").status_code == 302
    assert lee.get("/moderation/admin/moderators").status_code == 403


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("noor", "long enough password", "A moderator called 'noor' already exists."),
        ("lee", "short", "Choose a password of at least 10 characters."),
        ("", "long enough password", "A username has 1 to 80 printable characters."),
    ],
)
def test_admin_gets_a_clear_message_when_a_moderator_cannot_be_created(
    app, client, world, username, password, message
):
    sign_in(client)
    before = snapshot(app)
    response = admin_post(
        client, "/moderation/admin/moderators", username=username, password=password
    )
    assert flashes(response) == [("flash-error", message)]
    assert snapshot(app) == before


def test_admin_disables_and_enables_a_moderator(app, client, world):
    sign_in(client)
    noor = app.test_client()
    sign_in(noor, "noor", NOOR_PASSWORD)
    path = f"/moderation/admin/moderators/{world.noor}/active"

    response = admin_post(client, path, active="0")
    assert flashes(response) == [("flash-info", "noor is disabled.")]
    assert redirects_to_login(noor.get("/moderation/"))
    assert sign_in(noor, "noor", NOOR_PASSWORD).status_code == 401

    response = admin_post(client, path, active="1")
    assert flashes(response) == [("flash-info", "noor is enabled.")]
    assert sign_in(noor, "noor", NOOR_PASSWORD).status_code == 302


def test_admin_cannot_disable_their_own_account(app, client, world):
    sign_in(client)
    response = admin_post(client, f"/moderation/admin/moderators/{world.mia}/active", active="0")
    assert flashes(response) == [("flash-error", "You cannot disable your own account.")]
    assert client.get("/moderation/").status_code == 200


def test_admin_resets_a_password_which_ends_that_moderators_session(app, client, world):
    sign_in(client)
    noor = app.test_client()
    sign_in(noor, "noor", NOOR_PASSWORD)
    path = f"/moderation/admin/moderators/{world.noor}/password"

    response = admin_post(client, path, password="short")
    assert flashes(response) == [("flash-error", "Choose a password of at least 10 characters.")]
    assert noor.get("/moderation/").status_code == 200

    response = admin_post(client, path, password="noor's new password")
    assert flashes(response) == [
        ("flash-info", "New password set for noor; their sessions have ended.")
    ]
    assert redirects_to_login(noor.get("/moderation/"))
    assert sign_in(noor, "noor", "noor's new password").status_code == 302


def test_admin_creates_a_token_shown_once_that_works_until_revoked(app, client, world):
    sign_in(client)
    response = admin_post(client, "/moderation/admin/tokens", username="noor", label="triage")
    page = response.get_data(as_text=True)
    token = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    assert token.startswith("cdk_")
    assert "Copy this token now; it will not be shown again." in page
    assert token not in client.get("/moderation/admin/tokens").get_data(as_text=True)

    headers = {"Authorization": f"Bearer {token}"}
    queue = client.get("/api/v1/moderation/comments", headers=headers)
    assert queue.status_code == 200
    assert world.comment in [c["id"] for c in queue.get_json()["comments"]]

    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.label == "triage"))
    response = admin_post(client, f"/moderation/admin/tokens/{token_id}/revoke")
    assert flashes(response) == [("flash-info", "Token revoked.")]
    assert client.get("/api/v1/moderation/comments", headers=headers).status_code == 401


def test_admin_token_for_an_unknown_moderator_is_refused(app, client, world):
    sign_in(client)
    before = snapshot(app)
    response = admin_post(client, "/moderation/admin/tokens", username="ghost", label="x")
    assert flashes(response) == [("flash-error", "There is no moderator called 'ghost'.")]
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/moderation/admin/moderators/99999999999/active",
        "/moderation/admin/moderators/99999999999/password",
        "/moderation/admin/tokens/99999999999/revoke",
    ],
)
def test_admin_actions_on_ids_beyond_any_row_change_nothing(app, client, world, path):
    sign_in(client)
    before = snapshot(app)
    response = admin_post(client, path, active="0", password="a long enough password")
    # Beyond any id the database can hold: no such page.
    assert response.status_code == 404
    assert snapshot(app) == before
