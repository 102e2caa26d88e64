"""The web queue (service/http/web/queue.py): the page, decisions by click or XHR, undo, bulk
actions, decisions that race a colleague, spam waves, and the compact or full view each
moderator keeps."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.extensions import db
from service.models import ModerationEvent, Moderator, QueueView
from service.moderation import accounts, decisions
from tests.http.web.helpers import (
    NOOR_PASSWORD,
    PASSWORD,
    csrf_token,
    flashes,
    new_comment,
    sign_in,
    snapshot,
    status_of,
)


def event_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ModerationEvent))


def test_queue_page_shows_what_a_moderator_needs_to_decide(app, client, world):
    parent = new_comment(client, body="The parent, approved.", name="Tom Okafor")
    with app.app_context():
        decisions.decide(parent, "approve", world.mia)
    reply = new_comment(
        client,
        body="A reply with **bold** text.",
        name="Jin Park",
        email="jin@example.org",
        website="https://jin.example",
        parent_id=parent,
    )
    sign_in(client)
    page = client.get("/moderation/").get_data(as_text=True)
    row = re.search(rf'id="c{reply}".*?(?=<li class="comment|</ol>)', page, re.S).group(0)
    assert "Jin Park" in row and "jin@example.org" in row
    assert 'href="https://jin.example"' in row
    assert "<strong>bold</strong>" in row
    assert "In reply to <strong>Tom Okafor</strong>" in row
    assert "The site holds every comment until a moderator approves it." in row
    assert "history: 0 approved · 0 rejected · 0 spam" in row
    assert f'name="seen-{reply}" value="pending"' in row


def test_decision_with_a_click_redirects_back_with_an_undo_that_works(app, client, world):
    sign_in(client)
    token = csrf_token(client)
    response = client.post(
        f"/moderation/comments/{world.comment}/approve",
        data={"csrf_token": token, f"seen-{world.comment}": "pending", "note": "fine by me"},
        follow_redirects=True,
    )
    assert flashes(response) == [("flash-undo", "1 comment approved. Undo")]
    assert status_of(app, world.comment) == "approved"
    batch = re.search(r'name="batch" value="(\w+)"', response.get_data(as_text=True)).group(1)

    response = client.post(
        "/moderation/undo", data={"csrf_token": token, "batch": batch}, follow_redirects=True
    )
    assert flashes(response) == [("flash-info", "1 comment put back.")]
    assert status_of(app, world.comment) == "pending"
    response = client.post(
        "/moderation/undo", data={"csrf_token": token, "batch": batch}, follow_redirects=True
    )
    assert flashes(response)[0][0] == "flash-error"
    assert status_of(app, world.comment) == "pending"


def test_decision_asked_for_as_json_answers_json(app, client, world):
    sign_in(client)
    response = client.post(
        f"/moderation/comments/{world.comment}/spam",
        data={"csrf_token": csrf_token(client), f"seen-{world.comment}": "pending"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == "1 comment marked as spam."
    assert body["results"] == [{"id": world.comment, "status": "spam", "error": None}]
    assert body["batch"]
    assert status_of(app, world.comment) == "spam"


@pytest.mark.parametrize("how", ["one", "bulk"])
def test_decision_on_a_comment_someone_else_decided_meanwhile_is_refused(app, client, world, how):
    sign_in(client)
    page = client.get("/moderation/").get_data(as_text=True)
    seen = re.search(rf'name="seen-{world.comment}" value="(\w+)"', page).group(1)
    assert seen == "pending"
    # Noor approves it in her own tab while mia's page still says pending.
    with app.app_context():
        decisions.decide(world.comment, "approve", world.noor)
    events = event_count(app)

    data = {"csrf_token": csrf_token(client), f"seen-{world.comment}": seen}
    if how == "one":
        path = f"/moderation/comments/{world.comment}/reject"
    else:
        path, data = "/moderation/bulk", data | {"action": "reject", "ids": str(world.comment)}
    response = client.post(path, data=data, follow_redirects=True)

    assert flashes(response) == [
        (
            "flash-error",
            f"0 comments rejected. Not changed: Comment {world.comment} is now approved "
            "(it was pending when you looked); nothing was changed.",
        )
    ]
    assert status_of(app, world.comment) == "approved"
    assert event_count(app) == events


def test_bulk_without_a_selection_asks_for_one(app, client, world):
    sign_in(client)
    before = snapshot(app)
    response = client.post(
        "/moderation/bulk",
        data={"csrf_token": csrf_token(client), "action": "approve"},
        follow_redirects=True,
    )
    assert flashes(response) == [
        ("flash-error", "Select at least one comment, then choose an action.")
    ]
    assert snapshot(app) == before


def test_bulk_reports_each_comment_that_could_not_move(app, client, world):
    other = new_comment(client, body="Another pending one.")
    with app.app_context():
        decisions.decide(other, "reject", world.noor)
    sign_in(client)
    response = client.post(
        "/moderation/bulk",
        data={
            "csrf_token": csrf_token(client),
            "action": "reject",
            "ids": [str(world.comment), str(other), "999999"],
        },
        follow_redirects=True,
    )
    assert flashes(response) == [
        (
            "flash-undo",
            f"1 comment rejected. Not changed: Comment {other} is already rejected. "
            "There is no comment 999999. Undo",
        )
    ]
    assert status_of(app, world.comment) == "rejected"


SPAM_TEMPLATES = [
    "Earn ${n}00 a day from home!!! I started last month, see https://quick-cash.example/r/{n}",
    "EARN ${n}000 A DAY FROM HOME. I started last month... see https://quick-cash.example/{n}/x",
    "earn {n}$ a day, from home? i started last month; see https://Quick-Cash.example/?ref={n}",
    "Earn - ${n}99 - a day from home! I started last month: see https://quick-cash.example/p{n}",
]


def test_spam_wave_from_thirty_addresses_is_one_group_rejected_in_one_post(app, client, world):
    articles = [f"news/story-{n}" for n in range(5)]
    wave = [
        new_comment(
            client,
            articles[n % len(articles)],
            name=f"Winner {n}",
            email=f"winner{n}@mail{n % 4}.example",
            body=SPAM_TEMPLATES[n % len(SPAM_TEMPLATES)].format(n=n + 1),
        )
        for n in range(30)
    ]
    honest = [
        new_comment(client, articles[n], body=f"My honest opinion about story {n}, thanks.")
        for n in range(3)
    ]
    sign_in(client)
    page = client.get("/moderation/").get_data(as_text=True)

    groups = re.findall(r'<article class="wave card">(.*?)</article>', page, re.S)
    summaries = [" ".join(re.sub(r"<[^>]+>", " ", g).split()) for g in groups]
    big = [s for s in summaries if s.startswith("30 ")]
    assert len(big) == 1, summaries
    assert big[0].startswith("30 near-identical comments from 30 addresses on 5 articles")
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', groups[summaries.index(big[0])])
    events = event_count(app)

    response = client.post(
        "/moderation/waves",
        data={
            "csrf_token": csrf_token(client),
            "fingerprint": fingerprint.group(1),
            "action": "reject",
            "note": "quick-cash wave",
        },
        follow_redirects=True,
    )

    assert flashes(response) == [("flash-undo", "30 comments rejected. Undo")]
    assert [status_of(app, i) for i in wave] == ["rejected"] * 30
    assert [status_of(app, i) for i in honest] == ["pending"] * 3
    assert event_count(app) == events + 30
    with app.app_context():
        batches = db.session.execute(
            select(ModerationEvent.batch, ModerationEvent.note, func.count())
            .where(ModerationEvent.comment_id.in_(wave))
            .group_by(ModerationEvent.batch, ModerationEvent.note)
        ).all()
    assert len(batches) == 1 and batches[0][1:] == ("quick-cash wave", 30)
    assert "30 near-identical" not in response.get_data(as_text=True)


def test_wave_action_without_a_choice_is_refused(app, client, world):
    sign_in(client)
    before = snapshot(app)
    response = client.post(
        "/moderation/waves",
        data={"csrf_token": csrf_token(client), "fingerprint": world.fingerprint},
        follow_redirects=True,
    )
    assert flashes(response) == [("flash-error", "Choose what to do with the whole wave.")]
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "ids",
    [["\u00b2"], ["9" * 5000], ["99999999999"], ["-1", "1.5", "0x1"]],
    ids=["superscript", "thousands-of-digits", "beyond-int4", "not-integers"],
)
def test_bulk_ids_that_are_not_comment_ids_change_nothing(app, client, world, ids):
    sign_in(client)
    before = snapshot(app)
    response = client.post(
        "/moderation/bulk",
        data={"csrf_token": csrf_token(client), "action": "approve", "ids": ids},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert [category for category, _ in flashes(response)] == ["flash-error"]
    assert snapshot(app) == before


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
