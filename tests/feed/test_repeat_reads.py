"""Repeat reads of a feed answered in front of Flask (service/feed/repeat_reads.py): the same
answers, headers, CORS rules, logs and metrics as the app's own, never a stale page."""

from __future__ import annotations

import json
import logging
from typing import Any
from wsgiref.validate import validator

import pytest
from flask import request
from werkzeug.test import Client

from service.privacy import vault
from tests.conftest import VALID, approve, form_token, submit
from tests.ops.test_observability import metric_samples, sample
from tests.two_sites import add_site

FEED = "/api/v1/articles/posts/hello/comments"
SITE = "https://blog.example.com"


@pytest.fixture
def flask_paths(app: Any) -> list[str]:
    """The paths of the requests that reached Flask (the fast path answers without it);
    registered before the app's first request, as Flask requires."""
    reached: list[str] = []

    @app.before_request
    def note() -> None:
        reached.append(request.path)

    return reached


@pytest.fixture
def thread(flask_paths: list[str], client: Any, moderator_headers: dict[str, str]) -> list[int]:
    ids = [submit(client, body=f"Comment {n}").get_json()["id"] for n in range(3)]
    for comment_id in ids:
        approve(client, moderator_headers, comment_id)
    return ids


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "commentdesk.access"
    ]


def test_a_current_etag_gets_304_without_reaching_flask(flask_paths, client, thread):
    first = client.get(FEED)
    flask_paths.clear()

    again = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert "Origin" in again.headers["Vary"]
    assert flask_paths == []


def test_a_weakened_etag_from_a_compressing_proxy_still_matches(client, thread):
    etag = client.get(FEED).headers["ETag"]
    assert client.get(FEED, headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def test_a_repeat_read_sends_the_same_page_as_the_first(flask_paths, client, thread):
    first = client.get(f"{FEED}?limit=2")
    flask_paths.clear()

    again = client.get(f"{FEED}?limit=2")
    other_page = client.get(f"{FEED}?limit=1")

    assert again.status_code == 200
    assert again.data == first.data
    assert again.content_type == "application/json"
    assert [c["body_html"] for c in again.get_json()["comments"]] == [
        "<p>Comment 0</p>",
        "<p>Comment 1</p>",
    ]
    # Another query is another page: rendered by the app, not taken from the cache.
    assert len(other_page.get_json()["comments"]) == 1
    assert flask_paths == [FEED]


def test_a_decision_is_never_answered_with_the_old_page(client, moderator_headers, thread):
    before = client.get(FEED)
    newer = submit(client, body="Late but approved").get_json()["id"]
    approve(client, moderator_headers, newer)

    revalidated = client.get(FEED, headers={"If-None-Match": before.headers["ETag"]})
    reread = client.get(FEED)

    assert revalidated.status_code == 200
    assert revalidated.headers["ETag"] != before.headers["ETag"]
    assert reread.get_json()["count"] == 4


def test_fast_answers_are_valid_wsgi_with_the_right_length(app, client, moderator_headers):
    comment = submit(client, name="Zoë Ünal", body="Größer als 𝔊 ✓").get_json()["id"]
    approve(client, moderator_headers, comment)
    first = client.get(FEED)
    # wsgiref's validator fails on anything PEP 3333 forbids (a str body, bad headers).
    strict = Client(validator(app.wsgi_app))

    again = strict.get(FEED)
    revalidated = strict.get(FEED, headers={"If-None-Match": first.headers["ETag"]})

    assert again.data == first.data
    assert int(again.headers["Content-Length"]) == len(first.data)
    assert again.get_json()["comments"][0]["name"] == "Zoë Ünal"
    assert revalidated.status_code == 304
    again.close()
    revalidated.close()


@pytest.mark.parametrize(("origin", "allowed"), [(SITE, True), ("https://evil.example.net", False)])
def test_repeat_reads_follow_the_cors_rules(client, thread, origin, allowed):
    etag = client.get(FEED, headers={"Origin": origin}).headers["ETag"]

    for response in (
        client.get(FEED, headers={"Origin": origin}),
        client.get(FEED, headers={"Origin": origin, "If-None-Match": etag}),
    ):
        assert response.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)


def test_repeat_reads_are_logged_and_counted_like_any_request(app, client, thread, caplog):
    etag = client.get(FEED).headers["ETag"]
    caplog.set_level(logging.INFO, logger="commentdesk")
    caplog.clear()

    response = client.get(
        FEED,
        headers={"If-None-Match": etag, "X-Request-ID": "cdn-edge-7"},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )

    assert response.headers["X-Request-ID"] == "cdn-edge-7"
    [line] = access_lines(caplog)
    assert line["request_id"] == "cdn-edge-7"
    assert line["status"] == 304
    assert line["endpoint"] == "public.ArticleComments"
    assert line["path"] == "/api/v1/articles/<article:article>/comments"
    with app.app_context():
        assert line["client"] == vault.vault().ip_hash("198.51.100.23")[:12]
    samples = metric_samples(client)
    assert (
        sample(
            samples,
            "commentdesk_http_requests_total",
            endpoint="public.ArticleComments",
            method="GET",
            status="304",
        )
        == 1
    )


