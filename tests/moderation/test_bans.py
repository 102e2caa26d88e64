"""Bans and suspensions: by commenter hash, email domain and client IP; timed suspensions;
the spam-ban; lifting; listing and searching; and no address anywhere in what they show."""

from __future__ import annotations

import itertools
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import func, select, update

from service.extensions import db
from service.models import Article, Ban, BanKind, Comment, ModerationEvent
from service.moderation import accounts, bans, decisions
from service.privacy import personal_data, vault
from service.screening import ban_checks
from tests.conftest import VALID, run_cli

API = "/api/v1/moderation"
BANNED = {"code": "commenter_banned", "message": "Comments from this address are not accepted."}
_serial = itertools.count(1)


def post(client: FlaskClient, ip: str = "198.51.100.7", article: str = "posts/a", **fields: Any):
    fields.setdefault("body", f"Comment number {next(_serial)}")
    return client.post(
        f"/api/v1/articles/{article}/comments",
        json=VALID | fields,
        environ_base={"REMOTE_ADDR": ip},
    )


def posted(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    response = post(client, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def ban(client: FlaskClient, headers: dict[str, str], expect: int = 201, **fields: Any) -> Any:
    response = client.post(f"{API}/bans", json={"reason": "abuse"} | fields, headers=headers)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def comment_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Comment))


@pytest.mark.parametrize(
    ("target", "banned", "unrelated"),
    [
        (  # the author of a comment, by its id
            {"kind": "email", "comment_id": "first"},
            {"email": "Troll@Example.org", "ip": "203.0.113.1"},
            {"email": "friend@example.org", "ip": "198.51.100.7"},
        ),
        (  # an address a moderator typed
            {"kind": "email", "email": "troll@example.org"},
            {"email": "TROLL@example.org", "ip": "203.0.113.1"},
            {"email": "friend@example.org", "ip": "198.51.100.7"},
        ),
        (  # a whole domain, subdomains included
            {"kind": "domain", "value": "Spam.Example"},
            {"email": "anyone@mail.spam.example", "ip": "203.0.113.1"},
            {"email": "someone@notspam.example", "ip": "198.51.100.7"},
        ),
        (  # a client, by its IP hash
            {"kind": "ip", "comment_id": "first"},
            {"email": "new-identity@example.net", "ip": "198.51.100.7"},
            {"email": "troll@example.org", "ip": "203.0.113.99"},
        ),
    ],
)
def test_a_banned_submission_is_refused_and_nothing_is_stored(
    app, client, moderator_headers, target, banned, unrelated
):
    first = posted(client, email="troll@example.org", ip="198.51.100.7")
    if target.get("comment_id") == "first":
        target = target | {"comment_id": first["id"]}
    ban(client, moderator_headers, **target)
    before = comment_count(app)

    refused = post(client, **banned)

    assert refused.status_code == 403
    assert refused.get_json() == {"error": BANNED}
    assert comment_count(app) == before
    allowed = post(client, **unrelated)
    assert allowed.status_code == 201, allowed.get_json()


def test_every_kind_of_ban_gives_the_same_answer(app, client, moderator_headers):
    ban(client, moderator_headers, kind="email", email="a@one.example")
    ban(client, moderator_headers, kind="domain", value="two.example")
    ban(client, moderator_headers, kind="ip", value=_ip_hash(app, "203.0.113.3"))
    answers = [
        post(client, email="a@one.example").get_data(),
        post(client, email="b@two.example").get_data(),
        post(client, email="c@three.example", ip="203.0.113.3").get_data(),
    ]
    assert len(set(answers)) == 1
    assert json.loads(answers[0]) == {"error": BANNED}


def _ip_hash(app: Flask, ip: str) -> str:
    with app.app_context():
        hashed = vault.vault().ip_hash(ip)
    assert hashed
    return hashed


