"""Each site's policy at submission, on SQLite and PostgreSQL, with two sites serving the same
article key: the moderation mode, the admins' word lists, the link limit and the closing age
of a site apply to its own articles only; the environment's lists apply on every site; an
edit meets the rules of the site its comment is on; trust is earned site by site."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from service.models import Article, ModerationMode, RuleKind, Site, utcnow
from service.ops.database import write_transaction
from service.screening import rules
from service.sites import registry
from tests.conftest import VALID, form_token
from tests.two_sites import moderator

DEFAULT_PAGE = "https://blog.example.com"  # the environment's ALLOWED_ORIGINS
SPORT_PAGE = "https://sport.example.com"
KEY = "news/a"


def add_site(app: Flask, slug: str, origin: str, **settings: Any) -> None:
    with app.app_context(), write_transaction() as session:
        session.add(Site(slug=slug, name=slug.title(), origins=[origin], **settings))
        registry.changed(session)


def post(client: FlaskClient, page: str, key: str = KEY, **fields: Any) -> dict[str, Any]:
    """Post from a page of the site `page` is on, as the widget there does."""
    response = client.post(
        f"/api/v1/articles/{key}/comments",
        json=VALID | {"form_token": form_token(client.application)} | fields,
        headers={"Origin": page},
    )
    assert response.status_code in (201, 403), response.get_json()
    return response.get_json()


def reasons(comment: dict[str, Any]) -> set[str]:
    return {reason["code"] for reason in comment.get("reasons", [])}


def save_lists(app: Flask, slug: str, **lists: list[str]) -> None:
    """An admin saves the site's lists, as the rules page does for that site."""
    with app.app_context():
        registry.set_current(registry.by_slug(slug))
        rules.save({RuleKind(kind): entries for kind, entries in lists.items()}, {})


@pytest.fixture
def two_sites(make_app: Callable[..., Flask]) -> Flask:
    """The environment: no pre-moderation, one hold word, two links. The sport desk: its own
    origin, nothing set (the environment's policy) until a test sets it."""
    app = make_app(MODERATION="off", HOLD_WORDS=("viagra",), LINK_LIMIT=2)
    add_site(app, "sport", SPORT_PAGE)
    return app


@pytest.fixture
def admin_headers(two_sites: Flask) -> dict[str, str]:
    """An admin's token: these tests decide comments on both sites."""
    return moderator(two_sites, "ada", admin=True)


def set_sport(app: Flask, **settings: Any) -> None:
    with app.app_context(), write_transaction() as session:
        session.execute(update(Site).where(Site.slug == "sport").values(**settings))
        registry.changed(session)


@pytest.mark.parametrize(
    ("mode", "status"), [("pre", "pending"), ("off", "approved"), ("trusted", "pending")]
)
def test_a_sites_moderation_mode_applies_to_its_articles_only(two_sites, mode, status):
    set_sport(two_sites, moderation=ModerationMode(mode))
    client = two_sites.test_client()

    on_sport = post(client, SPORT_PAGE, email="first@example.org")
    on_default = post(client, DEFAULT_PAGE, email="first@example.org")

    assert on_sport["status"] == status
    assert on_default["status"] == "approved"  # the environment's MODERATION=off
    assert on_sport["id"] != on_default["id"]


def test_trust_is_earned_on_the_site_itself(two_sites, admin_headers):
    set_sport(two_sites, moderation=ModerationMode.TRUSTED)
    client = two_sites.test_client()
    # Approved on the default site (which runs MODERATION=off)...
    assert post(client, DEFAULT_PAGE, body="Hello")["status"] == "approved"

    # ...is no reason for the sport desk to publish at once: its moderators decide.
    first = post(client, SPORT_PAGE, body="First on sport")
    assert first["status"] == "pending"
    approve = client.post(
        f"/api/v1/moderation/comments/{first['id']}/approve", headers=admin_headers
    )
    assert approve.status_code == 200, approve.get_json()

    again = post(client, SPORT_PAGE, body="Second on sport")
    assert again["status"] == "approved"


def test_spam_on_one_site_counts_against_the_commenter_on_another(two_sites, admin_headers):
    set_sport(two_sites, moderation=ModerationMode.TRUSTED)
    client = two_sites.test_client()
    sport = post(client, SPORT_PAGE, body="First on sport")
    client.post(f"/api/v1/moderation/comments/{sport['id']}/approve", headers=admin_headers)
    spam = post(client, DEFAULT_PAGE, body="Cheap pills")
    marked = client.post(f"/api/v1/moderation/comments/{spam['id']}/spam", headers=admin_headers)
    assert marked.status_code == 200, marked.get_json()

    assert post(client, SPORT_PAGE, body="Again on sport")["status"] == "pending"


