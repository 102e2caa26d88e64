"""The widget's thread in headless Chromium, on a host page of another origin than the API:
comments, replies, placeholders, pagination, badges, times, strings, counts, the demo page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from service.extensions import db
from service.models import Article, Comment
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import ARTICLE, LAPTOP, article_page, start_api, watched_tab
from tests.browser.helpers import post_comment
from tests.browser.widget_pages import (
    approve_all,
    comment_view,
    fill_form,
    moderator_headers,
    open_article,
    published,
    serve_feed,
    textbox,
    widget,
)

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser


def test_widget_renders_the_thread_from_the_api_on_another_origin(site, tab, page_log):
    host, api = site
    first = published(api, name="Ada", body="Lovely *post*.", website="https://ada.example")
    reply = published(api, name="Grace", body="Agreed.", parent_id=first)
    orphan_parent = published(api, name="Linus", body="Soon gone.")
    orphan = published(api, name="Barbara", body="Still here.", parent_id=orphan_parent)
    api.app.test_client().post(
        f"/api/v1/moderation/comments/{orphan_parent}/reject", headers=moderator_headers(api)
    )
    assert host.url != api.url

    asked: list[str] = []
    tab.on("request", lambda request: asked.append(request.url))
    root = open_article(tab)

    expect(root.locator("h2").first).to_have_text("3 comments")
    ada = root.locator(f"#comment-{first}")
    expect(ada.locator(".name").first).to_have_text("Ada")
    link = ada.locator("a.name").first
    expect(link).to_have_attribute("href", "https://ada.example/")
    expect(link).to_have_attribute("rel", "nofollow ugc noopener noreferrer")
    expect(ada.locator(".body em").first).to_have_text("post")
    avatar = ada.locator("img.avatar").first
    expect(avatar).to_have_attribute("src", re.compile(re.escape(api.url) + r"/api/v1/avatars/"))
    # decode() waits for the image to arrive and rejects if it cannot be shown.
    assert avatar.evaluate("img => img.decode().then(() => img.naturalWidth > 0, () => false)")
    time = ada.locator("time").first
    expect(time).to_have_text(re.compile(r"^(just now|1 minute ago)$"))
    expect(time).to_have_attribute("title", re.compile(r"\d{4}"))
    # The reply sits in its parent's reply list; the orphan under a placeholder.
    expect(root.locator(f"#comment-{first} > .replies > #comment-{reply}")).to_have_count(1)
    holder = root.locator(f"li.comment:has(> .replies > #comment-{orphan})")
    expect(holder.locator("> .removed")).to_have_text("This comment was removed.")
    expect(root.get_by_role("button", name="Reply")).to_have_count(3)
    # Nobody but the site and the service hears of the reader.
    assert asked and all(url.startswith((host.url, api.url)) for url in asked), asked
    assert page_log.problems() == []


def test_a_reply_nests_under_its_parent(site, tab, page_log):
    _, api = site
    parent = published(api, name="Ada", body="Parent comment.")
    root = open_article(tab)
    root.locator(f"#comment-{parent}").get_by_role("button", name="Reply").click()
    expect(root.get_by_text("Replying to Ada")).to_be_visible()
    # The name field has focus: the keyboard user types straight away.
    tab.keyboard.type("Grace")
    fill_form(root, email="grace@example.org", body="A reply.")
    root.get_by_role("button", name="Post comment").click()

    expect(root.locator(f"#comment-{parent} > .replies > li.pending")).to_contain_text("A reply.")
    with api.app.app_context():
        reply = db.session.query(Comment).filter_by(body="A reply.").one()
        assert (reply.parent_id, reply.name) == (parent, "Grace")
    approve_all(api, reply.id)
    tab.reload()
    nested = widget(tab).locator(f"#comment-{parent} > .replies > #comment-{reply.id}")
    expect(nested).to_contain_text("A reply.")
    expect(nested).not_to_have_class(re.compile("pending"))
    assert page_log.problems() == []


def test_load_more_fetches_the_next_page_by_cursor(host_site, serve, chromium, page_log):
    api = start_api(host_site, serve, FEED_PAGE_SIZE=3)
    ids = [post_comment(api, body=f"Comment {n}.") for n in range(7)]
    approve_all(api, *ids)
    with watched_tab(chromium, host_site.url, page_log, 10_000) as page:
        root = open_article(page)
        expect(root.locator("h2").first).to_have_text("7 comments")
        expect(root.locator("li.comment")).to_have_count(3)
        more = root.get_by_role("button", name="Load more comments")
        more.click()
        expect(root.locator("li.comment")).to_have_count(6)
        more.click()
        expect(root.locator("li.comment")).to_have_count(7)
        expect(more).to_be_hidden()
        # Keyboard users land on the first comment that came in.
        expect(root.locator(f"#comment-{ids[6]} > article")).to_be_focused()
        texts = root.locator("li.comment .body").all_inner_texts()
        assert texts == [f"Comment {n}." for n in range(7)]
    assert page_log.problems() == []


def test_pinned_and_edited_comments_are_marked(site, tab, page_log):
    host, _ = site
    # The feed fields of issues 5 and 8, as the server will send them.
    serve_feed(
        tab,
        host,
        [
            comment_view(1, "Pinned one", pinned=True),
            comment_view(2, "Edited one", edited=True),
            comment_view(3, "Fixed by staff", moderator_edited=True, edited=True),
        ],
    )
    root = open_article(tab)
    expect(root.locator("[part=pinned] #comment-1 .badge")).to_have_text("Pinned")
    expect(root.locator("#comment-2 .badge")).to_have_text("edited")
    expect(root.locator("#comment-3 .badge")).to_have_text("edited by a moderator")
    assert page_log.problems() == []


def test_times_read_relative_with_the_exact_time_on_hover(site, tab, page_log):
    host, _ = site
    tab.clock.set_fixed_time(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    ages = {
        "2026-11-25T11:59:30+00:00": "just now",
        "2026-11-25T11:59:00+00:00": "1 minute ago",
        "2026-11-25T09:30:00+00:00": "2 hours ago",
        "2026-11-24T10:00:00+00:00": "yesterday",
        "2026-11-20T12:00:00+00:00": "5 days ago",
        "2026-10-01T12:00:00+00:00": "last month",
        "2024-11-01T12:00:00+00:00": "2 years ago",
    }
    serve_feed(
        tab,
        host,
        [comment_view(n, "x") | {"created_at": stamp} for n, stamp in enumerate(ages, 1)],
    )
    root = open_article(tab)
    expect(root.locator("time")).to_have_text(list(ages.values()))
    expect(root.locator("time").nth(3)).to_have_attribute("datetime", "2026-11-24T10:00:00+00:00")
    expect(root.locator("time").nth(3)).to_have_attribute(
        "title", re.compile(r"^November 24, 2026 at \d{1,2}:00")
    )
    assert page_log.problems() == []


def test_strings_can_be_replaced_by_language_and_by_a_js_object(site, tab, page_log):
    host, api = site
    published(api)
    host.pages["/de"] = article_page(
        api,
        attributes=' data-lang="de"',
        head="""<script>window.commentdeskStrings = {
            de: {comments_one: "{n} Kommentar", comments_other: "{n} Kommentare",
                 title: "Antworten", reply: "Antworten", submit: "Kommentar abschicken",
                 justNow: "gerade eben"},
            name: "Ihr Name"};</script>""",
    )
    root = open_article(tab, "/de")
    expect(root.locator("h2").first).to_have_text("1 Kommentar")
    expect(root.get_by_role("button", name="Kommentar abschicken")).to_be_visible()
    expect(textbox(root, "Ihr Name")).to_be_visible()
    # Untranslated strings stay English.
    expect(textbox(root, "Email")).to_be_visible()
    # Older than a minute, the browser's Intl says it in German (no ago_* strings any more).
    expect(root.locator("time").first).to_have_text(re.compile(r"^(gerade eben|vor 1 Minute)$"))
    # The exact time on hover follows the widget's language.
    expect(root.locator("time").first).to_have_attribute("title", re.compile(r"\d{4} um \d"))
    assert page_log.problems() == []


def test_counts_are_filled_from_one_request(site, tab, page_log):
    host, api = site
    published(api, article="blog/a")
    published(api, article="blog/a")
    published(api, article="blog/b")
    host.pages["/list"] = (
        """<!doctype html><html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="data:,"></head><body>
