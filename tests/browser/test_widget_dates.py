"""The widget's dates in headless Chromium: relative and exact times in the widget's language
(data-lang, else <html lang>, else the browser's), from the browser's Intl formatters, with
no translation table on the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import LAPTOP, article_page, watched_tab
from tests.browser.widget_pages import comment_view, open_article, serve_feed

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
STAMPS = [
    "2026-11-25T11:59:30+00:00",
    "2026-11-25T11:59:00+00:00",
    "2026-11-25T11:55:00+00:00",
    "2026-11-25T09:30:00+00:00",
    "2026-11-24T10:00:00+00:00",
    "2026-11-20T12:00:00+00:00",
    "2026-10-01T12:00:00+00:00",
    "2024-11-01T12:00:00+00:00",
]
GERMAN = [
    "jetzt",
    "vor 1 Minute",
    "vor 5 Minuten",
    "vor 2 Stunden",
    "gestern",
    "vor 5 Tagen",
    "letzten Monat",
    "vor 2 Jahren",
]
ENGLISH = [
    "just now",
    "1 minute ago",
    "5 minutes ago",
    "2 hours ago",
    "yesterday",
    "5 days ago",
    "last month",
    "2 years ago",
]
# The exact time on hover of 2026-11-24T10:00Z (the hour depends on the machine's zone).
GERMAN_EXACT = re.compile(r"^24\. November 2026 um \d{1,2}:00$")
ENGLISH_EXACT = re.compile(r"^November 24, 2026 at \d{1,2}:00\s?[AP]M$")


def show_dates(tab, host, path: str, page: str) -> object:
    """Open `page` at `path` at NOW, its feed answering with one comment per stamp."""
    host.pages[path] = page
    tab.clock.set_fixed_time(NOW)
    serve_feed(
        tab, host, [comment_view(n, "x") | {"created_at": at} for n, at in enumerate(STAMPS, 1)]
    )
    return open_article(tab, path)


def test_data_lang_de_shows_german_dates_without_strings(site, tab, page_log):
    host, api = site
    root = show_dates(tab, host, "/de", article_page(api, attributes=' data-lang="de"'))
    expect(root.locator("time")).to_have_text(GERMAN)
    expect(root.locator("time").nth(4)).to_have_attribute("title", GERMAN_EXACT)
    # Only the dates: the other strings stay English without a table.
    expect(root.get_by_role("button", name="Post comment")).to_be_visible()
    assert page_log.problems() == []


def test_english_page_shows_english_dates(site, tab, page_log):
    host, api = site
    root = show_dates(tab, host, "/en", article_page(api, attributes=' data-lang="en"'))
    expect(root.locator("time")).to_have_text(ENGLISH)
    expect(root.locator("time").nth(4)).to_have_attribute("title", ENGLISH_EXACT)
    assert page_log.problems() == []


def test_without_data_lang_the_pages_html_lang_decides(site, tab, page_log):
    host, api = site
    page = article_page(api).replace('<html lang="en">', '<html lang="de-DE">')
    root = show_dates(tab, host, "/seite", page)
    expect(root.locator("time")).to_have_text(GERMAN)
    expect(root.locator("time").nth(4)).to_have_attribute("title", GERMAN_EXACT)
    assert page_log.problems() == []


def test_without_any_lang_the_browsers_language_decides(chromium, site, page_log):
    host, api = site
    page = article_page(api).replace('<html lang="en">', "<html>")
    with watched_tab(chromium, host.url, page_log, 10_000, viewport=LAPTOP, locale="de-DE") as tab:
        root = show_dates(tab, host, "/ohne", page)
        expect(root.locator("time")).to_have_text(GERMAN)
    assert page_log.problems() == []


def test_a_custom_just_now_string_still_applies(site, tab, page_log):
    host, api = site
    strings = '<script>window.commentdeskStrings = {de: {justNow: "gerade eben"}};</script>'
    page = article_page(api, attributes=' data-lang="de"', head=strings)
    root = show_dates(tab, host, "/eben", page)
    expect(root.locator("time")).to_have_text(["gerade eben", *GERMAN[1:]])
    assert page_log.problems() == []


def test_a_malformed_language_falls_back_to_english_dates(site, tab, page_log):
    host, api = site
    root = show_dates(tab, host, "/bad", article_page(api, attributes=' data-lang="de_DE!"'))
    expect(root.locator("time")).to_have_text(ENGLISH)
    assert page_log.problems() == []
