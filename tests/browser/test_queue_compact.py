"""The queue's compact view in headless Chromium: fifteen or more comments on a 1,000-pixel
screen, a card opened by j or a click, and the choice kept on the server for the moderator
(across reloads, browsers, and without JavaScript) while another moderator keeps the default."""

from __future__ import annotations

import random
import re

import pytest

from service.extensions import db
from service.models import Moderator, QueueView
from service.moderation import accounts
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import watched_tab
from tests.browser.helpers import post_comment, sign_in

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

SCREEN = {"width": 1280, "height": 1000}
NOOR_PASSWORD = "another long password"
# What a newsroom's queue holds: long comments of several paragraphs, with lists and links,
# each in its own words (near-identical ones would be shown as a wave instead).
WORDS = [
    "council",
    "budget",
    "library",
    "figures",
    "March",
    "minutes",
    "school",
    "road",
    "housing",
    "rent",
    "vote",
    "mayor",
    "bus",
    "river",
    "flood",
    "park",
    "tax",
    "hospital",
    "nurses",
    "teachers",
    "strike",
    "parking",
    "bins",
    "recycling",
    "clinic",
    "bridge",
    "tram",
    "cyclists",
    "pensioners",
    "students",
    "market",
    "harbour",
    "ferry",
    "museum",
    "theatre",
]


def long_body(n: int) -> str:
    words = random.Random(n).sample(WORDS, 24)
    return (
        f"I read this twice and the part about the {words[0]} misses the point: "
        + " ".join(words[1:12])
        + ".\n\n- "
        + "\n- ".join(words[12:15])
        + "\n\n"
        + " ".join(words[15:])
        + f". See https://council.example.org/minutes/{n} for more."
    )


def cards_in_view(page) -> int:
    """How many comment cards are wholly inside the window."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("li.comment")).filter((card) => {
            const box = card.getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }).length"""
    )


def queue_of(live, count: int) -> list[int]:
    return [
        post_comment(live, article=f"news/story-{n % 4}", body=long_body(n)) for n in range(count)
    ]


def switch_view(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_compact_view_shows_fifteen_or_more_comments_on_a_1000_pixel_window(
    chromium, live, page_log
):
    ids = queue_of(live, 24)
    with watched_tab(chromium, live.url, page_log, 10_000, viewport=SCREEN) as page:
        sign_in(page)
        full = cards_in_view(page)
        switch_view(page, "Compact view")

        expect(page.locator("ol.comments")).to_have_class(re.compile(r"\bcompact\b"))
        assert cards_in_view(page) >= 15, f"{cards_in_view(page)} in the compact view"
        assert full < cards_in_view(page)
        # A closed card still says who, where, the start of the text and why it was held.
        card = page.locator(f"#c{ids[0]}")
        expect(card.locator(".name")).to_be_visible()
        expect(card.locator(".article")).to_contain_text("news/story-0")
        expect(card.locator(".body")).to_contain_text("I read this twice")
        expect(card.locator(".reasons")).to_be_visible()
        expect(card.locator(".actions")).to_be_hidden()
    assert page_log.problems() == []


def test_a_compact_card_opens_on_j_and_on_a_click_and_its_buttons_work(chromium, live, page_log):
    ids = queue_of(live, 6)
    with watched_tab(chromium, live.url, page_log, 10_000, viewport=SCREEN) as page:
        sign_in(page)
        switch_view(page, "Compact view")

        page.keyboard.press("j")
        expect(page.locator(f"#c{ids[0]} .actions")).to_be_visible()
        expect(page.locator(f"#c{ids[1]} .actions")).to_be_hidden()

        page.locator(f"#c{ids[2]} .body").click()
        third = page.locator(f"#c{ids[2]}")
        expect(third.locator(".actions")).to_be_visible()
        expect(page.locator(f"#c{ids[0]} .actions")).to_be_hidden()
        # The opened card stays open while its own button is clicked, and the keys follow it.
        third.get_by_role("button", name="Reject").click()
        expect(third.locator(".badge")).to_have_text("rejected")
        page.keyboard.press("a")
        expect(third.locator(".badge")).to_have_text("approved")
        expect(page.locator(f"#c{ids[3]} .actions")).to_be_visible()
        expect(third.locator(".actions")).to_be_hidden()

        # Selecting with the mouse leaves every row closed and where it was.
        before = page.locator(f"#c{ids[5]}").bounding_box()
        page.get_by_label(f"Select comment {ids[4]}").check()
        page.get_by_label(f"Select comment {ids[5]}").check()
        expect(page.get_by_label(f"Select comment {ids[5]}")).to_be_checked()
        expect(page.locator(f"#c{ids[5]} .actions")).to_be_hidden()
        assert page.locator(f"#c{ids[5]}").bounding_box() == before
    assert page_log.problems() == []


def test_the_compact_choice_follows_the_moderator_and_not_the_others(chromium, live, page_log):
    queue_of(live, 3)
    with live.app.app_context():
        accounts.create_moderator("noor", NOOR_PASSWORD)
    with watched_tab(chromium, live.url, page_log, 10_000, viewport=SCREEN) as page:
        sign_in(page)
        switch_view(page, "Compact view")
        page.reload()
        expect(page.locator("ol.comments")).to_have_class(re.compile(r"\bcompact\b"))

    # Another browser, without JavaScript even: the same moderator's queue is compact.
    with watched_tab(
        chromium, live.url, page_log, 10_000, viewport=SCREEN, java_script_enabled=False
    ) as other_browser:
        sign_in(other_browser)
        expect(other_browser.locator("ol.comments")).to_have_class(re.compile(r"\bcompact\b"))
        expect(other_browser.get_by_role("button", name="Full view")).to_be_visible()

    # Another moderator keeps the default, full view.
    with watched_tab(chromium, live.url, page_log, 10_000, viewport=SCREEN) as colleague:
        sign_in(colleague, "noor", NOOR_PASSWORD)
        expect(colleague.locator("ol.comments")).not_to_have_class(re.compile(r"\bcompact\b"))
        expect(colleague.get_by_role("button", name="Compact view")).to_be_visible()

    # Back to the full view, as a plain form post without JavaScript.
    with watched_tab(
        chromium, live.url, page_log, 10_000, viewport=SCREEN, java_script_enabled=False
    ) as page:
        sign_in(page)
        switch_view(page, "Full view")
        expect(page.locator("ol.comments")).not_to_have_class(re.compile(r"\bcompact\b"))
    with live.app.app_context():
        views = dict(db.session.query(Moderator.username, Moderator.queue_view).all())
    assert views == {"mia": QueueView.FULL, "noor": QueueView.FULL}
    assert page_log.problems() == []
