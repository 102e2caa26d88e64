"""The queue's keyboard in headless Chromium: after a decision the focus moves on to the next
undecided comment (or back to the one before, from the last), u undoes the last decision,
d deletes, and ? lists every key."""

from __future__ import annotations

import re

import pytest

from tests.browser.chromium import playwright_or_skip
from tests.browser.helpers import event_count, post_comment, sign_in, status_of

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

FOCUSED = re.compile(r"\bfocused\b")


def expect_focus_on(page, comment_id):
    expect(page.locator(f"#c{comment_id}")).to_have_class(FOCUSED)
    expect(page.locator(f"#c{comment_id}")).to_be_focused()
    expect(page.locator("li.comment.focused")).to_have_count(1)


def test_after_a_the_focus_is_on_the_next_undecided_comment(live, page, page_log):
    first, second, third = (post_comment(live) for _ in range(3))
    sign_in(page)

    page.keyboard.press("j")
    page.keyboard.press("a")

    expect(page.locator(f"#c{first} .badge")).to_have_text("approved")
    expect_focus_on(page, second)
    # The next key acts on the comment the focus moved to, not on the decided one.
    page.keyboard.press("r")
    expect(page.locator(f"#c{second} .badge")).to_have_text("rejected")
    expect_focus_on(page, third)
    assert [status_of(live, i) for i in (first, second, third)] == [
        "approved",
        "rejected",
        "pending",
    ]
    assert page_log.problems() == []


def test_deciding_the_last_comment_moves_the_focus_back_to_the_nearest_undecided_one(
    live, page, page_log
):
    first, second, third = (post_comment(live) for _ in range(3))
    sign_in(page)

    page.keyboard.press("j")
    page.keyboard.press("s")  # first: spam, on to the second
    expect_focus_on(page, second)
    page.keyboard.press("j")
    expect_focus_on(page, third)
    page.keyboard.press("a")  # the last one: back to the second, skipping nothing undecided
    expect(page.locator(f"#c{third} .badge")).to_have_text("approved")
    expect_focus_on(page, second)
    assert [status_of(live, i) for i in (first, second, third)] == ["spam", "pending", "approved"]
    assert page_log.problems() == []


def test_u_undoes_the_last_decision_on_the_server_and_focuses_that_comment(live, page, page_log):
    first, second = post_comment(live), post_comment(live)
    sign_in(page)

    page.keyboard.press("j")
    page.keyboard.press("r")
    expect(page.locator(f"#c{first} .badge")).to_have_text("rejected")
    expect_focus_on(page, second)
    assert status_of(live, first) == "rejected"

    page.keyboard.press("u")

    expect(page.locator("#flashes")).to_have_text("1 comment put back.")
    expect(page.locator(f"#c{first} .badge")).to_have_text("pending")
    expect(page.locator(f"#c{first}")).not_to_have_class(re.compile(r"\bdecided\b"))
    expect_focus_on(page, first)
    assert (status_of(live, first), status_of(live, second)) == ("pending", "pending")
    assert event_count(live) == 2  # the rejection and its undo

    # Undone once: a second u says so and changes nothing.
    page.keyboard.press("u")
    expect(page.locator("#flashes")).to_have_text("Nothing to undo.")
    assert event_count(live) == 2
    page.reload()
    expect(page.locator(f"#c{first} .badge")).to_have_text("pending")
    assert page_log.problems() == []


def test_u_undoes_a_bulk_decision_as_one_batch(live, page, page_log):
    ids = [post_comment(live) for _ in range(3)]
    sign_in(page)
    for comment_id in ids[:2]:
        page.get_by_label(f"Select comment {comment_id}").check()
    page.get_by_role("button", name="Spam selected").click()
    expect(page.locator("#flashes")).to_contain_text("2 comments marked as spam.")

    page.keyboard.press("u")

    expect(page.locator("#flashes")).to_have_text("2 comments put back.")
    assert [status_of(live, i) for i in ids] == ["pending"] * 3
    assert page_log.problems() == []


def test_d_deletes_the_focused_comment_and_moves_on(live, page, page_log):
    first, second = post_comment(live), post_comment(live)
    sign_in(page)

    page.keyboard.press("j")
    page.keyboard.press("d")

    expect(page.locator(f"#c{first} .badge")).to_have_text("deleted")
    expect(page.locator("#flashes")).to_contain_text("1 comment deleted.")
    expect_focus_on(page, second)
    assert (status_of(live, first), status_of(live, second)) == ("deleted", "pending")
    assert page_log.problems() == []


def test_question_mark_lists_every_decision_and_navigation_key(live, page, page_log):
    post_comment(live)
    sign_in(page)

    page.keyboard.press("?")

    dialog = page.locator("dialog#shortcuts")
    expect(dialog).to_be_visible()
    keys = dialog.locator("kbd").all_inner_texts()
    assert {"j", "k", "a", "r", "s", "d", "u", "x", "?"} <= set(keys)
    expect(dialog).to_contain_text("undo the last decision")
    expect(dialog).to_contain_text("delete")
    assert page_log.problems() == []
