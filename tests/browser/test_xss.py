"""Hostile comments rendered in a real browser: every entry of the Big List of Naughty Strings
(tests/data/blns.json) and a set of payloads aimed at this page, submitted as bodies, names,
websites and article keys, then the moderation pages loaded in Chromium. Nothing may run: no
dialog, no script, no event handler, no javascript: link, no console error."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import pytest

from service.comments.rendering import ALLOWED_TAGS
from service.extensions import db
from service.models import Moderator
from service.moderation import accounts, decisions
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import watched_tab
from tests.browser.helpers import forge_post, sign_in
from tests.browser.naughty import (
    ARTICLES,
    BLNS,
    PAYLOADS,
    WEBSITES,
    inspect_page,
    post_json,
    submit_naughty,
)
from tests.conftest import VALID

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser


def inspect(page: Any, path: str) -> dict[str, Any]:
    page.goto(path)
    page.wait_for_load_state("load")
    # Give timers, autofocus and lazy handlers a moment, as a reading moderator would.
    page.keyboard.press("j")
    page.wait_for_timeout(200)
    return inspect_page(page)


@pytest.fixture
def naughty_server(serve: Any) -> Any:
    # One page for the whole queue, so every payload is on the page under test.
    return serve(QUEUE_PAGE_SIZE=1000)


@pytest.fixture
def naughty_page(chromium: Any, naughty_server: Any, page_log: Any) -> Any:
    # One page holds the whole corpus: on a slow or busy machine its load alone has taken
    # over 15 s, and this test is about what the page does, not how fast it loads.
    with watched_tab(chromium, naughty_server.url, page_log, 60_000) as tab:
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
        fields = VALID | {"email": f"key{n}@example.org"}
        assert post_json(client, article, fields).status_code == 201
    # The same payload from three addresses: a wave, whose sample is rendered on its own.
    for n in range(3):
        fields = VALID | {"email": f"wave{n}@example.org", "body": PAYLOADS[1] + " cheap pills"}
        assert post_json(client, "naughty/wave", fields).status_code == 201
    # A payload as the parent of a reply (shown as context) and as a decision note.
    parent = post_json(
        client, "naughty/thread", VALID | {"name": PAYLOADS[8][:80], "body": PAYLOADS[0]}
    ).get_json()["id"]
    with live.app.app_context():
        mia = db.session.query(Moderator).filter_by(username="mia").one().id
        decisions.decide(parent, "approve", mia, note=PAYLOADS[1])
    reply = VALID | {"body": PAYLOADS[4], "parent_id": parent, "name": PAYLOADS[9][:80]}
    assert post_json(client, "naughty/thread", reply).status_code == 201
    with live.app.app_context():
        accounts.create_moderator(
            "<script>window.__xss='moderator'</script>", "long enough password"
        )

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
    first = post_json(client, "naughty/thread", VALID | {"name": PAYLOADS[8][:80]}).get_json()["id"]
    reply = VALID | {"body": PAYLOADS[0], "parent_id": first, "email": "r@example.org"}
    assert post_json(client, "naughty/thread", reply).status_code == 201
    with live.app.app_context():
        mia = db.session.query(Moderator).filter_by(username="mia").one().id
        decisions.decide(first, "reject", mia)  # its reply now hangs under a placeholder

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
            found = inspect_page(page)
            assert found["xss"] is None, (text, found["xss"])
            assert found["handlers"] == [], (text, found["handlers"])
            assert found["badLinks"] == [], (text, found["badLinks"])
            assert found["scripts"] == [], (text, found["scripts"])
            expect(page.get_by_role("textbox", name="Comment")).to_have_value(text)
    # The 422s themselves (and the bare fragment's missing favicon) are the only complaints.
    expected = ("status of 422", "/favicon.ico")
    assert all(any(e in p for e in expected) for p in page_log.problems()), page_log
