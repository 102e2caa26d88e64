"""The author edits and deletes their comment from the widget, in the browser that posted it,
within the edit window and not after it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from service.extensions import db
from service.models import Comment, ModerationEvent
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import LAPTOP, HostSite, LiveServer, start_api, watched_tab
from tests.browser.helpers import status_of
from tests.browser.widget_pages import fill_form, open_article, widget

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser


@pytest.fixture
def open_site(host_site: HostSite, serve: Any) -> tuple[HostSite, LiveServer]:
    """Comments publish at once (so edits show), and "casino" holds a comment."""
    api = start_api(
        host_site, serve, MODERATION="off", HOLD_WORDS=("casino",), EDIT_WINDOW_MINUTES=15
    )
    return host_site, api


@pytest.fixture
def author(chromium: Any, open_site: tuple[HostSite, LiveServer], page_log: Any) -> Any:
    """A reader who has just posted a comment through the widget."""
    with watched_tab(chromium, open_site[0].url, page_log, 10_000, viewport=LAPTOP) as page:
        root = open_article(page)
        fill_form(root, name="Ada", email="ada@example.org", body="Frist *post*.")
        root.get_by_role("button", name="Post comment").click()
        expect(root.locator("form [role=status]")).to_have_text("Your comment is published.")
        with open_site[1].app.app_context():
            page.comment_id = db.session.query(Comment).one().id
        yield page


def events_of(api: LiveServer, comment_id: int) -> list[tuple[str, str]]:
    with api.app.app_context():
        rows = db.session.query(ModerationEvent).filter_by(comment_id=comment_id)
        return [(event.actor, event.action) for event in rows.order_by(ModerationEvent.id)]


def move_back(api: LiveServer, comment_id: int, minutes: int) -> None:
    """Make a comment older, as if the clock had moved on."""
    with api.app.app_context():
        comment = db.session.get(Comment, comment_id)
        comment.created_at -= timedelta(minutes=minutes)
        db.session.commit()


def test_the_author_edits_their_comment_within_the_window(open_site, author, page_log):
    _, api = open_site
    root = widget(author)
    mine = root.locator(f"#comment-{author.comment_id}")
    expect(mine.locator(".body")).to_have_text("Frist post.")
    mine.get_by_role("button", name="Edit").click()
    editor = mine.get_by_role("textbox", name="Edit your comment")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("Frist *post*.")  # the text as typed, kept in this browser
    editor.fill("First *post*, spelled right.")
    mine.get_by_role("button", name="Save").click()

    mine = root.locator(f"#comment-{author.comment_id}")
    expect(mine.locator(".note")).to_have_text("Your comment was updated.")
    expect(mine.locator(".body em")).to_have_text("post")
    expect(mine.locator(".badge")).to_have_text("edited")
    assert status_of(api, author.comment_id) == "approved"
    assert events_of(api, author.comment_id)[-1] == ("commenter", "edit")
    # Everyone sees the edit, marked as edited.
    author.reload()
    expect(widget(author).locator(f"#comment-{author.comment_id} .body")).to_have_text(
        "First post, spelled right."
    )
    expect(widget(author).locator(f"#comment-{author.comment_id} .badge")).to_have_text("edited")
    assert page_log.problems() == []


def test_an_edit_the_policy_holds_goes_back_to_moderation(open_site, author, page_log):
    _, api = open_site
    root = widget(author)
    mine = root.locator(f"#comment-{author.comment_id}")
    mine.get_by_role("button", name="Edit").click()
    mine.get_by_role("textbox", name="Edit your comment").fill("Visit my casino.")
    mine.get_by_role("button", name="Save").click()
    mine = root.locator(f"#comment-{author.comment_id}")
    expect(mine.locator(".note")).to_have_text("Your edit is awaiting moderation.")
    expect(mine).to_have_class(re.compile("pending"))
    assert status_of(api, author.comment_id) == "pending"
    expect(root.locator("h2").first).to_have_text("1 comment")
    # After a reload the public thread no longer has it; its author still sees it, pending.
    author.reload()
    root = widget(author)
    expect(root.locator("h2").first).to_have_text("No comments yet. Be the first.")
    expect(root.locator(f"#comment-{author.comment_id}.pending .body")).to_have_text(
        "Visit my casino."
    )
    assert page_log.problems() == []


def test_the_author_deletes_their_comment_within_the_window(open_site, author, page_log):
    _, api = open_site
    root = widget(author)
    expect(root.locator("h2").first).to_have_text("1 comment")
    mine = root.locator(f"#comment-{author.comment_id}")
    mine.get_by_role("button", name="Delete").click()
    expect(mine).to_contain_text("Delete this comment for good?")
    mine.get_by_role("button", name="Yes, delete").click()

    expect(root.locator(f"#comment-{author.comment_id}")).to_have_count(0)
    expect(root.locator("[role=status]").first).to_have_text("Your comment was deleted.")
    expect(root.locator("h2").first).to_have_text("No comments yet. Be the first.")
    assert status_of(api, author.comment_id) == "deleted"
    assert events_of(api, author.comment_id)[-1] == ("commenter", "withdraw")
    author.reload()
    expect(widget(author).locator("li.comment")).to_have_count(0)
    assert page_log.problems() == []


@pytest.mark.parametrize("action", ["Edit", "Delete"])
def test_edit_and_delete_are_refused_once_the_window_has_passed(
    open_site, author, page_log, action
):
    _, api = open_site
    move_back(api, author.comment_id, minutes=16)
    mine = widget(author).locator(f"#comment-{author.comment_id}")
    mine.get_by_role("button", name=action).click()
    if action == "Edit":
        mine.get_by_role("textbox", name="Edit your comment").fill("Too late.")
        mine.get_by_role("button", name="Save").click()
    else:
        mine.get_by_role("button", name="Yes, delete").click()

    expect(mine.locator(".note")).to_contain_text("15 minutes")
    expect(mine.get_by_role("button", name="Edit")).to_have_count(0)
    expect(mine.get_by_role("button", name="Delete")).to_have_count(0)
    with api.app.app_context():
        comment = db.session.get(Comment, author.comment_id)
        assert (comment.status.value, comment.body) == ("approved", "Frist *post*.")
    assert events_of(api, author.comment_id) == []
    # The refusal is the browser logging a 403; nothing else went wrong.
    assert page_log.dialogs == page_log.page_errors == []


def test_the_widget_keeps_the_servers_edit_window(host_site, serve, chromium, page_log):
    start_api(host_site, serve, MODERATION="off", EDIT_WINDOW_MINUTES=40)
    with watched_tab(chromium, host_site.url, page_log, 10_000) as page:
        root = open_article(page)
        fill_form(root, name="Ada", email="ada@example.org", body="Forty minutes to fix it.")
        root.get_by_role("button", name="Post comment").click()
        expect(root.get_by_role("button", name="Edit")).to_have_count(1)
        minutes_left = page.evaluate(
            """() => Object.values(JSON.parse(localStorage.getItem("commentdesk:own")))
                .map((entry) => (entry.until - Date.now()) / 60000)"""
        )
    assert len(minutes_left) == 1 and 39 < minutes_left[0] <= 40
    assert page_log.problems() == []


def test_no_edit_buttons_once_the_window_has_passed_in_this_browser(open_site, author, page_log):
    mine = widget(author).locator(f"#comment-{author.comment_id}")
    expect(mine.get_by_role("button", name="Edit")).to_have_count(1)
    author.evaluate(
        """() => {
            const own = JSON.parse(localStorage.getItem("commentdesk:own"));
            for (const entry of Object.values(own)) entry.until = Date.now() - 1000;
            localStorage.setItem("commentdesk:own", JSON.stringify(own));
        }"""
    )
    author.reload()
    mine = widget(author).locator(f"#comment-{author.comment_id}")
    expect(mine.get_by_role("button", name="Reply")).to_have_count(1)
    expect(mine.get_by_role("button", name="Edit")).to_have_count(0)
    expect(mine.get_by_role("button", name="Delete")).to_have_count(0)
    assert page_log.problems() == []


def test_other_readers_get_no_edit_buttons(open_site, author, chromium, page_log):
    host, _ = open_site
    with watched_tab(chromium, host.url, page_log, 10_000) as stranger:
        theirs = open_article(stranger).locator("li.comment")
        expect(theirs).to_have_count(1)
        expect(theirs.get_by_role("button", name="Reply")).to_have_count(1)
        expect(theirs.get_by_role("button", name="Edit")).to_have_count(0)
    assert page_log.problems() == []
