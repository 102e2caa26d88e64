"""The widget and its host page keep apart: hostile comments render inert, the page's styles
stay untouched and do not break the widget, other origins get nothing, phones fit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Comment
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import LAPTOP, article_page, start_api, watched_tab
from tests.browser.helpers import status_of
from tests.browser.naughty import BLNS, PAYLOADS, WEBSITES, inspect_page, submit_naughty
from tests.browser.widget_pages import moderator_headers, open_article, published, textbox, widget
from tests.conftest import submit

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser


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
    # Most of the corpus gets through as text, as it should: refusing it is not the defence.
    assert carried["body"] >= len(corpus) - 10, carried
    assert carried["name"] >= 350 and carried["website"] >= 3, carried
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
        adopted = root.evaluate("host => host.shadowRoot.adoptedStyleSheets.length")

    assert found["xss"] is None, found["xss"]
    assert found["handlers"] == [], found["handlers"]
    assert found["badLinks"] == [], found["badLinks"]
    assert found["scripts"] == [None, f"{api.url}/widget.js"], found["scripts"]
    assert found["foreignInBodies"] == [], found["foreignInBodies"]
    # No <style> element (the widget's own sheet is a constructed one, adopted by its shadow
    # root), and no embedded element but the avatars.
    assert (found["styles"], found["embeds"], found["rows"]) == (0, 0, len(ids)), found
    assert adopted == 1
    # Shown as typed, as text.
    assert PAYLOADS[0] in names and PAYLOADS[1] in names
    assert page_log.problems() == []


HOST_CSS = """<style>
html { overflow-y: scroll; }
body { font-family: Georgia, serif; color: rgb(20, 30, 40); background: rgb(250, 245, 230);
       text-align: center; text-transform: uppercase; letter-spacing: 2px; white-space: nowrap; }
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
        "return [s.color, s.fontFamily, s.textTransform, s.letterSpacing, s.textAlign, "
        "s.whiteSpace]; }"
    )
    # The host's h2 rule stays outside; its body font and colour come in, its alignment,
    # case, spacing and wrapping for the page's own text do not.
    assert styles == ["rgb(20, 30, 40)", "Georgia, serif", "none", "normal", "start", "normal"]
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
