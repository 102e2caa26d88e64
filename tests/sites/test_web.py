"""The admins' sites page and the moderators' grants (service/http/web/sites.py): sites
added, edited, reset and removed from a browser, with CSRF; to anyone else no such page."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import ModerationEvent
from service.moderation import accounts, site_admin
from service.sites import registry
from tests.conftest import VALID, form_token
from tests.http.web.helpers import (
    NOOR_PASSWORD,
    PASSWORD,
    admin_post,
    flashes,
    sign_in,
    snapshot,
)

SECRET = "a-long-random-webhook-secret"


@pytest.fixture
def people(app):
    with app.app_context():
        mia = accounts.create_moderator("mia", PASSWORD, admin=True).id
        noor = accounts.create_moderator("noor", NOOR_PASSWORD).id
    return {"mia": mia, "noor": noor}


def page(response):
    return html.unescape(response.get_data(as_text=True))


def add_news(client, **fields):
    form = {"slug": "news", "name": "The News"} | fields
    return admin_post(client, "/moderation/sites/", **form)


def test_an_admin_adds_a_site_and_sees_it_listed_with_the_settings_that_apply(app, client, people):
    sign_in(client)
    added = add_news(
        client,
        origins="https://news.example\r\nhttps://www.news.example/\r\n",
        moderation="off",
        link_limit="1",
        webhook_url="https://hooks.example/news",
        webhook_secret=SECRET,
        digest_to="desk@news.example\nchief@news.example",
    )
    assert flashes(added) == [("flash-info", "Added site news (The News).")]
    assert "The News" in page(added) and SECRET not in page(added)
    with app.app_context():
        site = registry.by_slug("news")
    assert site.origins == ("https://news.example", "https://www.news.example")
    assert (site.moderation, site.link_limit, site.webhook_secret) == ("off", 1, SECRET)
    assert site.digest_to == ("desk@news.example", "chief@news.example")
    listed = page(client.get("/moderation/sites/"))
    assert "https://news.example, https://www.news.example" in listed
    assert "https://blog.example.com <small>(environment)</small>" in listed
    assert SECRET not in listed
    with app.app_context():
        event = db.session.scalars(select(ModerationEvent)).one()
    assert (event.action, event.moderator_id) == ("site_add", people["mia"])


def test_an_admin_edits_a_site_and_blank_settings_go_back_to_the_environments(app, client, people):
    sign_in(client)
    add_news(client, moderation="off", webhook_url="https://h.example/n", webhook_secret=SECRET)
    form = page(client.get("/moderation/sites/news"))
    assert 'value="https://h.example/n"' in form and SECRET not in form
    saved = admin_post(
        client,
        "/moderation/sites/news",
        name="Daily News",
        moderation="",
        webhook_url="https://h.example/n",
        close_after_days="30",
    )
    assert flashes(saved) == [("flash-info", "Saved site news.")]
    with app.app_context():
        site = registry.by_slug("news")
    # The secret, never shown, is kept when left blank.
    assert (site.name, site.moderation, site.close_after_days) == ("Daily News", "pre", 30)
    assert site.webhook_secret == SECRET
    cleared = admin_post(
        client, "/moderation/sites/news", name="Daily News", remove_webhook_secret="1"
    )
    assert flashes(cleared) == [("flash-info", "Saved site news.")]
    with app.app_context():
        assert registry.by_slug("news").webhook_secret == ""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slug": "News"}, "lower-case letters"),
        ({"name": ""}, "1 to 120 printable characters"),
        ({"origins": "news.example"}, "must look like https://blog.example.com"),
        ({"link_limit": "many"}, "The link limit must be a whole number"),
        ({"link_limit": "9" * 400}, "link_limit must be a whole number from 0 to 100"),
        ({"retention_days": "-1"}, "retention_days must be a whole number from 0"),
        ({"moderation": "sometimes"}, "moderation must be one of pre, off, trusted"),
        ({"webhook_url": "https://h.example"}, "The webhook secret of site"),
        ({"digest_to": "not an address"}, "A recipient is not a valid address"),
    ],
)
def test_a_refused_site_is_flashed_with_what_to_fix_and_nothing_changes(
    app, client, people, fields, message
):
    sign_in(client)
    before = snapshot(app)
    refused = add_news(client, **fields)
    assert [category for category, _ in flashes(refused)] == ["flash-error"]
    assert message in flashes(refused)[0][1]
    assert snapshot(app) == before


def test_removing_a_site_asks_for_its_slug_and_for_delete_comments(app, client, people):
    sign_in(client)
    add_news(client, origins="https://news.example")
    sent = VALID | {"form_token": form_token(app)}
    assert (
        client.post(
            "/api/v1/articles/a/comments", json=sent, headers={"Origin": "https://news.example"}
        ).status_code
        == 201
    )
    unconfirmed = admin_post(client, "/moderation/sites/news/remove", confirm="nes")
    assert flashes(unconfirmed) == [
        ("flash-error", "Type the site's slug (news) to confirm its removal.")
    ]
    kept = admin_post(client, "/moderation/sites/news/remove", confirm="news")
    assert "delete comments" in flashes(kept)[0][1]
    removed = admin_post(
        client, "/moderation/sites/news/remove", confirm="news", delete_comments="1"
    )
    assert flashes(removed) == [
        ("flash-info", "Removed site news with 1 comment(s) on 1 article(s).")
    ]
    default = admin_post(client, "/moderation/sites/default/remove", confirm="default")
    assert "default site cannot be removed" in flashes(default)[0][1]
    assert client.get("/moderation/sites/news").status_code == 404


def test_an_admin_grants_and_revokes_sites_on_the_moderators_page(app, client, people):
    sign_in(client)
    add_news(client)
    noor = people["noor"]
    granted = admin_post(
        client, f"/moderation/sites/moderators/{noor}/grant", site="news", role="site_admin"
    )
    assert flashes(granted) == [("flash-info", "Granted site news (site admin).")]
    assert "news (site admin)" in page(granted)
    revoked = admin_post(client, f"/moderation/sites/moderators/{noor}/default/revoke")
    assert flashes(revoked) == [("flash-info", "Revoked site default.")]
    with app.app_context():
        assert [g["site"] for g in site_admin.grants_of(noor)] == ["news"]
    again = admin_post(client, f"/moderation/sites/moderators/{noor}/default/revoke")
    assert flashes(again) == [("flash-error", "noor has no grant on site 'default'.")]
    bad = admin_post(client, f"/moderation/sites/moderators/{noor}/grant", site="news", role="x")
    assert flashes(bad) == [("flash-error", "Choose moderator or site admin.")]
    mia = admin_post(client, f"/moderation/sites/moderators/{people['mia']}/grant", site="news")
    assert "manages every site" in flashes(mia)[0][1]


PAGES = [
    ("get", "/moderation/sites/"),
    ("post", "/moderation/sites/"),
    ("get", "/moderation/sites/default"),
    ("post", "/moderation/sites/default"),
    ("post", "/moderation/sites/news/remove"),
    ("post", "/moderation/sites/moderators/{noor}/grant"),
    ("post", "/moderation/sites/moderators/{noor}/default/revoke"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_to_a_moderator_the_sites_pages_do_not_exist(app, client, people, method, path):
    with app.app_context():
        site_admin.add("news", {"name": "The News"}, None)
    sign_in(client, "noor", NOOR_PASSWORD)
    before = snapshot(app)
    path = path.format(noor=people["noor"])
    data = {"slug": "x", "name": "x", "confirm": "news", "delete_comments": "1", "site": "news"}
    answer = admin_post(client, path, **data) if method == "post" else client.get(path)
    assert answer.status_code == 404
    assert "The News" not in page(answer)
    assert snapshot(app) == before
    assert 'href="/moderation/sites/"' not in page(client.get("/moderation/"))


def test_signed_out_the_sites_page_asks_to_sign_in(client):
    answer = client.get("/moderation/sites/")
    assert answer.status_code == 302
    assert "/moderation/login" in answer.headers["Location"]


def test_a_slug_no_site_can_have_is_a_readable_404(client, people):
    sign_in(client)
    for path in ("/moderation/sites/a%00b", "/moderation/sites/%C3%BF"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert "There is nothing at this address." in page(answer)
