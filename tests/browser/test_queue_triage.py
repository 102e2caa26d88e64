"""The queue as a moderator triages it in headless Chromium: a coordinated wave opens in place
and follows the article filter, short praise is no wave, an exact address typed into search
finds that commenter, and each card names its article by title, linked to the page."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from service.extensions import db
from service.models import Article
from tests.browser.chromium import playwright_or_skip
from tests.browser.helpers import post_comment, sign_in, status_of

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

PRAISE = "Great reporting, thanks for covering this."
SPAM = "Make money from home, I earned $900 last week! See https://quick-cash.example/join"


def test_a_wave_opens_in_place_follows_the_article_filter_and_praise_is_no_wave(
    live, page, page_log
):
    for n in range(5):
        post_comment(
            live, "news/budget", name=f"Reader {n}", email=f"r{n}@example.org", body=PRAISE
        )
    here = [
        post_comment(live, "news/a", name=f"Earner {n}", email=f"a{n}@cash.example", body=SPAM)
        for n in range(3)
    ]
    elsewhere = post_comment(live, "news/b", name="Earner b", email="b0@cash.example", body=SPAM)
    sign_in(page)

    waves = page.locator(".wave")
    expect(waves).to_have_count(1)
    expect(waves.locator(".wave-summary")).to_contain_text("4 near-identical comments")
    members = waves.locator(".wave-member")
    expect(members.first).to_be_hidden()
    waves.get_by_text("Who is in it (4)").click()
    expect(members).to_have_count(4)
    expect(members.first).to_be_visible()
    expect(waves.locator(".wave-members")).to_contain_text("Earner 0")

    page.get_by_label("Article", exact=True).fill("news/a")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".wave .wave-summary")).to_contain_text("3 near-identical comments")
    page.locator(".wave").get_by_role("button", name="Spam all 3").click()

    expect(page.locator("#flashes")).to_contain_text("3 comments marked as spam.")
    assert [status_of(live, i) for i in here] == ["spam"] * 3
    assert status_of(live, elsewhere) == "pending"
    assert page_log.problems() == []


def test_an_exact_address_typed_into_search_finds_that_commenters_comments(live, page, page_log):
    ada = [
        post_comment(live, email="ada@example.org", body="First thought on the budget."),
        post_comment(live, email="ada@example.org", body="A second, later thought."),
    ]
    other = post_comment(live, email="adam@example.org", body="Someone else entirely.")
    sign_in(page)

    page.get_by_label("Search", exact=True).fill("  Ada@Example.org ")
    page.get_by_role("button", name="Filter").click()

    for comment_id in ada:
        expect(page.locator(f"#c{comment_id}")).to_be_visible()
    expect(page.locator(f"#c{other}")).to_have_count(0)

    # Part of an address is no address: it finds nothing through the hash.
    page.get_by_label("Search", exact=True).fill("ada@example")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("li.comment")).to_have_count(0)
    assert page_log.problems() == []


def test_each_card_names_its_article_by_title_linked_to_the_page(live, page, page_log):
    titled = post_comment(live, "news/2026/budget-vote", body="On the budget vote.")
    untitled = post_comment(live, "blog/notes", body="On the notes.")
    with live.app.app_context():
        db.session.execute(
            update(Article)
            .where(Article.key == "news/2026/budget-vote")
            .values(title="Council passes the <budget>", url="https://news.example/budget")
        )
        db.session.commit()
    sign_in(page)

    link = page.locator(f"#c{titled} .article a")
    expect(link).to_have_text("Council passes the <budget>")
    expect(link).to_have_attribute("href", "https://news.example/budget")
    expect(page.locator(f"#c{titled} .article .key")).to_have_text("(news/2026/budget-vote)")
    # Without a title, the key itself links to the page on the site.
    other = page.locator(f"#c{untitled} .article a")
    expect(other).to_have_text("blog/notes")
    expect(other).to_have_attribute("href", "https://blog.example.com/blog/notes")
    assert page_log.problems() == []
