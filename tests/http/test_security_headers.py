"""Browser security headers: every moderation, admin and my-comments answer has a CSP without
inline script, cannot be framed and is never stored; every answer says nosniff and a
Referrer-Policy; HSTS only over HTTPS; the public feed stays cacheable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from service.http import security_headers
from service.moderation import accounts
from service.privacy import vault
from tests.conftest import VALID, approve, submit
from tests.http.web.helpers import PASSWORD, sign_in

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)


@dataclass
class Site:
    client: FlaskClient
    bearer: dict[str, str]
    comment: int
    commenter: str
    link: str


@pytest.fixture
def site(app: Flask, client: FlaskClient) -> Site:
    """An admin signed in (session and API token) and one approved comment of Ada's."""
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD, admin=True)
        bearer = {"Authorization": f"Bearer {accounts.create_api_token('mia', 'headers')}"}
        commenter = vault.vault().email_hash(VALID["email"])
        token = vault.vault().seal_address(vault.normalise_email(VALID["email"]), None)
    comment = submit(client, "posts/hello").get_json()["id"]
    approve(client, bearer, comment)
    assert sign_in(client).status_code == 302
    return Site(client, bearer, comment, commenter, f"/my-comments/{token}")


def private_get_paths(app: Flask, site: Site) -> list[str]:
    """Every GET route under the private prefixes, today's and any added later."""
    values = {
        "email_hash": site.commenter,
        "token": site.link.rsplit("/", 1)[1],
        "article": "posts/hello",
        "slug": "default",
        "moderator_id": 1,
    }
    paths = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" in (rule.methods or ()) and security_headers.is_private(rule.rule):
                paths.append(url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments}))
    # The queue's other faces: filtered to one article (its settings form), other tabs.
    queue = ["/moderation/?article=posts/hello", "/moderation/?status=approved"]
    return sorted(paths) + queue


def assert_private(response: Any) -> None:
    headers = response.headers
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "script-src" not in csp and "style-src" not in csp  # both follow default-src
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"


def test_every_moderation_admin_and_my_comments_page_carries_the_private_headers(app, site):
    client = site.client
    client.get(site.link)  # the commenter's link, opened in the same browser
    paths = private_get_paths(app, site)
    assert "/moderation/" in paths and "/moderation/admin/rules" in paths
    assert "/my-comments/" in paths and "/api/v1/moderation/comments" in paths

    for path in paths:
        response = client.get(path, headers=site.bearer if path.startswith("/api/") else {})
        assert response.status_code in (200, 302), (path, response.status_code)
        assert_private(response)
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            assert INLINE.findall(page) == [], path


def test_private_downloads_errors_and_the_sign_in_page_carry_them_too(app, site):
    client = site.client
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/moderation/").text)
    assert csrf
    answers = {
        "web export": client.post(
            "/moderation/admin/privacy/export",
            data={"csrf_token": csrf[1], "email": VALID["email"]},
        ),
        "API export": client.post(
            "/api/v1/moderation/privacy/export", json={"email": VALID["email"]}, headers=site.bearer
        ),
        "decision": client.post(
            f"/api/v1/moderation/comments/{site.comment}/reject", headers=site.bearer
        ),
        "no such page": client.get("/moderation/no-such-page"),
        "API error": client.get("/api/v1/moderation/comments?status=nonsense", headers=site.bearer),
        "signed out": app.test_client().get("/moderation/"),
        "sign-in page": app.test_client().get("/moderation/login"),
    }
    assert answers["web export"].headers["Content-Disposition"].startswith("attachment")
    assert VALID["email"] in answers["API export"].text
    statuses = [answer.status_code for answer in answers.values()]
    assert statuses == [200, 200, 200, 404, 422, 302, 200]
    for answer in answers.values():
        assert_private(answer)


CACHEABLE = {
    "/api/v1/articles/posts/hello/comments",
    "/widget.js",
    "/articles/posts/hello/comments.html",
    "/articles/posts/hello/comments.atom",
    "/comments.atom",
}


def public_paths(client: FlaskClient) -> list[str]:
    feed = client.get("/api/v1/articles/posts/hello/comments").get_json()
    return [
        "/api/v1/articles/posts/hello/comments",
        feed["comments"][0]["avatar"],
        "/api/v1/counts?article=posts/hello",
        "/api/v1/form-token",
        "/widget.js",
        "/articles/posts/hello/comments.html",
        "/articles/posts/hello/comments.atom",
        "/comments.atom",
        "/static/moderation.js",
        "/static/moderation.css",
        "/openapi.json",
        "/healthz",
    ]


def test_every_public_answer_says_nosniff_and_a_referrer_policy_and_is_not_made_private(site):
    client = site.client
    for path in public_paths(client):
        with client.get(path) as response:  # static files are streamed from an open file
            assert response.status_code == 200, path
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
            assert "Content-Security-Policy" not in response.headers, path
            assert "Strict-Transport-Security" not in response.headers, path
            assert "X-Frame-Options" not in response.headers, path
            if path in CACHEABLE or path.startswith("/api/v1/avatars/"):
                assert response.cache_control.public, path


def test_the_feed_keeps_its_public_caching_on_first_and_repeat_reads(site):
    feed = "/api/v1/articles/posts/hello/comments"
    first = site.client.get(feed)
    # The repeat read and the revalidation are answered in front of Flask (repeat_reads.py).
    repeat = site.client.get(feed)
    revalidated = site.client.get(feed, headers={"If-None-Match": first.headers["ETag"]})

    assert revalidated.status_code == 304
    for response in (first, repeat, revalidated):
        assert response.headers["Cache-Control"] == "public, max-age=10"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_hsts_only_when_the_request_came_over_https(make_app, site):
    client = site.client
    over_https = client.get("/moderation/login", base_url="https://localhost")
    feed_over_https = client.get("/api/v1/counts?article=a", base_url="https://localhost")
    over_http = client.get("/moderation/login")
    claimed = client.get("/moderation/login", headers={"X-Forwarded-Proto": "https"})

    assert over_https.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert feed_over_https.headers["Strict-Transport-Security"] == "max-age=31536000"
    # A client's own X-Forwarded-Proto is not believed without TRUSTED_PROXIES.
    assert "Strict-Transport-Security" not in over_http.headers
    assert "Strict-Transport-Security" not in claimed.headers

    behind_proxy = make_app(TRUSTED_PROXIES=1).test_client()
    forwarded = behind_proxy.get(
        "/moderation/login",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )
    assert forwarded.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize(
    ("path", "private"),
    [
        ("/moderation", True),
        ("/moderation/admin/rules", True),
        ("/my-comments/", True),
        ("/api/v1/moderation/comments", True),
        ("/moderationx", False),
        ("/api/v1/moderations", False),
        ("/api/v1/articles/moderation/comments", False),
        ("/articles/my-comments/comments.html", False),
    ],
)
def test_only_paths_under_the_private_prefixes_are_private(path, private):
    assert security_headers.is_private(path) is private
