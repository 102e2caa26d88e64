"""Sites as admins manage them (service/moderation/site_admin.py): added, changed, reset to the
environment's, removed, and granted to moderators; every refusal says what to do."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.errors import (
    DomainError,
    FieldError,
    ModeratorNotFound,
    NotAllowed,
    SiteExists,
    SiteHasComments,
    SiteNotFound,
)
from service.extensions import db
from service.models import (
    Article,
    Ban,
    BanKind,
    Comment,
    ModerationEvent,
    Moderator,
    PolicyRule,
    RuleKind,
    Site,
    SiteGrant,
)
from service.moderation import accounts, decisions, site_admin
from service.sites import grants, registry
from tests.conftest import VALID, form_token

SECRET = "a-long-random-webhook-secret"


@pytest.fixture
def mia(app):
    with app.app_context():
        return accounts.create_moderator("mia", "correct horse battery staple", admin=True).id


def add_news(**settings):
    return site_admin.add("news", {"name": "The News"} | settings, None)


def test_a_new_site_takes_the_environments_policy_and_only_its_own_whereabouts(app):
    with app.app_context():
        site = add_news(origins=["https://News.example/"])
        assert site["origins"] == ["https://news.example"]
        assert site["moderation"] is None
        assert site["applied"]["moderation"] == "pre"
        assert site["applied"]["link_limit"] == app.config["LINK_LIMIT"]
        # The environment's origins are the default site's, never a new one's.
        assert site["applied"]["origins"] == ["https://news.example"]
        assert registry.by_slug("news").origins == ("https://news.example",)
        default = site_admin.get("default")
        assert default["applied"]["origins"] == ["https://blog.example.com"]


def test_digest_recipients_without_a_mail_server_are_refused(make_app):
    app = make_app()  # no SMTP_HOST
    with app.app_context():
        add_news()
        with pytest.raises(FieldError, match="SMTP_HOST is not") as refused:
            site_admin.change("news", {"digest_to": ["desk@news.example"]}, None)
        assert refused.value.field == "digest_to"
        assert site_admin.get("news")["applied"]["digest_to"] == []


def test_every_setting_can_be_set_and_reset_to_the_environments(app):
    with app.app_context():
        add_news()
        changed = site_admin.change(
            "news",
            {
                "name": "  Daily News ",
                "origins": ["https://news.example", "http://localhost:8080"],
                "public_url": "https://news.example/",
                "moderation": "trusted",
                "link_limit": 0,
                "close_after_days": 30,
                "retention_days": 90,
                "webhook_url": "https://hooks.example/news",
                "webhook_secret": SECRET,
                "digest_to": ["Desk@News.example", "desk@news.example"],
            },
            None,
        )
        assert changed["name"] == "Daily News"
        assert changed["applied"] | {"origins": None} == {
            "origins": None,
            "public_url": "https://news.example/",
            "moderation": "trusted",
            "link_limit": 0,
            "close_after_days": 30,
            "retention_days": 90,
            "webhook_url": "https://hooks.example/news",
            "webhook_secret_set": True,
            "digest_to": ["Desk@news.example"],
        }
        site = registry.by_slug("news")
        assert (site.moderation, site.link_limit, site.webhook_secret) == ("trusted", 0, SECRET)
        reset = site_admin.change(
            "news",
            dict.fromkeys(set(site_admin.SETTINGS) - {"name"}),
            None,
        )
        assert reset["applied"]["moderation"] == app.config["MODERATION"]
        assert reset["applied"]["close_after_days"] == app.config["CLOSE_AFTER_DAYS"]
        assert reset["origins"] == [] and reset["webhook_secret_set"] is False
        assert registry.by_slug("news").origins == ()


def test_the_webhook_secret_is_never_shown(app):
    with app.app_context():
        add_news(webhook_url="https://hooks.example/x", webhook_secret=SECRET)
        for shown in (site_admin.get("news"), *site_admin.list_sites()):
            assert SECRET not in repr(shown)
        events = db.session.scalars(select(ModerationEvent)).all()
        assert SECRET not in repr([event.data for event in events])


@pytest.mark.parametrize(
    ("slug", "settings", "field", "message"),
    [
        ("News", {}, "slug", "lower-case letters"),
        ("-news", {}, "slug", "starts with a letter or digit"),
        ("n" * 65, {}, "slug", "1 to 64"),
        ("news/a", {}, "slug", "lower-case"),
        ("news", {"name": ""}, "name", "1 to 120 printable"),
        ("news", {"name": "x" * 121}, "name", "1 to 120"),
        ("news", {"name": "bad\x00name"}, "name", "printable"),
        ("news", {"origins": ["news.example"]}, "origins", "https://blog.example.com"),
        ("news", {"origins": ["https://news.example/blog"]}, "origins", "no path"),
        ("news", {"origins": ["javascript:alert(1)"]}, "origins", "must look like"),
        ("news", {"origins": ["*"]}, "origins", "must look like"),
        ("news", {"origins": "https://news.example"}, "origins", "as a list"),
        ("news", {"origins": [3]}, "origins", "is text"),
        ("news", {"public_url": "ftp://news.example"}, "public_url", "http:// or https://"),
        ("news", {"public_url": "https://x/" + "a" * 2048}, "public_url", "http://"),
        ("news", {"moderation": "maybe"}, "moderation", "pre, off, trusted"),
        ("news", {"link_limit": 101}, "link_limit", "0 to 100"),
        ("news", {"link_limit": -1}, "link_limit", "0 to 100"),
        ("news", {"link_limit": True}, "link_limit", "whole number"),
        ("news", {"close_after_days": -3}, "close_after_days", "0 to"),
        ("news", {"retention_days": 10**9}, "retention_days", "0 to 36500"),
        (
            "news",
            {"webhook_url": "https://hooks.example"},
            "webhook_secret",
            "secret of site 'news' is not set",
        ),
        ("news", {"webhook_url": "hooks"}, "webhook_url", "http:// or https://"),
        ("news", {"webhook_secret": "short"}, "webhook_secret", "16 to 255"),
        ("news", {"digest_to": ["not an address"]}, "digest_to", "not a valid address"),
        ("news", {"digest_to": "a@news.example"}, "digest_to", "as a list"),
        ("news", {"colour": "red"}, "colour", "Not a site setting"),
    ],
)
def test_bad_settings_are_refused_with_a_message_that_says_what_to_do(
    app, slug, settings, field, message
):
    with app.app_context():
        with pytest.raises(FieldError) as refused:
            site_admin.add(slug, {"name": "The News"} | settings, None)
        assert refused.value.field == field
        assert message in refused.value.message
        assert "not an address" not in refused.value.message
        assert db.session.scalar(select(func.count(Site.id))) == 1


def test_a_slug_is_taken_once(app):
    with app.app_context():
        add_news()
        with pytest.raises(SiteExists, match="already exists"):
            add_news()
        with pytest.raises(SiteExists):
            site_admin.add("default", {"name": "Another default"}, None)


def test_an_origin_belongs_to_one_site_but_a_site_takes_one_from_the_environment(app):
    with app.app_context():
        # https://blog.example.com is the environment's (the default site's) origin.
        add_news(origins=["https://blog.example.com"])
        assert registry.for_request(None, "https://blog.example.com/a").slug == "news"
        with pytest.raises(FieldError, match="already belongs to site 'news'"):
            site_admin.add(
                "sport", {"name": "Sport", "origins": ["https://blog.example.com/"]}, None
            )
        with pytest.raises(FieldError, match="already belongs to site 'news'"):
            site_admin.change("default", {"origins": ["https://blog.example.com"]}, None)
        site_admin.change("default", {"origins": ["https://main.example"]}, None)
        with pytest.raises(FieldError, match="already belongs to site 'default'"):
            site_admin.change("news", {"origins": ["https://main.example"]}, None)


def test_changes_are_audited_by_the_admin_who_made_them(app, mia):
    with app.app_context():
        site_admin.add("news", {"name": "The News", "digest_to": ["desk@news.example"]}, mia)
        site_admin.change("news", {"link_limit": 3}, mia)
        events = db.session.scalars(select(ModerationEvent).order_by(ModerationEvent.id)).all()
        assert [(e.action, e.moderator_id, e.actor) for e in events] == [
            ("site_add", mia, "moderator"),
            ("site_change", mia, "moderator"),
        ]
        assert events[0].data == {"site": "news", "name": "The News", "digest_to": "set"}
        assert events[1].data == {"site": "news", "link_limit": 3}


def test_a_change_reaches_every_worker(make_app):
    first, second = make_app(FEED_STATE_SECONDS=0), make_app(FEED_STATE_SECONDS=0)
    with second.app_context():
        assert [site.slug for site in registry.all_sites()] == ["default"]
    with first.app_context():
        add_news(moderation="off")
    with second.app_context():
        assert registry.by_slug("news").moderation == "off"


def test_nothing_to_change_and_unknown_sites_are_refused(app):
    with app.app_context():
        with pytest.raises(FieldError, match="at least one"):
            site_admin.change("default", {}, None)
        with pytest.raises(SiteNotFound):
            site_admin.change("nowhere", {"name": "x"}, None)
        with pytest.raises(FieldError, match="name"):
            site_admin.change("default", {"name": None}, None)


def test_the_default_site_can_be_renamed_but_never_removed(app):
    with app.app_context():
        assert site_admin.change("default", {"name": "City Paper"}, None)["name"] == "City Paper"
        with pytest.raises(NotAllowed, match="default site cannot be removed"):
            site_admin.remove("default", delete_comments=True, admin_id=None)
        assert registry.default().name == "City Paper"


def test_an_empty_site_is_removed_without_more_ado(app):
    with app.app_context():
        add_news()
        assert site_admin.remove("news", False, None) == {"articles": 0, "comments": 0}
        with pytest.raises(SiteNotFound):
            registry.by_slug("news")


def post(client, headers=None, **fields):
    sent = VALID | {"form_token": form_token(client.application)} | fields
    return client.post("/api/v1/articles/a/comments", json=sent, headers=headers)


def _news_with_everything(app, client):
    """Site news with a thread (a reply to an approved comment), a rule, a ban and a
    moderator; the default site with a comment under the same article key."""
    with app.app_context():
        add_news(origins=["https://news.example"])
        noor = accounts.create_moderator("noor", "another long password").id
        site_admin.grant(noor, "news", "moderator", None)
    on_news = {"Origin": "https://news.example"}
    first = post(client, body="First", headers=on_news)
    assert first.status_code == 201, first.get_json()
    with app.app_context():
        decisions.decide(first.get_json()["id"], "approve", noor)
    reply = post(client, body="Reply", parent_id=first.get_json()["id"], headers=on_news)
    assert reply.status_code == 201, reply.get_json()
    assert post(client, body="On the default site").status_code == 201
    with app.app_context():
        news = registry.by_slug("news").id
        db.session.add(PolicyRule(site_id=news, kind=RuleKind.HOLD_WORD, value="casino"))
        db.session.add(Ban(site_id=news, kind=BanKind.DOMAIN, value="spam.example", reason="x"))
        db.session.commit()
    return noor


def test_a_site_with_comments_is_removed_only_with_delete_comments(app, client):
    _news_with_everything(app, client)
    with app.app_context():
        with pytest.raises(SiteHasComments, match="--delete-comments") as refused:
            site_admin.remove("news", False, None)
        assert "2 comment(s) on 1 article(s)" in refused.value.message
        assert registry.by_slug("news")


def test_removing_a_site_with_its_comments_leaves_the_other_sites_whole(app, client):
    noor = _news_with_everything(app, client)
    with app.app_context():
        news = registry.by_slug("news").id
        assert site_admin.remove("news", True, None) == {"articles": 1, "comments": 2}
        for model in (Article, PolicyRule, Ban, SiteGrant):
            assert db.session.scalar(select(func.count()).where(model.site_id == news)) == 0
        left = db.session.execute(select(Comment.body, Article.key).join(Comment.article)).all()
        assert left == [("On the default site", "a")]
        assert grants.site_ids(db.session.get(Moderator, noor)) == {registry.default().id}
        assert [e.action for e in db.session.scalars(select(ModerationEvent))][-1] == (
            "site_remove"
        )
        assert [site.slug for site in registry.all_sites()] == ["default"]


def test_admins_grant_and_revoke_moderators_their_sites(app, mia):
    with app.app_context():
        add_news()
        noor = accounts.create_moderator("noor", "another long password").id
        assert site_admin.grants_of(noor) == [
            {"site": "default", "name": "Default site", "role": "moderator"}
        ]
        site_admin.grant(noor, "news", "site_admin", mia)
        assert [(g["site"], g["role"]) for g in site_admin.grants_of(noor)] == [
            ("default", "moderator"),
            ("news", "site_admin"),
        ]
        site_admin.grant(noor, "news", "moderator", mia)
        assert site_admin.revoke(noor, "default", mia) == [
            {"site": "news", "name": "The News", "role": "moderator"}
        ]
        assert grants.site_ids(db.session.get(Moderator, noor)) == {registry.by_slug("news").id}
        audited = db.session.execute(
            select(ModerationEvent.action, ModerationEvent.moderator_id, ModerationEvent.data)
        ).all()
        assert audited[1:] == [
            ("site_grant", mia, {"site": "news", "moderator": "noor", "role": "site_admin"}),
            ("site_grant", mia, {"site": "news", "moderator": "noor", "role": "moderator"}),
            ("site_revoke", mia, {"site": "default", "moderator": "noor"}),
        ]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda noor, mia: site_admin.grant(noor, "news", "owner", None), FieldError, "site_admin"),
        (
            lambda noor, mia: site_admin.grant(noor, "nowhere", "moderator", None),
            SiteNotFound,
            "no site",
        ),
        (
            lambda noor, mia: site_admin.grant(9999, "news", "moderator", None),
            ModeratorNotFound,
            "9999",
        ),
        (
            lambda noor, mia: site_admin.grant(mia, "news", "moderator", None),
            DomainError,
            "manages every site",
        ),
        (lambda noor, mia: site_admin.revoke(noor, "news", None), FieldError, "no grant"),
    ],
)
def test_grants_that_cannot_be_are_refused_clearly(app, mia, call, error, message):
    with app.app_context():
        add_news()
        noor = accounts.create_moderator("noor", "another long password").id
        with pytest.raises(error, match=message):
            call(noor, mia)
        assert len(site_admin.grants_of(noor)) == 1
