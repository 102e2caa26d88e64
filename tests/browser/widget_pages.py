"""What the widget's browser tests do over and over: publish comments, open the article page,
find the widget's parts and fill its form."""

from __future__ import annotations

import re
from typing import Any

from service.moderation import accounts
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import ARTICLE, HostSite, LiveServer
from tests.browser.helpers import post_comment
from tests.conftest import approve

expect = playwright_or_skip().expect


def moderator_headers(api: LiveServer) -> dict[str, str]:
    with api.app.app_context():
        return {"Authorization": f"Bearer {accounts.create_api_token('mia', 'widget tests')}"}


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
