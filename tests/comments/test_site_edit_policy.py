"""Each site's policy judges what is posted on it: its moderation mode for a submission, and
for an edit the comment's own site's, whichever page (or none) the edit comes from."""

from __future__ import annotations

from tests.comments.test_edits import edit
from tests.conftest import submit
from tests.two_sites import add_site, submit_on

OPEN_ORIGIN = "https://open.example.net"


def test_a_submission_follows_its_site_moderation_mode(app, client):
    add_site(app, "open", origins=[OPEN_ORIGIN], moderation="off")

    held = submit(client, body="On the pre-moderated default site.").get_json()
    published = submit_on(client, OPEN_ORIGIN, body="On the open site.").get_json()

    assert held["status"] == "pending"
    assert published["status"] == "approved"


def test_an_edit_is_judged_by_its_comment_site_not_by_the_page_it_comes_from(app, client):
    add_site(app, "open", origins=[OPEN_ORIGIN], moderation="off")
    created = submit_on(client, OPEN_ORIGIN, body="First version.").get_json()
    assert created["status"] == "approved"

    # No Origin: the request alone would be the default (pre-moderated) site's.
    edited = edit(client, created["id"], created["edit_token"], body="Second version.")

    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["status"] == "approved"
    thread = client.get(
        "/api/v1/articles/posts/hello/comments", headers={"Origin": OPEN_ORIGIN}
    ).get_json()
    assert ["Second version." in c["body_html"] for c in thread["comments"]] == [True]
