"""The moderation queue in headless Chromium: sign in, decide by click, keyboard and in bulk,
undo, the audit log, the public feed, CSRF, and pages closed to anyone not signed in."""

from __future__ import annotations

import re

import pytest

from service.extensions import db
from service.models import Moderator
from service.moderation import accounts
from tests.browser.chromium import playwright_or_skip
from tests.browser.helpers import (
    database_rows,
    event_count,
    forge_post,
    post_comment,
    sign_in,
    status_of,
)

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

HELD = "The site holds every comment until a moderator approves it."

PAGES = [
    "/moderation/",
    "/moderation/?status=all",
    "/moderation/events",
    "/moderation/admin/moderators",
    "/moderation/admin/tokens",
    "/moderation/admin/rules",
]
ACTIONS = [
    "/moderation/comments/{id}/approve",
    "/moderation/comments/{id}/reject",
    "/moderation/comments/{id}/spam",
    "/moderation/comments/{id}/delete",
    "/moderation/bulk",
    "/moderation/waves",
    "/moderation/undo",
    "/moderation/articles/lock",
    "/moderation/comments/{id}/ban",
    "/moderation/bans",
    "/moderation/admin/moderators",
    "/moderation/admin/tokens",
    "/moderation/admin/rules",
]


def test_moderator_signs_in_and_sees_a_pending_comment_with_its_email_and_reasons(
    live, page, page_log
):
    comment_id = post_comment(
        live, name="Grace Hopper", email="grace@example.org", body="A *fine* piece."
    )
    sign_in(page)
    row = page.locator(f"#c{comment_id}")
    expect(row.locator(".name")).to_have_text("Grace Hopper")
    expect(row.locator(".email")).to_have_text("grace@example.org")
    expect(row.locator(".badge")).to_have_text("pending")
    expect(row.locator(".reasons")).to_have_text(HELD)
    expect(row.locator(".body em")).to_have_text("fine")
    expect(page.locator(".tabs [aria-current=page]")).to_contain_text("Pending 1")
    assert page_log.problems() == []


def test_approving_with_a_click_publishes_the_comment_in_the_public_feed(live, page, page_log):
    comment_id = post_comment(
        live, article="blog/launch-day", body="Congratulations on the launch!"
    )
    sign_in(page)
    assert page.request.get("/api/v1/articles/blog/launch-day/comments").json()["comments"] == []

    page.locator(f"#c{comment_id}").get_by_role("button", name="Approve").click()

    expect(page.locator("#flashes")).to_contain_text("1 comment approved.")
    expect(page.locator(f"#c{comment_id} .badge")).to_have_text("approved")
    assert status_of(live, comment_id) == "approved"
    feed = page.request.get("/api/v1/articles/blog/launch-day/comments").json()
    assert [c["id"] for c in feed["comments"]] == [comment_id]
    assert feed["comments"][0]["body_html"] == "<p>Congratulations on the launch!</p>"
    assert page_log.problems() == []


def test_a_refused_decision_is_said_in_place_from_the_apis_error_shape(live, page, page_log):
    comment_id = post_comment(live)
    sign_in(page)
    # Past the field's maxlength, as only a script (or a forged post) can send it.
    page.locator('input[name="note"]').evaluate("(box) => { box.value = 'x'.repeat(2001); }")

    page.locator(f"#c{comment_id}").get_by_role("button", name="Approve").click()

    expect(page.locator("#flashes")).to_have_text("Longer than maximum length 2000.")
    expect(page.locator(f"#c{comment_id} .badge")).to_have_text("pending")
    assert status_of(live, comment_id) == "pending"
    # The refusal itself is the only thing the browser reports: no script error.
    assert [problem.split(" at ")[0] for problem in page_log.problems()] == [
        "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
    ]


def test_keyboard_j_moves_down_and_a_approves_the_focused_comment(live, page, page_log):
    first, second = post_comment(live), post_comment(live)
    sign_in(page)

    page.keyboard.press("j")
    expect(page.locator(f"#c{first}")).to_have_class(re.compile(r"\bfocused\b"))
    page.keyboard.press("j")
    expect(page.locator(f"#c{second}")).to_have_class(re.compile(r"\bfocused\b"))
    page.keyboard.press("a")

    expect(page.locator(f"#c{second} .badge")).to_have_text("approved")
    expect(page.locator("#flashes")).to_contain_text("1 comment approved.")
    assert (status_of(live, first), status_of(live, second)) == ("pending", "approved")
    assert page_log.problems() == []


