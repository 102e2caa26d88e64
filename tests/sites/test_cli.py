"""`flask sites ...` (service/cli/sites.py): an operator adds, lists, changes, resets and
removes sites and grants moderators theirs; a refusal says why and exits non-zero."""

from __future__ import annotations

import pytest

from service.moderation import accounts, site_admin
from service.sites import registry
from tests.conftest import VALID, form_token, run_cli

SECRET = "a-long-random-webhook-secret"


def test_an_operator_adds_a_site_with_every_setting_and_lists_it(app):
    added = run_cli(
        app,
        "sites",
        "add",
        "news",
        "--name",
        "The News",
        "--origin",
        "https://news.example",
        "--origin",
        "https://www.news.example/",
        "--public-url",
        "https://news.example",
        "--moderation",
        "trusted",
        "--link-limit",
        "1",
        "--close-after-days",
        "14",
        "--retention-days",
        "30",
        "--webhook-url",
        "https://hooks.example/news",
        "--webhook-secret",
        SECRET,
        "--digest-to",
        "desk@news.example",
        "--digest-to",
        "chief@news.example",
    )
    assert added.exit_code == 0, added.output
    assert added.output == "Added site news (The News).\n"
    with app.app_context():
        site = registry.by_slug("news")
    assert site.origins == ("https://news.example", "https://www.news.example")
    assert (site.moderation, site.link_limit, site.close_after_days) == ("trusted", 1, 14)
    assert site.digest_to == ("desk@news.example", "chief@news.example")
    listed = run_cli(app, "sites", "list")
    assert listed.exit_code == 0
    assert SECRET not in listed.output
    lines = listed.output.splitlines()
    assert lines[0] == "default  Default site  (default site, 0 article(s), 0 comment(s))"
    assert "  origins           https://blog.example.com  (environment)" in lines
    assert "  moderation        pre  (environment)" in lines
    news = lines[lines.index("news  The News  (0 article(s), 0 comment(s))") :]
    assert "  origins           https://news.example, https://www.news.example" in news
    assert "  webhook_secret    set" in news
    assert "  retention_days    30" in news


def test_set_changes_some_settings_and_reset_gives_them_back_to_the_environment(app):
    assert run_cli(app, "sites", "add", "news", "--name", "News").exit_code == 0
    changed = run_cli(app, "sites", "set", "news", "--moderation", "off", "--link-limit", "0")
    assert changed.exit_code == 0, changed.output
    assert changed.output == "Changed site news: moderation, link_limit.\n"
    reset = run_cli(app, "sites", "set", "news", "--reset", "moderation", "--name", "Daily")
    assert reset.exit_code == 0, reset.output
    with app.app_context():
        site = registry.by_slug("news")
    assert (site.name, site.moderation, site.link_limit) == ("Daily", "pre", 0)
    listed = run_cli(app, "sites", "list").output
    assert "  moderation        pre  (environment)" in listed
    assert "  link_limit        0\n" in listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "News", "--name", "x"], "lower-case letters"),
        (["add", "news"], "Give the site a name"),
        (["add", "news", "--name", "x", "--origin", "news.example"], "no path"),
        (["add", "news", "--name", "x", "--link-limit", "500"], "0 to 100"),
        (["add", "news", "--name", "x", "--webhook-url", "https://h.example"], "secret"),
        (["add", "news", "--name", "x", "--digest-to", "desk"], "not a valid address"),
        (["add", "news", "--name", "x", "--moderation", "maybe"], "'maybe' is not one of"),
        (["set", "nowhere", "--name", "x"], "There is no site 'nowhere'"),
        (["set", "default"], "Name a setting to change"),
        (["set", "default", "--reset", "name"], "'name' is not one of"),
        (["set", "default", "--moderation", "off", "--reset", "moderation"], "both set"),
        (["remove", "default"], "default site cannot be removed"),
        (["remove", "nowhere"], "There is no site"),
        (["grant", "nobody", "default"], "no moderator called 'nobody'"),
        (["grant", "root", "default"], "manages every site"),
        (["grant", "noor", "default", "--role", "owner"], "'owner' is not one of"),
        (["revoke", "noor", "nowhere"], "There is no site"),
    ],
)
def test_refusals_say_why_and_exit_non_zero(app, args, message):
    with app.app_context():
        accounts.create_moderator("root", "correct horse battery staple", admin=True)
        accounts.create_moderator("noor", "another long password")
    before = run_cli(app, "sites", "list").output
    result = run_cli(app, "sites", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert run_cli(app, "sites", "list").output == before


def test_remove_needs_delete_comments_for_a_site_with_comments(app):
    run_cli(app, "sites", "add", "news", "--name", "News", "--origin", "https://news.example")
    client = app.test_client()
    sent = VALID | {"form_token": form_token(app)}
    posted = client.post(
        "/api/v1/articles/a/comments", json=sent, headers={"Origin": "https://news.example"}
    )
    assert posted.status_code == 201
    refused = run_cli(app, "sites", "remove", "news")
    assert refused.exit_code == 1
    assert "--delete-comments" in refused.output
    removed = run_cli(app, "sites", "remove", "news", "--delete-comments")
    assert removed.exit_code == 0, removed.output
    assert removed.output == "Removed site news with 1 comment(s) on 1 article(s).\n"


def test_grant_and_revoke_a_moderators_sites(app):
    with app.app_context():
        accounts.create_moderator("noor", "another long password")
    run_cli(app, "sites", "add", "news", "--name", "News")
    granted = run_cli(app, "sites", "grant", "noor", "news", "--role", "site_admin")
    assert granted.exit_code == 0, granted.output
    assert granted.output == "noor works on: default (moderator), news (site_admin).\n"
    revoked = run_cli(app, "sites", "revoke", "noor", "default")
    assert revoked.output == "noor works on: news (site_admin).\n"
    again = run_cli(app, "sites", "revoke", "noor", "default")
    assert again.exit_code == 1
    assert "noor has no grant on site 'default'" in again.output
    with app.app_context():
        assert [g["site"] for g in site_admin.grants_of(site_admin.moderator_named("noor"))] == [
            "news"
        ]