def test_a_suspension_says_when_and_ends_by_itself(app, client, moderator_headers, monkeypatch):
    until = datetime.now(UTC) + timedelta(days=2)
    result = ban(client, moderator_headers, kind="email", email="hot@example.org", days=2)
    assert result["ban"]["state"] == "suspended"
    assert result["batch"] is None

    refused = post(client, email="hot@example.org")

    assert refused.status_code == 403
    error = refused.get_json()["error"]
    assert error["code"] == "commenter_suspended"
    assert f"You may comment again after {until:%d %B %Y}" in error["message"]
    # Two days later, nothing written in between: the worker's copy of the bans knows when
    # each one ends.
    later = until + timedelta(minutes=1)
    monkeypatch.setattr(ban_checks, "utcnow", lambda: later)
    assert post(client, email="hot@example.org").status_code == 201
    # The list tells expired from in force by the database's clock: moved back there.
    with app.app_context():
        db.session.execute(update(Ban).values(until=datetime.now(UTC) - timedelta(seconds=1)))
        db.session.commit()
    listed = client.get(f"{API}/bans?state=all", headers=moderator_headers).get_json()
    assert [b["state"] for b in listed["bans"]] == ["expired"]
    assert client.get(f"{API}/bans", headers=moderator_headers).get_json()["bans"] == []


def test_a_permanent_ban_outweighs_a_suspension(client, moderator_headers):
    ban(client, moderator_headers, kind="email", email="x@example.org", days=1)
    ban(client, moderator_headers, kind="domain", value="example.org")
    assert post(client, email="x@example.org").get_json() == {"error": BANNED}


def test_spam_ban_moves_every_comment_of_the_commenter_and_audits_each(
    app, client, moderator_headers
):
    mine = [posted(client, email="spammer@example.org", article=f"posts/{n}")["id"] for n in "ab"]
    approved = posted(client, email="spammer@example.org", article="posts/c")["id"]
    client.post(f"{API}/comments/{approved}/approve", headers=moderator_headers)
    other = posted(client, email="reader@example.org")["id"]
    feed_before = client.get("/api/v1/articles/posts/c/comments")
    assert [c["id"] for c in feed_before.get_json()["comments"]] == [approved]

    result = ban(client, moderator_headers, kind="email", comment_id=mine[0], spam=True)

    assert result["ban"]["state"] == "banned"
    assert sorted(r["id"] for r in result["results"]) == sorted([*mine, approved])
    assert {r["status"] for r in result["results"]} == {"spam"}
    with app.app_context():
        statuses = dict(db.session.execute(select(Comment.id, Comment.status)).all())
        events = db.session.scalars(
            select(ModerationEvent).where(ModerationEvent.batch == result["batch"])
        ).all()
        article = db.session.scalars(select(Article).where(Article.key == "posts/c")).one()
        assert article.approved_count == 0
    assert {statuses[i] for i in [*mine, approved]} == {"spam"}
    assert statuses[other] == "pending"
    assert sorted(e.comment_id for e in events if e.action == "spam") == sorted([*mine, approved])
    assert [e.action for e in events if e.comment_id is None] == ["spam_ban"]
    feed = client.get(
        "/api/v1/articles/posts/c/comments", headers={"If-None-Match": feed_before.headers["ETag"]}
    )
    assert feed.status_code == 200 and feed.get_json()["comments"] == []
    assert post(client, email="spammer@example.org").status_code == 403


def test_undoing_a_spam_ban_puts_the_comments_back_and_lifts_the_ban(
    app, client, moderator_headers
):
    first = posted(client, email="oops@example.org")["id"]
    result = ban(client, moderator_headers, kind="email", comment_id=first, spam=True)
    assert post(client, email="oops@example.org").status_code == 403

    undo = client.post(f"{API}/undo", json={"batch": result["batch"]}, headers=moderator_headers)

    assert undo.status_code == 200
    assert [r["status"] for r in undo.get_json()["results"]] == ["pending"]
    listed = client.get(f"{API}/bans?state=all", headers=moderator_headers).get_json()["bans"]
    assert [b["state"] for b in listed] == ["lifted"]
    assert post(client, email="oops@example.org").status_code == 201
    events = client.get(f"{API}/events", headers=moderator_headers).get_json()["events"]
    assert ("lift_ban", "undo of the spam-ban") in [(e["action"], e["note"]) for e in events]


