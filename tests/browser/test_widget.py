"""The embeddable widget in headless Chromium, on a host page served from another origin than
the API: the thread, the form and its messages, moderation round trips, the author's pending
comments, counts, strings, the host page's styles, and CORS refusing other origins."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from service import auth
from service.extensions import db
from service.models import Article, Comment, ModerationEvent
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import LAPTOP, HostSite, LiveServer, watched_tab
from tests.browser.helpers import post_comment, status_of
from tests.browser.naughty import BLNS, PAYLOADS, WEBSITES, inspect_page, submit_naughty
from tests.conftest import approve, submit

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

ARTICLE = "blog/hello"


def article_page(
    api: LiveServer,
    article: str | None = ARTICLE,
    head: str = "",
    body: str = "",
    attributes: str = "",
    title: str = "Hello, world",
) -> str:
    """A host site's article page with the two embed lines (and whatever else it has)."""
    data_article = f' data-article="{article}"' if article is not None else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="data:,">{head}</head>
<body><main><h1>{title}</h1><p class="lede">An article on the host site.</p></main>{body}
<div id="comments"{data_article}{attributes}></div>
<script src="{api.url}/widget.js" async></script></body></html>"""


def start_api(host_site: HostSite, serve: Any, **overrides: Any) -> LiveServer:
    """The API allowing exactly the host site's origin, whose /article embeds the widget.
    Feeds are not cached and the form's time trap is off, so a test reads what it just did."""
    settings = {"FEED_MAX_AGE": 0, "FEED_STATE_SECONDS": 0, "MIN_FORM_SECONDS": 0}
    api = serve(**settings | overrides, ALLOWED_ORIGINS=(host_site.url,))
    host_site.pages["/article"] = article_page(api)
    return api


@pytest.fixture
def site(host_site: HostSite, serve: Any) -> tuple[HostSite, LiveServer]:
    return host_site, start_api(host_site, serve)


@pytest.fixture
def tab(chromium: Any, site: tuple[HostSite, LiveServer], page_log: Any) -> Any:
    with watched_tab(chromium, site[0].url, page_log, 10_000, viewport=LAPTOP) as page:
        yield page


def moderator_headers(api: LiveServer) -> dict[str, str]:
    with api.app.app_context():
        return {"Authorization": f"Bearer {auth.create_api_token('mia', 'widget tests')}"}


def approve_all(api: LiveServer, *ids: int) -> None:
    """Approve through the moderation API, as a moderator's script would."""
    client, headers = api.app.test_client(), moderator_headers(api)
    for comment_id in ids:
        approve(client, headers, comment_id)


def published(api: LiveServer, article: str = ARTICLE, **fields: Any) -> int:
    comment_id = post_comment(api, article=article, **fields)
    approve_all(api, comment_id)
    return comment_id


def widget(page: Any) -> Any:
    """The widget's root (Playwright's CSS locators pierce its open shadow root)."""
    return page.locator("#comments")


def open_article(page: Any, path: str = "/article") -> Any:
    page.goto(path)
    expect(widget(page).locator("h2").first).not_to_have_text("Loading comments…")
    return widget(page)


def textbox(root: Any, label: str) -> Any:
    # By accessible name: the label's required mark is hidden from it.
    return root.get_by_role("textbox", name=label, exact=True)


def fill_form(root: Any, **values: str) -> None:
    labels = {"name": "Name", "email": "Email", "website": "Website", "body": "Comment"}
    for key, value in values.items():
        textbox(root, labels[key]).fill(value)


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

    root = open_article(tab)

    expect(root.locator("h2").first).to_have_text("3 comments")
    ada = root.locator(f"#comment-{first}")
    expect(ada.locator(".name").first).to_have_text("Ada")
    link = ada.locator("a.name").first
    expect(link).to_have_attribute("href", "https://ada.example/")
    expect(link).to_have_attribute("rel", "nofollow ugc noopener")
    expect(ada.locator(".body em").first).to_have_text("post")
    avatar = ada.locator("img.avatar").first
    expect(avatar).to_have_attribute("src", re.compile(re.escape(api.url) + r"/api/v1/avatars/"))
    assert avatar.evaluate("img => img.complete && img.naturalWidth > 0")
    time = ada.locator("time").first
    expect(time).to_have_text(re.compile(r"^(just now|1 minute ago)$"))
    expect(time).to_have_attribute("title", re.compile(r"\d{4}"))
    # The reply sits in its parent's reply list; the orphan under a placeholder.
    expect(root.locator(f"#comment-{first} > .replies > #comment-{reply}")).to_have_count(1)
    holder = root.locator(f"li.comment:has(> .replies > #comment-{orphan})")
    expect(holder.locator("> .removed")).to_have_text("This comment was removed.")
    expect(root.get_by_role("button", name="Reply")).to_have_count(3)
    assert page_log.problems() == []


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


