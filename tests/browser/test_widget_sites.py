"""One commentdesk, two sites: each host page's widget reads and posts its own site's thread,
whether it names its site (data-site) or the service matches the page's origin."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import LAPTOP, article_page, watched_tab
from tests.browser.widget_pages import fill_form, open_article
from tests.two_sites import add_site

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

KEY = "shared/story"


def post_in_widget(root: Any, body: str) -> None:
    fill_form(root, name="Ada", email="ada@example.org", body=body)
    root.get_by_role("button", name="Post comment").click()
    expect(root.locator("form [role=status]")).to_have_text("Your comment is published.")


def test_two_sites_widgets_keep_to_their_own_threads(host_sites, serve, chromium, page_log):
    alpha, news = host_sites(), host_sites()
    # No origins of its own for the default site: both host pages belong to other sites.
    api = serve(
        MODERATION="off",
        ALLOWED_ORIGINS=(),
        FEED_MAX_AGE=0,
        FEED_STATE_SECONDS=0,
        MIN_FORM_SECONDS=0,
    )
    add_site(api.app, "alpha", origins=[alpha.url])
    add_site(api.app, "news", origins=[news.url])
    # Alpha names its site; the news page is matched by its origin.
    alpha.pages["/article"] = article_page(api, article=KEY, attributes=' data-site="alpha"')
    news.pages["/article"] = article_page(api, article=KEY)
    requested: list[str] = []

    with watched_tab(chromium, alpha.url, page_log, 10_000, viewport=LAPTOP) as tab:
        tab.on("request", lambda r: requested.append(r.url))
        root = open_article(tab)
        expect(root.locator("h2").first).to_have_text("No comments yet. Be the first.")
        post_in_widget(root, "Alpha's reader writes.")
        tab.reload()
        root = open_article(tab)
        expect(root.locator("h2").first).to_have_text("1 comment")
        expect(root.locator("li.comment .body")).to_have_text(["Alpha's reader writes."])
    assert f"{api.url}/api/v1/sites/alpha/articles/shared/story/comments" in requested

    with watched_tab(chromium, news.url, page_log, 10_000, viewport=LAPTOP) as tab:
        root = open_article(tab)
        # The same key on the other site: its own, empty thread.
        expect(root.locator("h2").first).to_have_text("No comments yet. Be the first.")
        post_in_widget(root, "News reader one.")
        post_in_widget(root, "News reader two.")
        tab.reload()
        root = open_article(tab)
        expect(root.locator("h2").first).to_have_text("2 comments")
        expect(root.locator("li.comment .body")).to_have_text(
            ["News reader one.", "News reader two."]
        )

    with watched_tab(chromium, alpha.url, page_log, 10_000, viewport=LAPTOP) as tab:
        root = open_article(tab)
        expect(root.locator("h2").first).to_have_text("1 comment")
        expect(root.locator("li.comment .body")).to_have_text(["Alpha's reader writes."])

    # Listing pages: a count names its site, or the page's origin says it.
    count = f'<span data-commentdesk-count="{KEY}"{{}}>count</span>'
    alpha.pages["/list"] = article_page(api, article=None, body=count.format(' data-site="alpha"'))
    news.pages["/list"] = article_page(api, article=None, body=count.format(""))
    for host, shown in ((alpha, "1 comment"), (news, "2 comments")):
        with watched_tab(chromium, host.url, page_log, 10_000, viewport=LAPTOP) as tab:
            tab.goto("/list")
            expect(tab.locator("[data-commentdesk-count]")).to_have_text(shown)

    client = api.app.test_client()
    counts = {
        site: client.get(f"/api/v1/sites/{site}/counts?article={KEY}").get_json()["counts"][KEY]
        for site in ("default", "alpha", "news")
    }
    assert counts == {"default": 0, "alpha": 1, "news": 2}
    assert page_log.problems() == []
