"""The public side of several sites: each request is for one site (its path's, else its
page's), article keys are per site, and CORS and return_to follow that site's origins."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.conftest import VALID, form_token
from tests.two_sites import add_site

BLOG = "https://blog.example.com"  # the default site's origin (ALLOWED_ORIGINS)
NEWS = "https://news.example.org"
KEY = "news/a"
NEWS_FEED = f"/api/v1/sites/news/articles/{KEY}/comments"
BLOG_FEED = f"/api/v1/articles/{KEY}/comments"


@pytest.fixture
def app(make_app: Any) -> Any:
    # Moderation off: every comment is public at once, on both sites.
    app = make_app(MODERATION="off", SITE_URL="https://blog.example.com/")
    add_site(app, "news", origins=[NEWS], public_url="https://news.example.org/")
    return app


def post(client: Any, path: str, body: str, **kwargs: Any) -> Any:
    token = form_token(client.application)
    response = client.post(path, json=VALID | {"body": body, "form_token": token}, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response


def bodies(response: Any) -> list[str]:
    return [comment["body_html"] for comment in response.get_json()["comments"]]


def test_the_same_key_on_two_sites_is_two_threads(client):
    post(client, BLOG_FEED, "On the blog")
    post(client, NEWS_FEED, "In the news")
    post(client, NEWS_FEED, "In the news again")

    assert bodies(client.get(BLOG_FEED)) == ["<p>On the blog</p>"]
    assert bodies(client.get(NEWS_FEED)) == ["<p>In the news</p>", "<p>In the news again</p>"]
    assert client.get(BLOG_FEED).get_json()["count"] == 1
    assert client.get(NEWS_FEED).get_json()["count"] == 2
    assert client.get(f"/api/v1/counts?article={KEY}").get_json() == {"counts": {KEY: 1}}
    assert client.get(f"/api/v1/sites/news/counts?article={KEY}").get_json() == {"counts": {KEY: 2}}
    # The default site is also reachable by its slug.
    assert bodies(client.get(f"/api/v1/sites/default/articles/{KEY}/comments")) == [
        "<p>On the blog</p>"
    ]


def test_todays_paths_serve_the_site_of_the_page_that_asks(client):
    post(client, BLOG_FEED, "On the blog")
    post(client, BLOG_FEED, "In the news", headers={"Origin": NEWS})

    from_news = client.get(BLOG_FEED, headers={"Origin": NEWS})
    from_news_page = client.get(BLOG_FEED, headers={"Referer": f"{NEWS}/{KEY}"})
    from_elsewhere = client.get(BLOG_FEED, headers={"Origin": "https://other.example.net"})

    assert bodies(from_news) == ["<p>In the news</p>"]
    assert bodies(from_news_page) == ["<p>In the news</p>"]
    assert bodies(client.get(NEWS_FEED)) == ["<p>In the news</p>"]
    # An origin of no site is the default site's reader (and gets no CORS: test below).
    assert bodies(from_elsewhere) == ["<p>On the blog</p>"]
    assert client.get(f"/api/v1/counts?article={KEY}", headers={"Origin": NEWS}).get_json() == {
        "counts": {KEY: 1}
    }


def test_atom_feeds_and_the_include_are_per_site(client):
    post(client, BLOG_FEED, "On the blog")
    post(client, NEWS_FEED, "In the news")

    blog_atom = client.get(f"/articles/{KEY}/comments.atom").get_data(as_text=True)
    news_atom = client.get(f"/sites/news/articles/{KEY}/comments.atom").get_data(as_text=True)
    news_recent = client.get("/sites/news/comments.atom").get_data(as_text=True)
    blog_recent = client.get("/comments.atom").get_data(as_text=True)
    news_include = client.get(f"/sites/news/articles/{KEY}/comments.html").get_data(as_text=True)

    assert "On the blog" in blog_atom and "In the news" not in blog_atom
    assert "In the news" in news_atom and "On the blog" not in news_atom
    assert "In the news" in news_recent and "On the blog" not in news_recent
    assert "<title>Recent comments on News</title>" in news_recent
    assert "On the blog" in blog_recent and "In the news" not in blog_recent
    # Links go to the site's own pages and paths.
    assert "https://news.example.org/news/a#comment-" in news_atom
    assert "/sites/news/articles/news/a/comments.atom" in news_atom
    assert "https://blog.example.com" not in news_atom
    assert "In the news" in news_include and "On the blog" not in news_include
    assert 'action="/api/v1/sites/news/articles/news/a/comments"' in news_include
    assert 'value="https://news.example.org/news/a"' in news_include


def test_the_default_sites_links_are_todays(client):
    include = client.get(f"/articles/{KEY}/comments.html").get_data(as_text=True)
    assert 'action="/api/v1/articles/news/a/comments"' in include
    assert 'value="https://blog.example.com/news/a"' in include


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/sites/nowhere/articles/{KEY}/comments"),
        ("post", f"/api/v1/sites/nowhere/articles/{KEY}/comments"),
        ("get", f"/api/v1/sites/nowhere/counts?article={KEY}"),
    ],
)
def test_an_unknown_site_is_a_404_that_says_so(client, method, path):
    response = getattr(client, method)(path, json=VALID)
    assert response.status_code == 404
    assert response.get_json()["error"] == {
        "code": "site_not_found",
        "message": "There is no site 'nowhere'.",
    }


@pytest.mark.parametrize(
    "path",
    [
        f"/sites/nowhere/articles/{KEY}/comments.html",
        f"/sites/nowhere/articles/{KEY}/comments.atom",
        "/sites/nowhere/comments.atom",
    ],
)
def test_an_unknown_sites_pages_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "There is no site" in response.get_data(as_text=True)


def test_an_unknown_site_never_creates_an_article(client):
    client.post(f"/api/v1/sites/nowhere/articles/{KEY}/comments", json=VALID)
    assert client.get(f"/api/v1/counts?article={KEY}").get_json() == {"counts": {KEY: 0}}


@pytest.mark.parametrize(
    ("path", "origin", "allowed"),
    [
        (NEWS_FEED, NEWS, True),
        (f"/api/v1/sites/news/counts?article={KEY}", NEWS, True),
        (BLOG_FEED, NEWS, True),  # today's path, matched to the news site by its Origin
        (BLOG_FEED, BLOG, True),
        (NEWS_FEED, BLOG, False),  # one site's page asking for another's thread
        (f"/api/v1/sites/default/articles/{KEY}/comments", NEWS, False),
        (f"/api/v1/sites/news/counts?article={KEY}", BLOG, False),
        (NEWS_FEED, "https://evil.example.net", False),
        (BLOG_FEED, "https://evil.example.net", False),
    ],
)
def test_cors_follows_the_requests_site(client, path, origin, allowed):
    # Twice: the second read is answered in front of Flask, by the same rule.
    for _ in range(2):
        response = client.get(path, headers={"Origin": origin})
        assert response.status_code == 200
        assert response.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
        assert "Origin" in response.headers["Vary"]


def test_preflight_of_a_sites_submission_allows_only_its_own_origins(client):
    def preflight(origin: str) -> Any:
        return client.options(
            NEWS_FEED,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Content-Type",
            },
        )

    assert preflight(NEWS).headers["Access-Control-Allow-Origin"] == NEWS
    assert "POST" in preflight(NEWS).headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in preflight(BLOG).headers


def form_post(client: Any, path: str, return_to: str, body: str = "Hi", **headers: str) -> Any:
    token = form_token(client.application)
    data = VALID | {"body": body, "form_token": token, "return_to": return_to}
    return client.post(path, data=data, headers=headers)


def test_a_form_post_returns_to_a_page_of_its_own_site(client):
    answer = form_post(client, NEWS_FEED, f"{NEWS}/{KEY}")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith(f"{NEWS}/{KEY}#comment-")
    # Today's path, from the news site's page: the news site's thread and origins.
    by_referer = form_post(client, BLOG_FEED, f"{NEWS}/{KEY}", "Hi again", Referer=f"{NEWS}/{KEY}")
    assert by_referer.headers["Location"].startswith(f"{NEWS}/{KEY}#comment-")
    assert client.get(NEWS_FEED).get_json()["count"] == 2


@pytest.mark.parametrize(
    ("path", "return_to"),
    [
        (NEWS_FEED, f"{BLOG}/{KEY}"),  # another site's page
        (BLOG_FEED, f"{NEWS}/{KEY}"),  # the default site's path, no page of the news site
        (NEWS_FEED, f"https://evil.example.net/{KEY}"),
    ],
)
def test_a_form_post_never_returns_to_another_sites_page(client, path, return_to):
    answer = form_post(client, path, return_to)
    # Not a redirect: answered as the API call it is.
    assert answer.status_code == 201
    assert "Location" not in answer.headers


def test_a_form_posts_errors_page_links_back_to_its_own_site_only(client):
    data = {"name": "", "email": "x@example.org", "body": "", "return_to": f"{NEWS}/{KEY}"}

    page = client.post(NEWS_FEED, data=data)

    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert f'href="{NEWS}/{KEY}"' in html
    assert 'action="/api/v1/sites/news/articles/news/a/comments"' in html


def test_no_warning_at_start_when_a_site_has_origins(make_app, caplog):
    first = make_app(ALLOWED_ORIGINS=())
    add_site(first, "news", origins=[NEWS])
    with caplog.at_level(logging.WARNING, logger="commentdesk.cors"):
        make_app(TESTING=False, ALLOWED_ORIGINS=())
    assert not [r for r in caplog.records if r.name == "commentdesk.cors"]


def test_the_openapi_documents_the_site_paths(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    feed = paths["/api/v1/sites/{site}/articles/{article}/comments"]
    assert {"get", "post"} <= set(feed)
    assert "get" in paths["/api/v1/sites/{site}/counts"]
    assert {"get", "post"} <= set(paths["/api/v1/articles/{article}/comments"])