def serve_feed(page: Any, host: HostSite, comments: list[dict[str, Any]]) -> None:
    """Answer the page's feed requests with these comments (fields the server may add)."""
    page.route(
        re.compile(r".*/api/v1/articles/.*/comments$"),
        lambda route: route.fulfill(
            json={
                "article": ARTICLE,
                "count": len(comments),
                "next_cursor": None,
                "comments": comments,
            },
            headers={"Access-Control-Allow-Origin": host.url},
        ),
    )


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


def comment_view(comment_id: int, body: str, **flags: bool) -> dict[str, Any]:
    return {
        "id": comment_id,
        "parent_id": None,
        "parent_removed": False,
        "name": f"Reader {comment_id}",
        "website": None,
        "avatar": "/api/v1/avatars/0123456789abcdef0123.svg",
        "body_html": f"<p>{body}</p>",
        "created_at": "2026-11-24T10:00:00+00:00",
        **flags,
    }


def test_strings_can_be_replaced_by_language_and_by_a_js_object(site, tab, page_log):
    host, api = site
    published(api)
    host.pages["/de"] = article_page(
        api,
        attributes=' data-lang="de"',
        head="""<script>window.commentdeskStrings = {
            de: {comments_one: "{n} Kommentar", comments_other: "{n} Kommentare",
                 title: "Antworten", reply: "Antworten", submit: "Kommentar abschicken",
                 justNow: "gerade eben", ago_minute_one: "vor einer Minute"},
            name: "Ihr Name"};</script>""",
    )
    root = open_article(tab, "/de")
    expect(root.locator("h2").first).to_have_text("1 Kommentar")
    expect(root.get_by_role("button", name="Kommentar abschicken")).to_be_visible()
    expect(textbox(root, "Ihr Name")).to_be_visible()
    # Untranslated strings stay English.
    expect(textbox(root, "Email")).to_be_visible()
    expect(root.locator("time").first).to_have_text(re.compile(r"^(gerade eben|vor einer Minute)$"))
    # The exact time on hover follows the language whose strings were given.
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


def test_naughty_strings_in_names_websites_and_bodies_render_inert(
    host_site, serve, chromium, page_log
):
    api = start_api(host_site, serve, FEED_PAGE_SIZE=200)
    client = api.app.test_client()
    carried = {"name": 0, "body": 0, "website": 0}
    corpus = BLNS + PAYLOADS
    for n, text in enumerate(corpus):
        website = WEBSITES[n % len(WEBSITES)] if n >= len(BLNS) else text
        for name in submit_naughty(client, "naughty", n, text, website):
            carried[name] += 1
    # A hostile parent with a hostile reply.
    parent = submit(client, "naughty", name=PAYLOADS[8][:80], body=PAYLOADS[0]).get_json()["id"]
    submit(client, "naughty", name=PAYLOADS[9][:80], body=PAYLOADS[4], parent_id=parent)
    assert carried["body"] >= len(corpus) - 10 and carried["name"] >= 350, carried
    with api.app.app_context():
        ids = list(db.session.scalars(select(Comment.id).order_by(Comment.id)))
    headers = moderator_headers(api)
    for start in range(0, len(ids), 500):
        response = client.post(
            "/api/v1/moderation/actions",
            json={"action": "approve", "ids": ids[start : start + 500]},
            headers=headers,
        )
        assert response.status_code == 200, response.get_json()
    assert status_of(api, ids[-1]) == "approved"
    host_site.pages["/naughty"] = article_page(
        api, article="naughty", head="<script>window.__xss = undefined;</script>"
    )

    with watched_tab(chromium, host_site.url, page_log, 15_000, viewport=LAPTOP) as page:
        root = open_article(page, "/naughty")
        more = root.get_by_role("button", name="Load more comments")
        while more.is_visible():
            shown = root.locator("li.comment").count()
            more.click()
            page.wait_for_function(
                "n => document.querySelector('#comments').shadowRoot"
                ".querySelectorAll('li.comment').length > n",
                arg=shown,
            )
        expect(root.locator("li.comment")).to_have_count(len(ids))
        # Reply to the hostile parent: its name goes into "Replying to …".
        root.locator(f"#comment-{parent}").get_by_role("button", name="Reply").first.click()
        expect(root.get_by_text("Replying to")).to_have_text(f"Replying to {PAYLOADS[8][:80]}")
        page.keyboard.press("Tab")
        page.wait_for_timeout(200)
        found = inspect_page(page, trusted_origins=(api.url,))
        names = root.locator("li.comment .name").all_inner_texts()

    assert found["xss"] is None, found["xss"]
    assert found["handlers"] == [], found["handlers"]
    assert found["badLinks"] == [], found["badLinks"]
    assert found["scripts"] == [None, f"{api.url}/widget.js"], found["scripts"]
    assert found["foreignInBodies"] == [], found["foreignInBodies"]
    # The widget's own stylesheet, and no embedded element but the avatars.
    assert (found["styles"], found["embeds"], found["rows"]) == (1, 0, len(ids)), found
    # Shown as typed, as text.
    assert PAYLOADS[0] in names and PAYLOADS[1] in names
    assert page_log.problems() == []


