"""Dealing with a person in headless Chromium: the commenter panel (history across articles,
notes), banning from the queue, and the spam-ban of a commenter with several pending comments."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import BanKind, ModerationEvent, Moderator
from service.moderation import bans, commenters
from service.privacy import vault
from tests.browser.chromium import playwright_or_skip
from tests.browser.helpers import event_count, post_comment, sign_in, status_of
from tests.browser.test_xss import PAYLOADS, inspect
from tests.conftest import VALID, submit

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser


def test_commenter_panel_shows_history_across_articles_and_keeps_a_note(live, page, page_log):
    first = post_comment(live, article="blog/one", email="grace@example.org", name="Grace")
    second = post_comment(live, article="blog/two", email="grace@example.org", name="Grace")
    post_comment(live, article="blog/one", email="someone@example.org", name="Someone")
    sign_in(page)
    page.locator(f"#c{first}").get_by_role("button", name="Approve").click()
    expect(page.locator(f"#c{first} .badge")).to_have_text("approved")

    page.locator(f"#c{second} a.history").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Grace")
    expect(page.locator(".facts .email")).to_have_text("grace@example.org")
    expect(page.locator(".facts .totals")).to_contain_text("2 · 1 approved · 1 pending")
    expect(page.locator(f"#h{first}")).to_contain_text("blog/one")
    expect(page.locator(f"#h{first} .badge")).to_have_text("approved")
    expect(page.locator(f"#h{second}")).to_contain_text("blog/two")
    expect(page.locator(f"#h{second} .badge")).to_have_text("pending")
    expect(page.locator(".history-table tbody tr")).to_have_count(2)
    expect(page.locator(".first-seen time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))

    page.get_by_label("New note").fill("Long-time reader; keeps it civil.")
    page.get_by_role("button", name="Add note").click()

    expect(page.locator("#flashes")).to_contain_text("Note added.")
    expect(page.locator(".note-list .note-body")).to_have_text("Long-time reader; keeps it civil.")
    expect(page.locator(".note-list .meta")).to_contain_text("mia")
    with live.app.app_context():
        actions = db.session.scalars(select(ModerationEvent.action)).all()
    assert "note" in actions
    assert page_log.problems() == []


def test_banning_a_commenter_from_the_queue_refuses_their_next_comment(live, page, page_log):
    troll = post_comment(live, email="troll@example.org", body="You are all idiots.")
    other = post_comment(live, email="fine@example.org", body="Good point about caching.")
    sign_in(page)
    row = page.locator(f"#c{troll}")

    row.get_by_text("Ban…").click()
    row.get_by_label("Duration").select_option(label="for 7 days")
    row.get_by_label("Reason").fill("insults")
    row.get_by_role("button", name="Ban", exact=True).click()

    expect(page.locator("#flashes")).to_contain_text(re.compile(r"Banned commenter \w+… until"))
    expect(page.locator("#flashes")).not_to_contain_text("troll@")
    assert (status_of(live, troll), status_of(live, other)) == ("pending", "pending")
    client = live.app.test_client()
    refused = submit(client, "blog/hello", email="troll@example.org", body="Again!")
    assert refused.status_code == 403
    assert "You may comment again after" in refused.get_json()["error"]["message"]
    assert submit(client, "blog/hello", email="fine@example.org", body="More.").status_code == 201

    page.get_by_role("link", name="Bans").click()
    expect(page.locator("table.bans tbody tr")).to_have_count(1)
    expect(page.locator("table.bans .state")).to_contain_text("suspended until")
    page.get_by_role("button", name="Lift").click()
    expect(page.locator("#flashes")).to_contain_text("Lifted the ban on commenter")
    assert submit(client, "blog/hello", email="troll@example.org", body="Sorry.").status_code == 201
    assert page_log.problems() == []


def test_spam_ban_moves_all_pending_comments_of_the_commenter_in_one_action(live, page, page_log):
    spam = [
        post_comment(live, article=f"blog/{n}", email="bot@spam.example", body=f"Buy now {n}")
        for n in range(3)
    ]
    other = post_comment(live, email="reader@example.org")
    sign_in(page)
    before = event_count(live)
    row = page.locator(f"#c{spam[1]}")

    row.get_by_text("Ban…").click()
    row.get_by_label("Reason").fill("pill spam")
    row.get_by_role("button", name="Spam-ban").click()

    expect(page.locator("#flashes")).to_contain_text("3 comments moved to spam.")
    assert [status_of(live, i) for i in spam] == ["spam"] * 3
    assert status_of(live, other) == "pending"
    # One event per comment, one for the ban.
    assert event_count(live) == before + 4
    # The queue no longer shows them; the reader's comment is still there.
    expect(page.locator("li.comment")).to_have_count(1)
    expect(page.locator(f"#c{other}")).to_be_visible()
    assert page_log.problems() == []


def test_hostile_names_notes_reasons_and_titles_render_inert(live, page, page_log):
    client = live.app.test_client()
    origin = {"Origin": "https://blog.example.com"}
    for n, payload in enumerate(PAYLOADS[:8]):
        fields = VALID | {"email": "hostile@example.org", "name": payload[:80], "body": payload}
        fields |= {"article_title": payload, "article_url": "https://blog.example.com/p"}
        response = client.post(
            f"/api/v1/articles/hostile/{n}/comments", json=fields, headers=origin
        )
        assert response.status_code == 201, response.get_json()
    with live.app.app_context():
        target = vault.vault().email_hash("hostile@example.org")
        mia = db.session.scalars(select(Moderator).where(Moderator.username == "mia")).one()
        commenters.add_note(target, PAYLOADS[0], mia)
        bans.ban(bans.Target(BanKind.DOMAIN, value="example.org"), PAYLOADS[1], mia)
    sign_in(page)

    for path in (
        f"/moderation/commenters/{target}",
        "/moderation/bans",
        "/moderation/events",
        "/moderation/?article=hostile/0",
        "/moderation/",
    ):
        found = inspect(page, path)
        assert found["xss"] is None, (path, found["xss"])
        assert found["handlers"] == [], (path, found["handlers"])
        assert found["badLinks"] == [], (path, found["badLinks"])
        assert found["foreignInBodies"] == [], (path, found["foreignInBodies"])
        assert (found["styles"], found["embeds"]) == (0, 0), (path, found)
    page.goto(f"/moderation/commenters/{target}")
    expect(page.locator(".note-list .note-body")).to_have_text(PAYLOADS[0])
    assert page_log.problems() == []