def test_behind_a_trusted_proxy_the_fast_path_logs_the_forwarded_client(
    make_app, moderator_headers, caplog
):
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    etag = client.get(FEED).headers["ETag"]
    caplog.set_level(logging.INFO, logger="commentdesk")
    caplog.clear()

    client.get(
        FEED,
        headers={"If-None-Match": etag, "X-Forwarded-For": "192.0.2.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )

    [line] = access_lines(caplog)
    with app.app_context():
        assert line["client"] == vault.vault().ip_hash("192.0.2.9")[:12]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/articles/posts/hello/comments/",
        "/api/v1/articles//comments",
        "/api/v1/articles/posts/hello/comment",
        "/api/v1/articlesposts/hello/comments",
    ],
)
def test_paths_that_are_not_a_known_feed_go_to_the_app(flask_paths, client, thread, path):
    client.get(FEED)
    flask_paths.clear()

    client.get(path)

    assert flask_paths == [path]


def test_a_first_read_of_an_unknown_article_goes_to_the_app(flask_paths, client):
    flask_paths.clear()

    response = client.get("/api/v1/articles/nobody-commented-yet/comments")

    assert response.status_code == 200
    assert response.get_json()["count"] == 0
    assert flask_paths == ["/api/v1/articles/nobody-commented-yet/comments"]


NEWS = "https://news.example.org"
NEWS_FEED = "/api/v1/sites/news/articles/posts/hello/comments"


@pytest.fixture
def two_sites(make_app: Any) -> Any:
    """The default site and the news site, each with its own thread under the same key."""
    app = make_app(MODERATION="off")
    add_site(app, "news", origins=[NEWS])
    client = app.test_client()
    submit(client, body="On the blog")
    news = VALID | {"body": "In the news", "form_token": form_token(app)}
    assert client.post(NEWS_FEED, json=news).get_json()["status"] == "approved"
    return client


def only_body(response: Any) -> str:
    [comment] = response.get_json()["comments"]
    return str(comment["body_html"])


def test_a_sites_cached_page_is_never_served_for_another_sites_same_key(two_sites):
    client = two_sites
    for _ in range(3):  # the first read fills the caches, the others are answered from them
        assert only_body(client.get(FEED)) == "<p>On the blog</p>"
        assert only_body(client.get(NEWS_FEED)) == "<p>In the news</p>"
        assert only_body(client.get(FEED, headers={"Origin": NEWS})) == "<p>In the news</p>"
        assert only_body(client.get(FEED, headers={"Referer": f"{NEWS}/x"})) == "<p>In the news</p>"


def test_a_sites_etag_never_revalidates_another_sites_thread(two_sites):
    client = two_sites
    blog_etag = client.get(FEED).headers["ETag"]
    news_etag = client.get(NEWS_FEED).headers["ETag"]

    assert blog_etag != news_etag
    assert client.get(NEWS_FEED, headers={"If-None-Match": blog_etag}).status_code == 200
    assert client.get(NEWS_FEED, headers={"If-None-Match": news_etag}).status_code == 304
    from_news = client.get(FEED, headers={"If-None-Match": blog_etag, "Origin": NEWS})
    assert from_news.status_code == 200
    assert from_news.headers["Access-Control-Allow-Origin"] == NEWS
    assert client.get(FEED, headers={"If-None-Match": blog_etag}).status_code == 304


def test_a_sites_repeat_reads_are_answered_in_front_of_flask_and_logged_by_its_rule(
    flask_paths, two_sites, caplog
):
    client = two_sites
    etag = client.get(NEWS_FEED).headers["ETag"]
    client.get(NEWS_FEED)
    flask_paths.clear()
    caplog.set_level(logging.INFO, logger="commentdesk")
    caplog.clear()

    assert client.get(NEWS_FEED).status_code == 200
    assert client.get(NEWS_FEED, headers={"If-None-Match": etag}).status_code == 304

    assert flask_paths == []
    lines = access_lines(caplog)
    assert {line["endpoint"] for line in lines} == {"public.SiteArticleComments"}
    assert {line["path"] for line in lines} == {
        "/api/v1/sites/<site>/articles/<article:article>/comments"
    }


def test_an_unknown_sites_feed_goes_to_the_app_and_is_a_404(two_sites):
    client = two_sites
    client.get(FEED)
    client.get(FEED)

    response = client.get("/api/v1/sites/nowhere/articles/posts/hello/comments")

    # The app's answer (the fast path has none for a site it does not know).
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "site_not_found"
