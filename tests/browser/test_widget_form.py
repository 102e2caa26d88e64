"""The widget's form in headless Chromium: submitting and the pending notice, the author's own
pending comment, messages next to their fields, the wait after a 429, the keyboard, saving the
name and email, the bot traps and what it sends."""

from __future__ import annotations

import re

import pytest

from service.extensions import db
from service.models import Comment
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import start_api, watched_tab
from tests.browser.widget_pages import (
    approve_all,
    fill_form,
    open_article,
    published,
    textbox,
    widget,
)

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser


def test_submitting_shows_the_pending_notice_and_the_comment_to_its_author_only(
    site, tab, chromium, page_log
):
    host, api = site
    root = open_article(tab)
    expect(root.locator("h2").first).to_have_text("No comments yet. Be the first.")
    fill_form(root, name="Ada", email="ada@example.org", body="My *first* comment.")
    root.get_by_role("button", name="Post comment").click()

    expect(root.locator("form [role=status]")).to_have_text("Your comment is awaiting moderation.")
    mine = root.locator("li.comment.pending")
    expect(mine.locator(".body em")).to_have_text("first")
    expect(mine.locator(".badge")).to_have_text("Awaiting moderation")
    with api.app.app_context():
        comment = db.session.query(Comment).one()
        assert (comment.name, comment.body, comment.status.value) == (
            "Ada",
            "My *first* comment.",
            "pending",
        )

    # Still there for its author after a reload; nobody else sees it.
    tab.reload()
    expect(widget(tab).locator(f"#comment-{comment.id}.pending")).to_be_visible()
    with watched_tab(chromium, host.url, page_log, 10_000) as stranger:
        other = open_article(stranger)
        expect(other.locator("h2").first).to_have_text("No comments yet. Be the first.")
        expect(other.locator("li.comment")).to_have_count(0)

    approve_all(api, comment.id)
    tab.reload()
    root = widget(tab)
    expect(root.locator("h2").first).to_have_text("1 comment")
    expect(root.locator(f"#comment-{comment.id}")).not_to_have_class(re.compile("pending"))
    expect(root.locator(".badge")).to_have_count(0)
    assert page_log.problems() == []


def test_reply_and_the_whole_form_work_from_the_keyboard(site, tab, page_log):
    _, api = site
    parent = published(api, name="Ada", body="Parent comment.")
    root = open_article(tab)
    reply = root.locator(f"#comment-{parent}").get_by_role("button", name="Reply")
    reply.focus()
    tab.keyboard.press("Enter")
    expect(textbox(root, "Name")).to_be_focused()
    tab.keyboard.type("Grace")
    tab.keyboard.press("Tab")
    tab.keyboard.type("grace@example.org")
    tab.keyboard.press("Tab")
    expect(textbox(root, "Website")).to_be_focused()
    tab.keyboard.press("Tab")
    tab.keyboard.type("Typed without a mouse.")
    tab.keyboard.press("Tab")  # past the hidden bot trap, to the checkbox
    expect(root.get_by_label("Save my name and email in this browser")).to_be_focused()
    tab.keyboard.press("Tab")
    expect(root.get_by_label("Email me a link to manage my comments")).to_be_focused()
    tab.keyboard.press("Tab")
    expect(root.get_by_role("button", name="Post comment")).to_be_focused()
    tab.keyboard.press("Enter")
    expect(root.locator("form [role=status]")).to_have_text("Your comment is awaiting moderation.")
    expect(root.locator(f"#comment-{parent} > .replies > li.pending")).to_contain_text(
        "Typed without a mouse."
    )
    # The form went back under the thread, and the focus to the Reply button it came from.
    expect(reply).to_be_focused()
    expect(root.get_by_role("button", name="Cancel reply")).to_be_hidden()

    reply.press("Enter")
    expect(root.get_by_role("button", name="Cancel reply")).to_be_visible()
    root.get_by_role("button", name="Cancel reply").press("Enter")
    expect(reply).to_be_focused()
    expect(root.get_by_text("Replying to Ada")).to_be_hidden()
    assert page_log.problems() == []


def test_missing_fields_are_reported_next_to_them_before_anything_is_sent(site, tab, page_log):
    root = open_article(tab)
    posts: list[str] = []
    tab.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    fill_form(root, website="javascript:alert(1)")
    root.get_by_role("button", name="Post comment").click()

    expect(root.locator("#cd-name-error")).to_have_text("Please enter your name.")
    expect(root.locator("#cd-email-error")).to_have_text("Please enter your email address.")
    expect(root.locator("#cd-body-error")).to_have_text("Please write a comment.")
    expect(root.locator("#cd-website-error")).to_have_text(
        "Please enter a web address starting with http:// or https://."
    )
    expect(textbox(root, "Name")).to_have_attribute("aria-invalid", "true")
    expect(textbox(root, "Name")).to_have_attribute("aria-describedby", "cd-name-error")
    expect(textbox(root, "Name")).to_be_focused()
    assert posts == []
    assert page_log.problems() == []


