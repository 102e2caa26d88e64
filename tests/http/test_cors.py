"""Browsers on the site's own origins may call the public API; nobody else's pages may."""

import logging

import pytest

from tests.conftest import VALID

SITE = "https://blog.example.com"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/articles/posts/hello/comments"),
        ("get", "/api/v1/counts?article=posts/hello"),
    ],
)
def test_public_reads_allow_the_configured_origin_only(client, method, path):
    allowed = getattr(client, method)(path, headers={"Origin": SITE})
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in allowed.headers["Vary"]
    other = getattr(client, method)(path, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_submission_preflight_allows_json_posts_from_the_site(client):
    preflight = client.options(
        "/api/v1/articles/posts/hello/comments",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    posted = client.post(
        "/api/v1/articles/posts/hello/comments", json=VALID, headers={"Origin": SITE}
    )
    assert posted.status_code == 201
    assert posted.headers["Access-Control-Allow-Origin"] == SITE


def test_moderation_api_is_never_shared_with_other_origins(client, moderator_headers):
    response = client.get(
        "/api/v1/moderation/comments", headers=moderator_headers | {"Origin": SITE}
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_no_origin_is_allowed_until_the_operator_names_one(make_app):
    app = make_app(ALLOWED_ORIGINS=())
    response = app.test_client().get(
        "/api/v1/counts?article=a", headers={"Origin": "https://blog.example.com"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_production_without_allowed_origins_warns_at_start(
    make_app, caplog: pytest.LogCaptureFixture
):
    make_app()  # a fresh database: no site with origins left from another test
    with caplog.at_level(logging.WARNING, logger="commentdesk.cors"):
        make_app(TESTING=False, ALLOWED_ORIGINS=())
    [record] = [r for r in caplog.records if r.name == "commentdesk.cors"]
    assert "ALLOWED_ORIGINS" in record.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="commentdesk.cors"):
        make_app(TESTING=False)
        make_app(ALLOWED_ORIGINS=())
    assert not [r for r in caplog.records if r.name == "commentdesk.cors"]