def test_keyboard_k_goes_back_and_r_and_s_reject_and_mark_spam(live, page, page_log):
    first, second = post_comment(live), post_comment(live)
    sign_in(page)

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("s")
    expect(page.locator(f"#c{second} .badge")).to_have_text("spam")
    page.keyboard.press("k")
    expect(page.locator(f"#c{first}")).to_have_class(re.compile(r"\bfocused\b"))
    page.keyboard.press("r")
    expect(page.locator(f"#c{first} .badge")).to_have_text("rejected")

    assert (status_of(live, first), status_of(live, second)) == ("rejected", "spam")
    assert page_log.problems() == []


def test_question_mark_opens_the_keyboard_shortcut_list(live, page, page_log):
    post_comment(live)
    sign_in(page)
    page.keyboard.press("?")
    dialog = page.locator("dialog#shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("select for a bulk action")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert page_log.problems() == []


@pytest.mark.parametrize("select_with", ["checkboxes", "x key"])
def test_bulk_reject_three_then_undo_puts_them_back_pending(live, page, page_log, select_with):
    ids = [post_comment(live) for _ in range(4)]
    chosen, untouched = ids[:3], ids[3]
    sign_in(page)

    if select_with == "checkboxes":
        for comment_id in chosen:
            page.get_by_label(f"Select comment {comment_id}").check()
    else:
        for _ in chosen:
            page.keyboard.press("j")
            page.keyboard.press("x")
    for comment_id in chosen:
        expect(page.get_by_label(f"Select comment {comment_id}")).to_be_checked()
    page.get_by_role("button", name="Reject selected").click()

    flash = page.locator("#flashes")
    expect(flash).to_contain_text("3 comments rejected.")
    for comment_id in chosen:
        expect(page.locator(f"#c{comment_id} .badge")).to_have_text("rejected")
    assert [status_of(live, i) for i in ids] == ["rejected"] * 3 + ["pending"]

    flash.get_by_role("button", name="Undo").click()

    expect(flash).to_have_text("3 comments put back.")
    for comment_id in ids:
        expect(page.locator(f"#c{comment_id} .badge")).to_have_text("pending")
        expect(page.locator(f"#c{comment_id}")).not_to_have_class(re.compile(r"\bdecided\b"))
    # The page after a reload says the same as the page updated in place.
    page.reload()
    for comment_id in ids:
        expect(page.locator(f"#c{comment_id} .badge")).to_have_text("pending")
    assert [status_of(live, i) for i in ids] == ["pending"] * 4
    assert status_of(live, untouched) == "pending"
    assert event_count(live) == 6  # three rejections, three undone
    assert page_log.problems() == []


def test_audit_log_page_shows_who_did_what_to_which_comment(live, page, page_log):
    comment_id = post_comment(live)
    sign_in(page)
    page.locator("input[name=note]").fill("off topic")
    page.locator(f"#c{comment_id}").get_by_role("button", name="Reject").click()
    expect(page.locator(f"#c{comment_id} .badge")).to_have_text("rejected")

    page.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(re.compile(r"/moderation/events$"))
    rows = page.locator("table.events tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td")).to_have_text(
        [
            re.compile(r"\d{4}-\d\d-\d\d"),
            "mia",
            "reject",
            f"#{comment_id}",
            "pending → rejected",
            "off topic",
        ]
    )
    # The comment link filters the log down to that comment.
    rows.first.get_by_role("link", name=f"#{comment_id}").click()
    expect(page).to_have_url(re.compile(rf"comment_id={comment_id}"))
    expect(page.locator("table.events tbody tr")).to_have_count(1)
    assert page_log.problems() == []


