"""Hostile comments rendered in a real browser: every entry of the Big List of Naughty Strings
(tests/data/blns.json) and a set of payloads aimed at this page, submitted as bodies, names,
websites and article keys, then the moderation pages loaded in Chromium. Nothing may run: no
dialog, no script, no event handler, no javascript: link, no console error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from service import auth, moderation
from service.extensions import db
from service.models import Moderator
from service.rendering import ALLOWED_TAGS
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import watched_tab
from tests.browser.helpers import forge_post, sign_in
from tests.conftest import VALID

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

BLNS = json.loads((Path(__file__).parent.parent / "data" / "blns.json").read_text())

# Aimed at this page: each would set window.__xss (or open a dialog) if it ever ran.
PAYLOADS = [
    '<script>window.__xss = "script"</script>',
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg onload=\"window.__xss='svg'\"></svg>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "[click me](javascript:window.__xss='md-link')",
    "<javascript:window.__xss='autolink'>",
    '![picture](x" onerror="window.__xss=1)',
    "[data](data:text/html,<script>parent.__xss=1</script>)",
    '"><script>window.__xss="attribute"</script>',
    "'><img src=x onerror=window.__xss='single-quote'>",
    '<a href="javascript:window.__xss=1">raw link</a>',
    "<details open ontoggle=\"window.__xss='toggle'\">",
    '<style>@import "https://evil.example/x.css";</style>',
    '</textarea></title></script><script>window.__xss="breakout"</script>',
    "<input autofocus onfocus=\"window.__xss='focus'\">",
    "`<script>window.__xss='code'</script>`",
    "{{ config }} {% print 7*7 %}",
]
WEBSITES = [
    'https://example.com/"><script>window.__xss=1</script>',
    "https://example.com/' onmouseover='window.__xss=1",
    "https://example.com/?q=<img src=x onerror=window.__xss=1>",
    "javascript:window.__xss=1",
    "data:text/html,<script>window.__xss=1</script>",
]
ARTICLES = [
    "xss/<img src=x onerror=window.__xss=1>",
    'xss/"><script>window.__xss=1</script>',
]

# Run in the page: everything that would mean injected markup made it into the DOM.
INSPECT_PAGE = """() => {
    const origin = location.origin;
    const handlers = [];
    for (const element of document.querySelectorAll("*")) {
        for (const attribute of element.attributes) {
            if (attribute.name.toLowerCase().startsWith("on")) {
                handlers.push(element.tagName + " " + attribute.name);
            }
        }
    }
    const badLinks = [];
    for (const element of document.querySelectorAll("[href], [src], [action], [formaction]")) {
        for (const name of ["href", "src", "action", "formaction"]) {
            const value = element.getAttribute(name);
            if (value === null || value === "data:,") continue;
            let url;
            try {
                url = new URL(value, location.href);
            } catch {
                continue; // not a URL at all: a click goes nowhere
            }
            const ok = url.origin === origin
                || ((url.protocol === "https:" || url.protocol === "http:") && name === "href")
                || url.protocol === "mailto:";
            if (!ok) badLinks.push(element.tagName + " " + name + "=" + value);
        }
    }
    const scripts = Array.from(document.scripts).map((s) => s.getAttribute("src"));
    const foreignInBodies = Array.from(document.querySelectorAll(".body *"))
        .map((e) => e.tagName.toLowerCase())
        .filter((tag) => !ALLOWED.includes(tag));
    return {
        xss: window.__xss === undefined ? null : String(window.__xss),
        handlers, badLinks, scripts,
        foreignInBodies: Array.from(new Set(foreignInBodies)),
        styles: document.querySelectorAll("style").length,
        embeds: document.querySelectorAll("iframe, object, embed, img, svg, math").length,
        rows: document.querySelectorAll("li.comment").length,
    };
}"""


def _post(client: Any, article: str, fields: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/articles/{quote(article, safe='/')}/comments", json=fields)


def submit_naughty(client: Any, article: str, n: int, text: str, website: str | None) -> set[str]:
    """Submit `text` as body and name (and `website`); fields the API refuses are replaced by
    harmless ones. Returns the fields that carried the hostile text."""
    fields = VALID | {"name": text, "body": text, "email": f"naughty{n}@example.org"}
    if website is not None:
        fields["website"] = website
    response = _post(client, article, fields)
    if response.status_code == 201:
        return {"name", "body", "website"} & fields.keys()
    assert response.status_code == 422, (text, response.get_json())
    refused = set(response.get_json()["errors"])
    assert refused <= {"name", "body", "website"}, (text, refused)
    fallback = {"name": f"Naughty {n}", "body": f"Naughty string {n} (refused as text)."}
    for name in refused:
        if name == "website":
            del fields["website"]
        else:
            fields[name] = fallback[name]
    response = _post(client, article, fields)
    assert response.status_code == 201, (text, response.get_json())
    return ({"name", "body", "website"} - refused) & fields.keys()


def inspect(page: Any, path: str) -> dict[str, Any]:
    page.goto(path)
    page.wait_for_load_state("load")
    # Give timers, autofocus and lazy handlers a moment, as a reading moderator would.
    page.keyboard.press("j")
    page.wait_for_timeout(200)
    return page.evaluate(
        f"(() => {{ const ALLOWED = {json.dumps(sorted(ALLOWED_TAGS))}; "
        f"return ({INSPECT_PAGE})(); }})()"
    )


@pytest.fixture
def naughty_server(serve: Any) -> Any:
    # One page for the whole queue, so every payload is on the page under test.
    return serve(QUEUE_PAGE_SIZE=1000)


@pytest.fixture
def naughty_page(chromium: Any, naughty_server: Any, page_log: Any) -> Any:
    with watched_tab(chromium, naughty_server.url, page_log, 15_000) as tab:
        yield tab


def test_naughty_strings_render_inert_on_every_moderation_page(
    naughty_server, naughty_page, page_log
):
    live, page = naughty_server, naughty_page
    client = live.app.test_client()
    carried: dict[str, int] = {"name": 0, "body": 0, "website": 0}
    corpus = BLNS + PAYLOADS
    for n, text in enumerate(corpus):
        website = WEBSITES[n % len(WEBSITES)] if n >= len(BLNS) else text
        for name in submit_naughty(client, f"naughty/{n % 7}", n, text, website):
            carried[name] += 1
    for n, article in enumerate(ARTICLES):
        assert _post(client, article, VALID | {"email": f"key{n}@example.org"}).status_code == 201
    # The same payload from three addresses: a wave, whose sample is rendered on its own.
    for n in range(3):
        fields = VALID | {"email": f"wave{n}@example.org", "body": PAYLOADS[1] + " cheap pills"}
        assert _post(client, "naughty/wave", fields).status_code == 201
    # A payload as the parent of a reply (shown as context) and as a decision note.
    parent = _post(
        client, "naughty/thread", VALID | {"name": PAYLOADS[8][:80], "body": PAYLOADS[0]}
    ).get_json()["id"]
    with live.app.app_context():
        mia = db.session.query(Moderator).filter_by(username="mia").one().id
        moderation.decide(parent, "approve", mia, note=PAYLOADS[1])
    reply = VALID | {"body": PAYLOADS[4], "parent_id": parent, "name": PAYLOADS[9][:80]}
    assert _post(client, "naughty/thread", reply).status_code == 201
    with live.app.app_context():
        auth.create_moderator("<script>window.__xss='moderator'</script>", "long enough password")

    # Most of the corpus gets through as text, as it should: refusing it is not the defence.
    assert carried["body"] >= len(corpus) - 10, carried
    assert carried["name"] >= 350, carried
    assert carried["website"] >= 3, carried

    sign_in(page)
    pending = len(corpus) + len(ARTICLES) + 3 + 1
    queries = [
        ("/moderation/", pending),
        ("/moderation/?status=all", pending + 1),
        ("/moderation/?" + urlencode({"q": PAYLOADS[0]}), None),
        ("/moderation/?" + urlencode({"article": ARTICLES[0]}), 1),
        ("/moderation/events", None),
        ("/moderation/events?" + urlencode({"moderator": PAYLOADS[0]}), None),
        ("/moderation/admin/moderators", None),
        ("/moderation/admin/tokens", None),
    ]
    for path, rows in queries:
        found = inspect(page, path)
        assert found["xss"] is None, (path, found["xss"])
        assert found["handlers"] == [], (path, found["handlers"])
        assert found["badLinks"] == [], (path, found["badLinks"])
        assert found["scripts"] in ([], ["/static/moderation.js"]), (path, found["scripts"])
        assert found["foreignInBodies"] == [], (path, found["foreignInBodies"])
        assert (found["styles"], found["embeds"]) == (0, 0), (path, found)
        if rows is not None:
            assert found["rows"] == rows, path
    assert page_log.problems() == []

    # Shown as the text that was typed, not dropped: the moderator sees what was attempted.
    page.goto("/moderation/?" + urlencode({"q": "window.__xss"}))
    names = page.locator("li.comment .name").all_inner_texts()
    assert PAYLOADS[0] in names and PAYLOADS[1] in names
    page.goto("/moderation/?" + urlencode({"q": "{{ config }}"}))
    expect(page.locator("li.comment .body")).to_have_text([PAYLOADS[-1]])
    assert "SECRET_KEY" not in page.content()
    assert page_log.problems() == []


def test_naughty_strings_render_inert_in_the_server_side_include_and_the_form_page(
    serve, chromium, page_log
):
    """The readers' pages: the thread snippet with every entry of the corpus published, and
    the no-JavaScript form's error page refilled with the payloads."""
    site = "https://blog.example.com"
    live = serve(MODERATION="off", ALLOWED_ORIGINS=(site,))
    client = live.app.test_client()
    corpus = BLNS + PAYLOADS
    articles = [f"naughty/{k}" for k in range(4)]
    for n, text in enumerate(corpus):
        website = WEBSITES[n % len(WEBSITES)] if n >= len(BLNS) else text
        submit_naughty(client, articles[n % len(articles)], n, text, website)
    first = _post(client, "naughty/thread", VALID | {"name": PAYLOADS[8][:80]}).get_json()["id"]
    reply = VALID | {"body": PAYLOADS[0], "parent_id": first, "email": "r@example.org"}
    assert _post(client, "naughty/thread", reply).status_code == 201
    with live.app.app_context():
        mia = db.session.query(Moderator).filter_by(username="mia").one().id
        moderation.decide(first, "reject", mia)  # its reply now hangs under a placeholder

    with watched_tab(chromium, live.url, page_log, 15_000) as page:
        for article in [*articles, "naughty/thread"]:
            found = inspect(page, f"/articles/{quote(article)}/comments.html")
            assert found["xss"] is None, (article, found["xss"])
            assert found["handlers"] == [], (article, found["handlers"])
            assert found["badLinks"] == [], (article, found["badLinks"])
            assert (found["scripts"], found["styles"]) == ([], 0), (article, found)
            bodies = page.locator(".commentdesk-body *").evaluate_all(
                "elements => elements.map((e) => e.tagName.toLowerCase())"
            )
            assert set(bodies) <= ALLOWED_TAGS, (article, set(bodies) - ALLOWED_TAGS)
        expect(page.locator(".commentdesk-removed")).to_have_count(1)

        # The form's error page, refilled with each payload (the address makes it a 422).
        page.goto("/articles/naughty/0/comments.html")
        for text in PAYLOADS:
            fields = {"name": text[:80], "email": "not-an-address", "body": text}
            forge_post(
                page,
                "/api/v1/articles/naughty/0/comments",
                fields | {"website": text, "return_to": f"{site}/naughty"},
            )
            found = page.evaluate(f"(() => {{ const ALLOWED = []; return ({INSPECT_PAGE})(); }})()")
            assert found["xss"] is None, (text, found["xss"])
            assert found["handlers"] == [], (text, found["handlers"])
            assert found["badLinks"] == [], (text, found["badLinks"])
            assert found["scripts"] == [], (text, found["scripts"])
            expect(page.get_by_label("Comment")).to_have_value(text)
    # The 422s themselves (and the bare fragment's missing favicon) are the only complaints.
    expected = ("status of 422", "/favicon.ico")
    assert all(any(e in p for e in expected) for p in page_log.problems()), page_log