<p><a href="/a">A</a> <span data-commentdesk-count="blog/a">…</span></p>
<p><a href="/b">B</a> <span data-commentdesk-count="blog/b">…</span></p>
<p><a href="/c">C</a> <span data-commentdesk-count="blog/c">…</span></p>
<p>Again: <span data-commentdesk-count="blog/a">…</span></p>
"""
        + f'<script src="{api.url}/widget.js" async></script></body></html>'
    )
    asked: list[str] = []
    tab.on("request", lambda r: asked.append(r.url) if "/api/" in r.url else None)
    tab.goto("/list")
    counts = tab.locator("[data-commentdesk-count]")
    expect(counts).to_have_text(["2 comments", "1 comment", "0 comments", "2 comments"])
    assert len(asked) == 1, asked
    assert asked[0].startswith(f"{api.url}/api/v1/counts?")
    assert page_log.problems() == []


def test_the_demo_page_shows_the_widget_working_on_a_zero_config_run(serve, chromium, page_log):
    # No ALLOWED_ORIGINS, as on the README's first run: the demo is on the service's origin.
    api = serve(DEMO_PAGE=True, ALLOWED_ORIGINS=(), MIN_FORM_SECONDS=0)
    with watched_tab(chromium, api.url, page_log, 10_000, viewport=LAPTOP) as page:
        root = open_article(page, "/demo")
        expect(root.locator("h2").first).to_have_text("No comments yet. Be the first.")
        expect(page.locator("[data-commentdesk-count]")).to_have_text("0 comments")
        fill_form(root, name="Ada", email="ada@example.org", body="Trying it out.")
        root.get_by_role("button", name="Post comment").click()
        expect(root.locator("form [role=status]")).to_have_text(
            "Your comment is awaiting moderation."
        )
    with api.app.app_context():
        key, body = db.session.query(Article.key, Comment.body).join(Comment.article).one()
        assert (key, body) == ("demo/welcome", "Trying it out.")
    assert page_log.problems() == []


def test_the_article_key_defaults_to_the_page_path(site, tab, page_log):
    host, api = site
    published(api, article="/posts/default-key", body="Keyed by path.")
    host.pages["/posts/default-key"] = article_page(api, article=None)
    root = open_article(tab, "/posts/default-key")
    expect(root.locator("li.comment .body")).to_have_text(["Keyed by path."])
    assert page_log.problems() == []


def test_the_no_javascript_thread_inside_the_element_gives_way_to_the_widget(site, tab, page_log):
    host, api = site
    published(api, body="Rendered on the server too.")
    # The include is shown on another site, so its links need PUBLIC_URL (never the Host).
    api.app.config["PUBLIC_URL"] = api.url
    # As the site's web server would include it.
    snippet = tab.request.get(f"{api.url}/articles/{ARTICLE}/comments.html").text()
    assert "Rendered on the server too." in snippet
    host.pages["/ssi"] = article_page(api).replace(
        f'data-article="{ARTICLE}"></div>', f'data-article="{ARTICLE}">{snippet}</div>'
    )
    root = open_article(tab, "/ssi")
    expect(root.locator("li.comment .body")).to_have_text(["Rendered on the server too."])
    # The included thread and form are still in the page, just not shown: one thread, one form.
    shown = tab.evaluate(
        "() => Array.from(document.getElementById('comments').children)"
        ".filter((e) => e.getClientRects().length > 0).length"
    )
    assert shown == 0
    expect(tab.get_by_role("button", name="Post comment")).to_have_count(1)
    assert page_log.problems() == []


def test_any_element_marked_data_commentdesk_gets_a_thread(site, tab, page_log):
    host, api = site
    published(api, article="blog/a", body="On A.")
    published(api, article="blog/b", body="On B.")
    host.pages["/two"] = article_page(api).replace(
        '<div id="comments"',
        '<section data-commentdesk data-article="blog/a"></section>'
        '<section data-commentdesk data-article="blog/b"></section><div id="comments"',
    )
    tab.goto("/two")
    threads = tab.locator("[data-commentdesk]")
    expect(threads.nth(0).locator("li.comment .body")).to_have_text(["On A."])
    expect(threads.nth(1).locator("li.comment .body")).to_have_text(["On B."])
    expect(tab.get_by_role("button", name="Post comment")).to_have_count(3)
    assert page_log.problems() == []


def test_a_fragment_pointing_at_a_comment_scrolls_to_it(site, tab, page_log):
    _, api = site
    ids = [published(api, body=f"Comment {n}.\n\n" + "Long text.\n\n" * 20) for n in range(6)]
    tab.goto(f"/article#comment-{ids[-1]}")
    expect(widget(tab).locator(f"#comment-{ids[-1]}")).to_be_in_viewport()
    assert page_log.problems() == []
