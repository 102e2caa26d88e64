"""Publicly cacheable answers are built from configured origins only: a forged Host (or, behind
a trusted proxy, X-Forwarded-Host) must not reach a body that a CDN would hand to every
reader. Without PUBLIC_URL, the links of the include and the feeds are paths."""

from __future__ import annotations

import pytest

from tests.conftest import submit

EVIL = "evil.example"
CACHEABLE = [
    "/api/v1/articles/posts/hello/comments",
    "/api/v1/counts?article=posts/hello",
    "/articles/posts/hello/comments.html",
    "/articles/posts/hello/comments.html?reply_to=1",
    "/articles/posts/hello/comments.atom",
    "/comments.atom",
    "/widget.js",
]
FORGED = [
    ({}, {"Host": EVIL}),
    ({"TRUSTED_PROXIES": 1}, {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https"}),
]


@pytest.mark.parametrize(("settings", "headers"), FORGED, ids=["host", "forwarded-host"])
def test_a_forged_host_never_reaches_a_cacheable_answer(make_app, settings, headers):
    app = make_app(MODERATION="off", **settings)
    client = app.test_client()
    published = submit(client, website="https://ada.example", body="See https://ada.example/x")
    assert published.get_json()["status"] == "approved"

    for path in CACHEABLE:
        # Twice: the second answer may come from the per-worker caches of rendered pages.
        for _ in range(2):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, path
            assert EVIL not in response.get_data(as_text=True), path


def test_with_public_url_the_include_and_feeds_link_to_it(make_app):
    app = make_app(PUBLIC_URL="https://comments.example.com")
    client = app.test_client()

    page = client.get("/articles/posts/hello/comments.html", headers={"Host": EVIL})
    feed = client.get("/comments.atom", headers={"Host": EVIL})

    assert 'action="https://comments.example.com/api/v1/articles/posts/hello/comments"' in (
        page.get_data(as_text=True)
    )
    assert 'href="https://comments.example.com/comments.atom"' in feed.get_data(as_text=True)
    assert EVIL not in page.get_data(as_text=True) + feed.get_data(as_text=True)
