"""Bans with two sites: a ban holds on its site, an admin's every-site ban everywhere; a
moderator bans, lists and lifts only on their sites (every-site bans they see, read-only),
and another site's bans answer 404. API, web and CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.extensions import db
from service.models import Ban, Comment, CommentStatus, SiteRole
from tests.conftest import run_cli
from tests.http.web.helpers import csrf_token, flashes, sign_in
from tests.two_sites import B_ORIGIN, add_site_b, moderator, posted_on, submit_on

API = "/api/v1/moderation"
TROLL = "troll@example.org"
A_MOD = {"default": SiteRole.MODERATOR}
B_MOD = {"b": SiteRole.MODERATOR}


@pytest.fixture
def two(app: Flask) -> Flask:
    add_site_b(app)
    return app


def ban(client: FlaskClient, headers: dict[str, str], expect: int = 201, **fields: Any) -> Any:
    response = client.post(f"{API}/bans", json={"reason": "abuse"} | fields, headers=headers)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def refused(client: FlaskClient, origin: str | None, email: str = TROLL) -> bool:
    response = submit_on(client, origin, "news/a", email=email, body="Hello again")
    assert response.status_code in (201, 403), response.get_json()
    return response.status_code == 403


def ban_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ban))


def test_a_site_ban_refuses_on_its_site_only_and_an_every_site_ban_everywhere(two, client):
    admin = moderator(two, "ada", admin=True)

    on_b = ban(client, admin, kind="email", email=TROLL, site="b")["ban"]

    assert on_b["site"] == "b" and on_b["every_site"] is False
    assert refused(client, B_ORIGIN)
    assert not refused(client, None)

    everywhere = ban(client, admin, kind="domain", value="spam.example", all_sites=True)["ban"]

    assert everywhere["site"] is None and everywhere["every_site"] is True
    assert refused(client, None, "x@spam.example")
    assert refused(client, B_ORIGIN, "x@spam.example")


def test_a_ban_from_a_comment_holds_on_its_site_and_a_spam_ban_moves_only_that_sites(two, client):
    on_a = posted_on(client, None, "news/a", email=TROLL, body="Buy pills")
    on_b = posted_on(client, B_ORIGIN, "news/a", email=TROLL, body="Buy more pills")
    b_mod = moderator(two, "bea", B_MOD)

    result = ban(client, b_mod, kind="email", comment_id=on_b, spam=True)

    assert result["ban"]["site"] == "b"
    assert [r["id"] for r in result["results"]] == [on_b]
    with two.app_context():
        statuses = dict(db.session.execute(select(Comment.id, Comment.status)).all())
    assert statuses == {on_a: CommentStatus.PENDING, on_b: CommentStatus.SPAM}
    assert refused(client, B_ORIGIN) and not refused(client, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "email", "email": TROLL, "site": "b"}, "There is no site 'b'."),
        ({"kind": "email", "comment_id": "on-b"}, "There is no comment {on_b}."),
        ({"kind": "ip", "comment_id": "on-b", "site": "default"}, "There is no comment {on_b}."),
    ],
    ids=["site-b", "site-b-comment", "site-b-comment-on-own-site"],
)
def test_a_moderator_cannot_ban_on_another_site_or_from_its_comments(two, client, fields, message):
    on_b = posted_on(client, B_ORIGIN, "news/a", email=TROLL)
    a_mod = moderator(two, "mia", A_MOD)
    if fields.get("comment_id") == "on-b":
        fields = fields | {"comment_id": on_b}

    answer = ban(client, a_mod, expect=404, **fields)

    # The same answer as for a site or comment that does not exist.
    assert answer["error"]["message"] == message.format(on_b=on_b)
    assert ban_count(two) == 0
    assert not refused(client, B_ORIGIN)


def test_only_an_admin_bans_on_every_site(two, client):
    a_mod = moderator(two, "mia", {"default": SiteRole.SITE_ADMIN})

    answer = ban(client, a_mod, expect=403, kind="email", email=TROLL, all_sites=True)

    assert answer["error"]["message"] == "Only an admin can ban on every site."
    assert ban_count(two) == 0


def test_a_moderator_lists_and_lifts_only_their_sites_bans_and_sees_every_site_ones(two, client):
    admin = moderator(two, "ada", admin=True)
    a_mod = moderator(two, "mia", A_MOD)
    on_a = ban(client, admin, kind="domain", value="a-spam.example")["ban"]
    on_b = ban(client, admin, kind="domain", value="b-spam.example", site="b")["ban"]
    everywhere = ban(client, admin, kind="domain", value="all.example", all_sites=True)["ban"]

    listed = client.get(f"{API}/bans?state=all", headers=a_mod).get_json()["bans"]
    searched = client.get(f"{API}/bans?q=b-spam", headers=a_mod).get_json()["bans"]
    of_b = client.get(f"{API}/bans?site=b", headers=a_mod)
    lift_b = client.post(f"{API}/bans/{on_b['id']}/lift", headers=a_mod)
    lift_everywhere = client.post(f"{API}/bans/{everywhere['id']}/lift", headers=a_mod)
    lift_a = client.post(f"{API}/bans/{on_a['id']}/lift", headers=a_mod)

    assert [b["id"] for b in listed] == [everywhere["id"], on_a["id"]]
    assert searched == []
    assert of_b.status_code == 404
    assert lift_b.status_code == 404
    assert lift_b.get_json()["error"]["message"] == f"There is no ban {on_b['id']}."
    assert lift_everywhere.status_code == 403
    assert lift_a.status_code == 200
    all_bans = client.get(f"{API}/bans", headers=admin).get_json()["bans"]
    assert {b["id"] for b in all_bans} == {on_b["id"], everywhere["id"]}


def test_the_bans_page_shows_and_lifts_only_the_moderators_sites_bans(two, client):
    admin = moderator(two, "ada", admin=True)
    moderator(two, "mia", A_MOD)
    ban(client, admin, kind="domain", value="a-spam.example")
    on_b = ban(client, admin, kind="domain", value="b-spam.example", site="b")["ban"]
    everywhere = ban(client, admin, kind="domain", value="all.example", all_sites=True)["ban"]
    sign_in(client, "mia")

    page = client.get("/moderation/bans").get_data(as_text=True)
    of_b = client.get("/moderation/bans?site=b")
    lifted = client.post(
        f"/moderation/bans/{on_b['id']}/lift",
        data={"csrf_token": csrf_token(client)},
        follow_redirects=True,
    )

    assert "@a-spam.example" in page and "@all.example" in page
    assert "b-spam.example" not in page
    assert of_b.status_code == 404
    # The every-site ban is shown without a Lift button; the site's own has one.
    assert f'action="/moderation/bans/{everywhere["id"]}/lift"' not in page
    assert ("flash-error", f"There is no ban {on_b['id']}.") in flashes(lifted)
    with two.app_context():
        assert db.session.get(Ban, on_b["id"]).lifted_at is None


def test_the_command_line_bans_on_a_site_and_lists_by_site(two, client):
    moderator(two, "ada", admin=True)
    moderator(two, "bea", B_MOD)

    on_b = run_cli(two, "bans", "add", "--email", TROLL, "--reason", "r", "--moderator", "bea")
    refused_everywhere = run_cli(
        two,
        "bans",
        "add",
        "--domain",
        "x.example",
        "--all-sites",
        "--reason",
        "r",
        "--moderator",
        "bea",
    )
    everywhere = run_cli(
        two,
        "bans",
        "add",
        "--domain",
        "x.example",
        "--all-sites",
        "--reason",
        "r",
        "--moderator",
        "ada",
    )
    listed = run_cli(two, "bans", "list", "--site", "default")

    assert on_b.exit_code == 0 and "on site b." in on_b.output
    assert refused_everywhere.exit_code == 1
    assert "Only an admin can ban on every site." in refused_everywhere.output
    assert everywhere.exit_code == 0 and "on every site." in everywhere.output
    assert "@x.example" in listed.output and "commenter" not in listed.output
    assert refused(client, B_ORIGIN) and not refused(client, None)