def test_the_servers_422_messages_appear_next_to_the_right_fields(site, tab, page_log):
    root = open_article(tab)
    # Both pass the quick checks in the browser; the server knows better.
    fill_form(root, name="Ada", email="ada@localhost", website="https://not a host", body="Hi")
    root.get_by_role("button", name="Post comment").click()

    expect(root.locator("#cd-email-error")).to_contain_text("That email address is not valid")
    expect(root.locator("#cd-website-error")).to_have_text(
        "Please enter a web address starting with http:// or https://."
    )
    expect(root.locator("#cd-name-error")).to_be_hidden()
    expect(root.locator("#cd-body-error")).to_be_hidden()
    expect(textbox(root, "Email")).to_be_focused()
    expect(root.locator("form [role=status]")).to_have_text("Please correct the marked fields.")
    # The reader fixes it and sends again: the messages go, the comment is taken.
    fill_form(root, email="ada@example.org", website="ada.example")
    root.get_by_role("button", name="Post comment").click()
    expect(root.locator("form [role=status]")).to_have_text("Your comment is awaiting moderation.")
    expect(root.locator("#cd-email-error")).to_be_hidden()
    # A 422 in the console is the browser reporting the failed request, not a script error.
    assert page_log.dialogs == page_log.page_errors == []


def test_too_many_comments_say_how_long_to_wait(host_site, serve, chromium, page_log):
    start_api(host_site, serve, RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="1 per minute")
    with watched_tab(chromium, host_site.url, page_log, 10_000) as page:
        root = open_article(page)
        fill_form(root, name="Ada", email="ada@example.org", body="One.")
        root.get_by_role("button", name="Post comment").click()
        status = root.locator("form [role=status]")
        expect(status).to_have_text("Your comment is awaiting moderation.")
        fill_form(root, body="Two.")
        root.get_by_role("button", name="Post comment").click()
        expect(status).to_have_text(
            re.compile(
                r"^You are sending comments too quickly\. Please try again in \d+ seconds\.$"
            )
        )
    assert page_log.dialogs == page_log.page_errors == []


def test_name_and_email_are_saved_only_when_the_reader_asks(site, tab, page_log):
    root = open_article(tab)
    remember = root.get_by_label("Save my name and email in this browser")
    expect(remember).not_to_be_checked()
    fill_form(root, name="Ada", email="ada@example.org", body="Not remembered.")
    root.get_by_role("button", name="Post comment").click()
    expect(root.locator("form [role=status]")).to_have_text("Your comment is awaiting moderation.")
    tab.reload()
    root = widget(tab)
    expect(textbox(root, "Name")).to_have_value("")

    fill_form(root, name="Ada", email="ada@example.org", body="Remember me.")
    root.get_by_label("Save my name and email in this browser").check()
    root.get_by_role("button", name="Post comment").click()
    expect(root.locator("form [role=status]")).to_have_text("Your comment is awaiting moderation.")
    tab.reload()
    root = widget(tab)
    expect(textbox(root, "Name")).to_have_value("Ada")
    expect(textbox(root, "Email")).to_have_value("ada@example.org")
    expect(root.get_by_label("Save my name and email in this browser")).to_be_checked()
    assert page_log.problems() == []


def test_the_form_has_labels_required_marks_the_notice_and_traps(site, tab, page_log):
    _, api = site
    root = open_article(tab)
    form = root.locator("form")
    expect(form.locator("h2")).to_have_text("Leave a reply")
    expect(form).to_contain_text(
        "Your email address will not be published. Required fields are marked *"
    )
    for label in ("Name", "Email", "Comment"):
        expect(form.locator("label", has_text=label).first).to_contain_text("*")
        expect(textbox(root, label)).to_have_attribute("required", "")
    expect(form.locator("label", has_text="Website")).not_to_contain_text("*")
    expect(root.locator("input[name=hp]")).not_to_be_in_viewport()
    # A bot fills the hidden field: the comment is taken, and marked as spam.
    root.locator("input[name=hp]").fill("http://spam.example", force=True)
    fill_form(root, name="Bot", email="bot@example.org", body="Buy now.")
    root.get_by_role("button", name="Post comment").click()
    expect(root.locator("form [role=status]")).to_have_text("Your comment is awaiting moderation.")
    with api.app.app_context():
        comment = db.session.query(Comment).one()
        assert comment.status.value == "spam"
        assert "honeypot" in [r["code"] for r in comment.reasons]
    assert page_log.problems() == []


def test_the_form_sends_the_article_title_and_url_and_a_form_token(site, tab, page_log):
    root = open_article(tab)
    fill_form(root, name="Ada", email="ada@example.org", body="Hello.")
    with tab.expect_request(lambda r: r.method == "POST") as posted:
        root.get_by_role("button", name="Post comment").click()
    sent = posted.value.post_data_json
    assert sent["article_title"] == "Hello, world"
    assert sent["article_url"] == f"{site[0].url}/article"
    assert sent["form_token"] and sent["hp"] == ""
    # Nobody is mailed who did not tick the box, which starts unticked for each comment.
    assert sent["my_comments_link"] is False
    expect(root.locator("form [role=status]")).to_have_text("Your comment is awaiting moderation.")
    mail_link = root.get_by_label("Email me a link to manage my comments")
    expect(mail_link).not_to_be_checked()
    mail_link.check()
    fill_form(root, name="Ada", email="ada@example.org", body="Please send me the link.")
    with tab.expect_request(lambda r: r.method == "POST") as posted:
        root.get_by_role("button", name="Post comment").click()
    assert posted.value.post_data_json["my_comments_link"] is True
    expect(root.locator("form [role=status]")).to_have_text("Your comment is awaiting moderation.")
    expect(mail_link).not_to_be_checked()
    assert page_log.problems() == []