HOST_CSS = """<style>
html { overflow-y: scroll; }
body { font-family: Georgia, serif; color: rgb(20, 30, 40); background: rgb(250, 245, 230); }
#comments { font-size: 19px; }
h2 { color: rgb(200, 0, 0); text-transform: uppercase; letter-spacing: 5px; }
p, li { margin: 13px; color: rgb(0, 128, 0); }
ol, ul { list-style: square; padding-left: 3px; }
button { display: none; }
input, textarea { width: 7px; border: 4px dotted red; }
.comment, .body, .name, .meta, form, .error, time { display: none; }
</style>"""
HOST_MARKUP = """<aside><h2 class="related">Related</h2>
<ul><li class="comment">A host list item <span class="name">named</span></li></ul>
<p class="body">Host paragraph.</p><button type="button">Host button</button>
<form class="host-form"><input name="q" value="search"><textarea>notes</textarea></form></aside>"""
# Every computed property of the host's own elements.
HOST_STYLES = """() => Array.from(document.querySelectorAll("main *, aside *")).map((element) => {
    const style = getComputedStyle(element);
    return [element.tagName, Object.fromEntries(Array.from(style).map((p) => [p, style[p]]))];
})"""


def test_the_host_pages_own_styles_are_untouched(site, tab, page_log):
    host, api = site
    published(api, name="Ada", body="Styled by the host?")
    host.pages["/plain"] = article_page(api, head=HOST_CSS, body=HOST_MARKUP).replace(
        f'<script src="{api.url}/widget.js" async></script>', ""
    )
    host.pages["/styled"] = article_page(api, head=HOST_CSS, body=HOST_MARKUP)
    tab.goto("/plain")
    before = tab.evaluate(HOST_STYLES)
    root = open_article(tab, "/styled")
    expect(root.locator("li.comment")).to_have_count(1)
    after = tab.evaluate(HOST_STYLES)
    assert len(before) == len(after) > 10
    for (tag, old), (_, new) in zip(before, after, strict=True):
        changed = {p: (old[p], new[p]) for p in old if old[p] != new[p]}
        assert changed == {}, (tag, changed)
    assert page_log.problems() == []


def test_the_host_pages_rules_do_not_break_the_widget_but_its_font_and_colour_carry_in(
    site, tab, page_log
):
    host, api = site
    published(api, name="Ada", body="Still readable.")
    host.pages["/styled"] = article_page(api, head=HOST_CSS, body=HOST_MARKUP)
    root = open_article(tab, "/styled")
    comment = root.locator("li.comment").first
    expect(comment).to_be_visible()
    expect(comment.locator(".body")).to_be_visible()
    expect(comment.get_by_role("button", name="Reply")).to_be_visible()
    expect(root.get_by_role("button", name="Post comment")).to_be_visible()
    assert textbox(root, "Comment").bounding_box()["width"] > 200
    heading = root.locator("h2").first
    styles = heading.evaluate(
        "e => { const s = getComputedStyle(e); "
        "return [s.color, s.fontFamily, s.textTransform, s.letterSpacing]; }"
    )
    # The host's h2 rule stays outside; its body font and colour come in.
    assert styles == ["rgb(20, 30, 40)", "Georgia, serif", "none", "normal"]
    assert comment.evaluate("e => getComputedStyle(e).fontSize") == "19px"
    assert comment.evaluate("e => getComputedStyle(e).listStyleType") == "none"
    assert page_log.problems() == []


def test_an_origin_not_allowed_gets_nothing(host_site, serve, chromium, page_log):
    api = serve(ALLOWED_ORIGINS=("https://blog.example.com",))
    published(api, body="Private to the allowed site.")
    host_site.pages["/article"] = article_page(
        api, body='<span data-commentdesk-count="blog/hello">count</span>'
    )
    with watched_tab(chromium, host_site.url, page_log, 10_000) as page:
        page.goto("/article")
        root = widget(page)
        expect(root.locator("[role=status]").first).to_have_text(
            "The comments could not be loaded. Please try again later."
        )
        expect(root.locator("li.comment")).to_have_count(0)
        expect(page.locator("[data-commentdesk-count]")).to_have_text("count")
        assert "Private" not in root.inner_text()
    # The browser refused to hand the answers to the page.
    assert any("CORS policy" in error for error in page_log.console_errors), page_log
    assert page_log.dialogs == page_log.page_errors == []


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


def test_it_fits_a_phone_screen(site, chromium, page_log):
    host, api = site
    published(api, name="A rather long name for a phone", body="x" * 300)
    with watched_tab(
        chromium,
        host.url,
        page_log,
        10_000,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
    ) as phone:
        root = open_article(phone)
        expect(root.locator("li.comment")).to_have_count(1)
        overflow = phone.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        box = textbox(root, "Comment").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page_log.problems() == []


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