def test_lifting_a_ban_lets_the_commenter_back_and_is_audited(app, client, moderator_headers):
    created = ban(client, moderator_headers, kind="email", email="sorry@example.org")["ban"]
    assert post(client, email="sorry@example.org").status_code == 403

    lifted = client.post(
        f"{API}/bans/{created['id']}/lift", json={"note": "appealed"}, headers=moderator_headers
    )

    assert lifted.status_code == 200
    assert lifted.get_json()["state"] == "lifted"
    assert lifted.get_json()["lifted_by"] == "mia"
    assert post(client, email="sorry@example.org").status_code == 201
    again = client.post(f"{API}/bans/{created['id']}/lift", headers=moderator_headers)
    assert again.status_code == 409
    events = client.get(f"{API}/events", headers=moderator_headers).get_json()["events"]
    ban_events = [(e["action"], e["note"]) for e in events if e["ban_id"] == created["id"]]
    assert ban_events == [("lift_ban", "appealed"), ("ban", "abuse")]


def test_bans_are_listed_and_searchable_without_any_address(app, client, moderator_headers):
    ban(
        client, moderator_headers, kind="email", email="secret.person@example.org", reason="doxxing"
    )
    ban(client, moderator_headers, kind="domain", value="junk.example", reason="spam farm")
    email_hash = _email_hash(app, "secret.person@example.org")

    listed = client.get(f"{API}/bans", headers=moderator_headers)
    by_reason = client.get(f"{API}/bans?q=FARM", headers=moderator_headers).get_json()
    by_hash = client.get(f"{API}/bans?q={email_hash[:8]}", headers=moderator_headers).get_json()
    by_domain = client.get(f"{API}/bans?q=@junk", headers=moderator_headers).get_json()
    events = client.get(f"{API}/events", headers=moderator_headers)

    assert [b["label"] for b in listed.get_json()["bans"]] == [
        "@junk.example",
        f"commenter {email_hash[:10]}…",
    ]
    assert [b["reason"] for b in by_reason["bans"]] == ["spam farm"]
    assert [b["value"] for b in by_hash["bans"]] == [email_hash]
    assert [b["value"] for b in by_domain["bans"]] == ["junk.example"]
    for response in (listed, events):
        assert b"secret.person" not in response.get_data()


def _email_hash(app: Flask, address: str) -> str:
    with app.app_context():
        return vault.vault().email_hash(address)


def test_no_address_in_the_log_lines_of_a_ban(app, client, moderator_headers, caplog):
    caplog.set_level(logging.DEBUG)
    ban(client, moderator_headers, kind="email", email="quiet@example.org", spam=False)
    post(client, email="quiet@example.org")
    assert "quiet@example.org" not in caplog.text


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"kind": "email"}, 422, "value"),
        ({"kind": "email", "value": "abc"}, 422, "value"),
        ({"kind": "email", "email": "x@example.org", "comment_id": 1}, 422, "value"),
        ({"kind": "domain", "value": "not a domain"}, 422, "value"),
        ({"kind": "domain", "value": "com"}, 422, "value"),
        ({"kind": "nobody", "value": "x"}, 422, "kind"),
        ({"kind": "email", "email": "x@example.org", "reason": ""}, 422, "reason"),
        ({"kind": "email", "email": "x@example.org", "reason": "   "}, 422, "reason"),
        ({"kind": "email", "email": "x@example.org", "reason": "a\x00b"}, 422, "reason"),
        ({"kind": "email", "email": "x@example.org", "days": 0}, 422, "days"),
        (
            {"kind": "email", "email": "x@example.org", "until": "2001-01-01T00:00:00Z"},
            422,
            "until",
        ),
        ({"kind": "email", "email": "x@example.org", "until": "2999-01-01T00:00:00"}, 422, "until"),
        (  # a moment with no UTC form to store
            {"kind": "email", "email": "x@example.org", "until": "9999-12-31T23:59:59-05:00"},
            422,
            "until",
        ),
        ({"kind": "domain", "value": "example.org", "spam": True}, 422, "spam"),
        ({"kind": "email", "comment_id": 999999}, 404, None),
    ],
)
def test_bad_ban_requests_get_a_clear_answer(client, moderator_headers, fields, status, field):
    response = client.post(f"{API}/bans", json={"reason": "r"} | fields, headers=moderator_headers)
    assert response.status_code == status, response.get_json()
    if field:
        assert field in response.get_json()["errors"]