def test_each_sites_word_lists_apply_to_its_own_comments_only(two_sites, admin_headers):
    save_lists(two_sites, "sport", hold_word=["derby"], deny_domain=["odds.example"])
    save_lists(two_sites, "default", deny_word=["referee"])
    client = two_sites.test_client()

    def decided(page: str, body: str) -> tuple[str, set[str]]:
        # A new address each time: one site's spam verdict would count on the other.
        email = f"reader{len(seen)}@example.org"
        seen.append(
            comment_seen(client, admin_headers, post(client, page, body=body, email=email)["id"])
        )
        return seen[-1]["status"], reasons(seen[-1])

    seen: list[dict[str, Any]] = []
    assert decided(SPORT_PAGE, "What a derby") == ("pending", {"hold_word"})
    assert decided(DEFAULT_PAGE, "What a derby") == ("approved", set())
    assert decided(SPORT_PAGE, "Bets at https://odds.example/x") == ("spam", {"deny_domain"})
    assert decided(DEFAULT_PAGE, "Bets at https://odds.example/x") == ("approved", set())
    assert decided(DEFAULT_PAGE, "Blame the referee") == ("rejected", {"deny_word"})
    assert decided(SPORT_PAGE, "Blame the referee") == ("approved", set())


def comment_seen(client: FlaskClient, headers: dict[str, str], comment_id: int) -> dict:
    page = client.get(
        "/api/v1/moderation/comments", query_string={"status": "all"}, headers=headers
    ).get_json()
    [comment] = [c for c in page["comments"] if c["id"] == comment_id]
    return comment


def test_the_environments_lists_apply_on_every_site(two_sites, admin_headers):
    save_lists(two_sites, "sport", hold_word=["derby"])
    client = two_sites.test_client()

    for page in (SPORT_PAGE, DEFAULT_PAGE):
        held = post(client, page, body="Buy viagra", email=f"v@{page[8:]}")
        assert held["status"] == "pending", page
        assert "hold_word" in reasons(comment_seen(client, admin_headers, held["id"]))


def test_a_sites_link_limit_applies_to_its_articles_only(two_sites):
    set_sport(two_sites, link_limit=5)
    client = two_sites.test_client()
    body = "Sources: https://a.example https://b.example https://c.example"

    assert post(client, SPORT_PAGE, body=body)["status"] == "approved"
    assert post(client, DEFAULT_PAGE, body=body)["status"] == "pending"  # LINK_LIMIT=2


def test_saving_a_sites_link_limit_leaves_the_others(two_sites):
    with two_sites.app_context():
        registry.set_current(registry.by_slug("sport"))
        saved = rules.save({}, {"link_limit": 0})
        sport = rules.current_rules(registry.by_slug("sport"))
        here = rules.current_rules(registry.default())
    assert (saved.link_limit, sport.link_limit, here.link_limit) == (0, 0, 2)


def age_article(app: Flask, slug: str, days: int) -> None:
    with app.app_context(), write_transaction() as session:
        site_id = registry.by_slug(slug).id
        session.execute(
            update(Article)
            .where(Article.site_id == site_id, Article.key == KEY)
            .values(created_at=utcnow() - timedelta(days=days))
        )


def test_a_sites_closing_age_closes_its_articles_only(two_sites):
    set_sport(two_sites, close_after_days=1)
    client = two_sites.test_client()
    post(client, SPORT_PAGE, body="Early on sport")
    post(client, DEFAULT_PAGE, body="Early here")
    age_article(two_sites, "sport", days=2)
    age_article(two_sites, "default", days=2)

    closed = post(client, SPORT_PAGE, body="Late on sport")
    open_here = post(client, DEFAULT_PAGE, body="Late here")  # CLOSE_AFTER_DAYS=0: never

    assert closed["error"]["code"] == "comments_closed"
    assert "1 days after the first one" in closed["error"]["message"]
    assert open_here["status"] == "approved"


def edit(client: FlaskClient, comment: dict[str, Any], body: str, page: str | None) -> dict:
    headers = {"X-Edit-Token": comment["edit_token"]} | ({"Origin": page} if page else {})
    response = client.patch(
        f"/api/v1/comments/{comment['id']}", json={"body": body}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("page", [None, DEFAULT_PAGE, SPORT_PAGE])
def test_an_edit_meets_the_rules_of_the_site_its_comment_is_on(two_sites, page):
    save_lists(two_sites, "sport", hold_word=["derby"])
    client = two_sites.test_client()
    on_sport = post(client, SPORT_PAGE, body="Good game", email="s@example.org")
    here = post(client, DEFAULT_PAGE, body="Good game", email="d@example.org")

    # Wherever the edit comes from (the API needs no page), the comment's site decides.
    assert edit(client, on_sport, "What a derby", page)["status"] == "pending"
    assert edit(client, here, "What a derby", page)["status"] == "approved"


def test_an_edit_on_an_article_held_for_moderation_goes_back_to_the_moderators(two_sites):
    client = two_sites.test_client()
    published = post(client, SPORT_PAGE, body="Good game")
    assert published["status"] == "approved"
    with two_sites.app_context(), write_transaction() as session:
        session.execute(update(Article).values(moderation=ModerationMode.PRE))

    assert edit(client, published, "Good game, edited", SPORT_PAGE)["status"] == "pending"