def test_a_wave_is_rejected_with_one_click_and_the_flash_undo_works_without_javascript(
    live, page, page_log
):
    ids = [
        post_comment(
            live,
            article=f"blog/post-{n % 3}",
            body=f"EARN ${n}00 a DAY from home!!! https://quick-cash.example/r/{n}",
        )
        for n in range(1, 6)
    ]
    honest = post_comment(live, body="I disagree with the second paragraph, and here is why.")
    sign_in(page)

    wave = page.locator("article.wave")
    expect(wave).to_have_count(1)
    expect(wave.locator(".wave-summary")).to_have_text(
        re.compile(r"5 near-identical comments\s+from 5 addresses\s+on 3 articles")
    )
    with page.expect_navigation():
        wave.get_by_role("button", name="Reject all 5").click()

    flash = page.locator("#flashes .flash")
    expect(flash).to_contain_text("5 comments rejected.")
    assert [status_of(live, i) for i in ids] == ["rejected"] * 5
    assert status_of(live, honest) == "pending"
    expect(page.locator("article.wave")).to_have_count(0)

    with page.expect_navigation():
        flash.get_by_role("button", name="Undo").click()
    expect(page.locator("#flashes")).to_contain_text("5 comments put back.")
    assert [status_of(live, i) for i in ids] == ["pending"] * 5
    expect(page.locator("article.wave")).to_have_count(1)
    assert page_log.problems() == []


def test_login_form_without_its_csrf_token_is_refused(live, page):
    page.goto("/moderation/login")
    page.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill("correct horse battery staple")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 400
    expect(page.locator("h1")).to_have_text("This form has expired")
    page.goto("/moderation/")
    expect(page).to_have_url(re.compile(r"/moderation/login"))


def test_decision_posted_without_the_csrf_token_is_refused_and_changes_nothing(live, page):
    comment_id = post_comment(live)
    sign_in(page)
    before = database_rows(live)
    forge_post(
        page, f"/moderation/comments/{comment_id}/approve", {f"seen-{comment_id}": "pending"}
    )
    expect(page.locator("h1")).to_have_text("This form has expired")

    # The same request from a script, with the session cookie but without the token.
    response = page.request.post(
        f"/moderation/comments/{comment_id}/approve",
        form={f"seen-{comment_id}": "pending"},
        headers={"Accept": "application/json"},
    )
    assert response.status == 400
    assert database_rows(live) == before


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_browser_is_sent_to_the_login_page(live, page, path):
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/moderation/login\?next="))
    expect(page.locator("#flashes")).to_contain_text("Please sign in to moderate.")
    expect(page.locator("header.top")).to_have_count(0)


@pytest.mark.parametrize("action", ACTIONS)
def test_signed_out_browser_cannot_take_any_action_even_with_a_csrf_token(live, page, action):
    comment_id = post_comment(live)
    before = database_rows(live)
    page.goto("/moderation/login")
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    forge_post(
        page,
        action.format(id=comment_id),
        {
            "csrf_token": token,
            "ids": str(comment_id),
            "action": "approve",
            "username": "mallory",
            "password": "long enough password",
            "article": "blog/hello",
            "locked": "1",
            "do": "save",
            "hold_word": "moderation",
            "reason": "forged",
            "spam": "1",
        },
    )
    expect(page).to_have_url(re.compile(r"/moderation/login\?next="))
    assert database_rows(live) == before


def test_disabled_moderator_is_signed_out_on_the_next_click(live, page):
    comment_id = post_comment(live)
    with live.app.app_context():
        accounts.create_moderator("noor", "another long password")
        noor = db.session.query(Moderator).filter_by(username="noor").one().id
    sign_in(page, "noor", "another long password")
    expect(page.locator(f"#c{comment_id}")).to_be_visible()

    with live.app.app_context():
        accounts.set_active(noor, False)
    with page.expect_navigation(url=re.compile(r"/moderation/login")):
        page.locator(f"#c{comment_id}").get_by_role("button", name="Approve").click()

    assert status_of(live, comment_id) == "pending"
    for path in PAGES:
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/moderation/login"))
    # And a disabled account cannot sign in again.
    page.get_by_label("Username").fill("noor")
    page.get_by_label("Password").fill("another long password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "That username and password do not match an active account."
    )
