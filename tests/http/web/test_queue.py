"""The queue's web view switch through the Flask test client, on SQLite and PostgreSQL: a plain
form post with CSRF that keeps the compact or full view for the moderator who chose it."""

from __future__ import annotations

import pytest

from service.extensions import db
from service.models import Moderator, QueueView
from service.moderation import accounts
from tests.http.web.test_web import (
    NOOR_PASSWORD,
    PASSWORD,
    csrf_token,
    flashes,
    new_comment,
    sign_in,
)

COMPACT_LIST = '<ol class="comments compact">'
FULL_LIST = '<ol class="comments">'


def views(app) -> dict[str, QueueView]:
    with app.app_context():
        return dict(db.session.execute(db.select(Moderator.username, Moderator.queue_view)).all())


@pytest.fixture
def moderators(app):
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD, admin=True)
        accounts.create_moderator("noor", NOOR_PASSWORD)


def test_the_compact_switch_is_kept_for_the_moderator_and_goes_back_to_the_page(
    app, client, moderators
):
    new_comment(client)
    sign_in(client)
    assert FULL_LIST in client.get("/moderation/").get_data(as_text=True)

    response = client.post(
        "/moderation/view",
        data={
            "csrf_token": csrf_token(client),
            "view": "compact",
            "next": "/moderation/?status=all",
        },
    )

    assert response.status_code == 302
    assert response.location == "/moderation/?status=all"
    page = client.get(response.location).get_data(as_text=True)
    assert COMPACT_LIST in page
    assert 'name="view" value="full"' in page
    assert views(app) == {"mia": QueueView.COMPACT, "noor": QueueView.FULL}


def test_another_moderator_keeps_the_full_view(app, moderators):
    mia, noor = app.test_client(), app.test_client()
    new_comment(mia)
    sign_in(mia)
    mia.post("/moderation/view", data={"csrf_token": csrf_token(mia), "view": "compact"})
    sign_in(noor, "noor", NOOR_PASSWORD)

    page = noor.get("/moderation/").get_data(as_text=True)

    assert FULL_LIST in page
    assert 'name="view" value="compact"' in page


@pytest.mark.parametrize("view", ["", "tiny", "COMPACT", "compact\u200b"])
def test_a_view_that_is_not_one_is_refused_with_a_message(app, client, moderators, view):
    sign_in(client)
    response = client.post(
        "/moderation/view",
        data={"csrf_token": csrf_token(client), "view": view},
        follow_redirects=True,
    )
    assert flashes(response) == [("flash-error", "Choose the full or the compact view.")]
    assert views(app) == {"mia": QueueView.FULL, "noor": QueueView.FULL}