def test_banning_twice_is_a_conflict_and_unknown_bans_are_not_found(client, moderator_headers):
    ban(client, moderator_headers, kind="domain", value="twice.example")
    again = ban(client, moderator_headers, 409, kind="domain", value="twice.example")
    assert "already banned" in again["error"]["message"]
    assert client.post(f"{API}/bans/424242/lift", headers=moderator_headers).status_code == 404
    nul_note = client.post(f"{API}/bans/1/lift", json={"note": "a\x00b"}, headers=moderator_headers)
    assert nul_note.status_code == 422


@pytest.mark.parametrize("method", ["get", "post"])
def test_bans_need_a_moderator_token(client, method):
    assert getattr(client, method)(f"{API}/bans").status_code == 401


def test_the_command_line_bans_lists_and_lifts_without_printing_the_address(
    app, client, moderator_headers
):
    mine = [posted(client, email="cli.spam@example.org")["id"] for _ in range(2)]

    added = run_cli(
        app,
        "bans",
        "add",
        "--comment",
        str(mine[0]),
        "--reason",
        "spam run",
        "--spam",
        "--days",
        "3",
        "--moderator",
        "mia",
    )
    listed = run_cli(app, "bans", "list", "--search", "spam run")

    assert added.exit_code == 0, added.output
    assert "suspended until" in added.output
    assert "2 comment(s) moved to spam" in added.output
    assert "cli.spam@" not in added.output + listed.output
    assert "spam run" in listed.output
    assert post(client, email="cli.spam@example.org").status_code == 403
    lifted = run_cli(app, "bans", "lift", listed.output.split()[0], "--moderator", "mia")
    assert lifted.exit_code == 0, lifted.output
    assert post(client, email="cli.spam@example.org").status_code == 201
    nobody = run_cli(
        app, "bans", "add", "--domain", "x.example", "--reason", "r", "--moderator", "ghost"
    )
    assert nobody.exit_code != 0 and "no active moderator" in nobody.output
    both = run_cli(
        app,
        "bans",
        "add",
        "--domain",
        "x.example",
        "--email",
        "a@b.example",
        "--reason",
        "r",
        "--moderator",
        "mia",
    )
    assert both.exit_code != 0 and "exactly one" in both.output


def test_the_openapi_document_describes_bans_commenters_articles_edits_and_pins(client):
    spec = client.get("/openapi.json").get_json()
    validate(spec)
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/moderation/bans"])
    assert "post" in paths["/api/v1/moderation/bans/{ban_id}/lift"]
    assert "get" in paths["/api/v1/moderation/commenters/{email_hash}"]
    assert "post" in paths["/api/v1/moderation/commenters/{email_hash}/notes"]
    assert {"get", "patch"} <= set(paths["/api/v1/moderation/articles/{article}"])
    assert "patch" in paths["/api/v1/moderation/comments/{comment_id}"]
    public = spec["components"]["schemas"]["PublicComment"]["properties"]
    assert {"moderator_edited", "pinned"} <= set(public)
    submission = spec["components"]["schemas"]["Submission"]["properties"]
    assert {"article_title", "article_url"} <= set(submission)


