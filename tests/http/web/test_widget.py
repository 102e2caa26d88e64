"""Serving the widget: caching, compression, its size budget, and the demo page."""

from __future__ import annotations

import gzip

import pytest

from service.http.web.widget import WIDGET_FILE, widget_asset
from service.ops import config

SITE = "https://blog.example.com"
# The budget for what a reader downloads.
GZIPPED_BUDGET = 12 * 1024


def test_widget_is_served_compressed_with_a_strong_etag_and_a_days_caching(client):
    response = client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == WIDGET_FILE.read_bytes()
    etag, weak = response.get_etag()
    assert etag and not weak
    # Served the same to every reader: no session, so no Vary: Cookie to split caches.
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.cache_control.public
    assert response.cache_control.max_age == 24 * 3600
    assert response.cache_control.stale_while_revalidate == 7 * 24 * 3600
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_widget_without_gzip_is_the_plain_file_under_its_own_etag(client):
    compressed = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.data == WIDGET_FILE.read_bytes()
    assert plain.get_etag()[0] != compressed.get_etag()[0]


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_widget_revalidation_is_a_304_without_a_body(client, encoding):
    first = client.get("/widget.js", headers={"Accept-Encoding": encoding})
    again = client.get(
        "/widget.js",
        headers={"Accept-Encoding": encoding, "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_versioned_widget_url_is_cached_for_a_year_and_a_stale_version_is_not(client):
    version = widget_asset().version
    pinned = client.get(f"/widget.js?v={version}")
    assert pinned.cache_control.max_age == 365 * 24 * 3600
    assert pinned.cache_control.immutable
    stale = client.get("/widget.js?v=0000")
    assert stale.cache_control.max_age == 24 * 3600
    assert not stale.cache_control.immutable


def test_widget_stays_within_its_size_budget():
    asset = widget_asset()
    assert len(asset.gzipped) < GZIPPED_BUDGET, len(asset.gzipped)


def test_demo_page_is_not_served_on_a_configured_deployment(client):
    assert client.get("/demo").status_code == 404


def test_demo_page_embeds_the_versioned_widget(make_app):
    client = make_app(DEMO_PAGE=True).test_client()
    response = client.get("/demo")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="comments" data-article="demo/welcome"' in page
    assert f'src="/widget.js?v={widget_asset().version}" async' in page
    assert "<code>MODERATION=pre</code>" in page


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("off", "Comments here are published at once"),
        ("trusted", "unless their address already has an approved one"),
    ],
)
def test_demo_page_says_how_comments_are_moderated(make_app, mode, says):
    page = make_app(DEMO_PAGE=True, MODERATION=mode).test_client().get("/demo")
    assert says in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("settings", "enabled"),
    [
        ({}, True),  # the zero-config embedded default
        ({"DEBUG": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}, True),
        ({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/commentdesk"}, False),
        ({"DEMO_PAGE": False}, False),
    ],
)
def test_demo_page_is_on_for_zero_config_and_debug_runs_only(tmp_path, settings, enabled):
    settings = {"SECRET_KEY": "x" * 40, **settings}
    config.finalise(settings, str(tmp_path))
    assert settings["DEMO_PAGE"] is enabled


def test_site_pages_may_read_retry_after_to_tell_how_long_to_wait(make_app):
    client = make_app(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="1 per minute").test_client()
    body = {"name": "Ada", "email": "ada@example.org", "body": "Hi"}
    path = "/api/v1/articles/posts/hello/comments"
    assert client.post(path, json=body, headers={"Origin": SITE}).status_code == 201
    refused = client.post(path, json=body | {"body": "Again"}, headers={"Origin": SITE})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Access-Control-Allow-Origin"] == SITE
    assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]


def test_form_token_tells_the_widget_the_edit_window(make_app):
    response = make_app(EDIT_WINDOW_MINUTES=40).test_client().get("/api/v1/form-token")
    assert response.get_json()["edit_window_minutes"] == 40
    assert response.headers["Cache-Control"] == "no-store"