def test_the_bans_list_pages_newest_first_with_every_ban_once(app: Flask) -> None:
    with app.app_context():
        mia = accounts.create_moderator("mia", "correct horse battery staple")
        made = [
            bans.ban(bans.Target(BanKind.DOMAIN, value=f"spam{n}.example"), "a wave", mia)
            for n in range(7)
        ]
        bans.lift(made[2].ban["id"], mia)
        seen: list[int] = []
        cursor = None
        pages = 0
        while True:
            page = bans.bans_page(mia, state="all", cursor=cursor, limit=3)
            pages += 1
            seen += [ban["id"] for ban in page["bans"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        active = bans.bans_page(mia, state="active", limit=3)
        rest = bans.bans_page(mia, state="active", cursor=active["next_cursor"], limit=3)
    assert seen == sorted((result.ban["id"] for result in made), reverse=True)
    assert pages == 3
    # A filter and the cursor together: the lifted ban is skipped, six in two full pages.
    assert len(active["bans"]) == len(rest["bans"]) == 3
    assert rest["next_cursor"] is None


# Each worker keeps the bans in memory and checks their version in the database once its
# copy is older than FEED_STATE_SECONDS (0 here: at every submission). `here` and `there`
# are two workers on one database: what a moderator does on one must hold on the other.


def _two_workers(make_app: Any) -> tuple[FlaskClient, Flask, str]:
    here = make_app(FEED_STATE_SECONDS=0)
    there = make_app(FEED_STATE_SECONDS=0)
    with there.app_context():
        moderator = accounts.create_moderator("noor", "correct horse battery staple").username
    client = here.test_client()
    # This worker has loaded its copy (no bans yet) before anything happens there.
    assert post(client, email="late@example.org").status_code == 201
    return client, there, moderator


def test_a_ban_and_its_lift_on_another_worker_hold_here(make_app):
    client, there, moderator = _two_workers(make_app)
    with there.app_context():
        target = bans.Target(BanKind.EMAIL, email="late@example.org")
        placed = bans.ban(target, "Spam on every story.", accounts.active_moderator(moderator))

    assert post(client, email="late@example.org").get_json()["error"] == BANNED

    with there.app_context():
        bans.lift(placed.ban["id"], accounts.active_moderator(moderator))
    assert post(client, email="late@example.org").status_code == 201


def test_undoing_a_spam_ban_on_another_worker_lets_the_commenter_back_here(make_app):
    client, there, moderator = _two_workers(make_app)
    with there.app_context():
        target = bans.Target(BanKind.EMAIL, email="late@example.org")
        noor = accounts.active_moderator(moderator)
        batch = bans.ban(target, "Spam on every story.", noor, spam=True).batch
    assert post(client, email="late@example.org").status_code == 403

    with there.app_context():
        assert batch
        decisions.undo(batch, accounts.active_moderator(moderator).id)
    assert post(client, email="late@example.org").status_code == 201


def test_erasing_a_banned_commenter_on_another_worker_ends_the_ban_here(make_app):
    client, there, moderator = _two_workers(make_app)
    with there.app_context():
        noor = accounts.active_moderator(moderator)
        bans.ban(bans.Target(BanKind.EMAIL, email="late@example.org"), "Spam.", noor)
    assert post(client, email="late@example.org").status_code == 403

    with there.app_context():
        personal_data.erase_person("late@example.org", personal_data.ErasureMode.ANONYMISE, None)
    # The ban went with the person's hash: a new start, like any new commenter.
    assert post(client, email="late@example.org").status_code == 201


def test_a_worker_trusts_its_copy_of_the_bans_only_for_a_moment(make_app):
    here = make_app(FEED_STATE_SECONDS=0.3)
    there = make_app()
    with there.app_context():
        moderator = accounts.create_moderator("noor", "correct horse battery staple").username
    client = here.test_client()
    assert post(client, email="late@example.org").status_code == 201
    with there.app_context():
        noor = accounts.active_moderator(moderator)
        bans.ban(bans.Target(BanKind.EMAIL, email="late@example.org"), "Spam.", noor)

    time.sleep(0.4)
    assert post(client, email="late@example.org").status_code == 403
