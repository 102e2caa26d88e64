"""The spam rules of one site among several, on SQLite and PostgreSQL: the admin page and
`flask policy simulate` work on the site they are given (the default site's when none is), save
and replay only that site's lists, link limit and decided comments, and refuse a site that
does not exist."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.models import RuleKind, Site
from service.moderation import accounts
from service.ops.database import write_transaction
from service.screening import rules
from service.sites import registry
from tests.conftest import VALID, form_token
from tests.http.web.helpers import PASSWORD, flashes, sign_in
from tests.screening.test_rules import RULES_PAGE, rules_form, token_for

SPORT_PAGE = "https://sport.example.com"
SPORT_RULES = f"{RULES_PAGE}?site=sport"


@pytest.fixture
def two_sites(make_app: Callable[..., Flask]) -> Flask:
    app = make_app(MODERATION="pre", HOLD_WORDS=("viagra",), LINK_LIMIT=2)
    with app.app_context(), write_transaction() as session:
        session.add(Site(slug="sport", name="Sport desk", origins=[SPORT_PAGE]))
        registry.changed(session)
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD, admin=True)
    return app


@pytest.fixture
def admin(two_sites: Flask) -> FlaskClient:
    client = two_sites.test_client()
    assert sign_in(client, "mia").status_code == 302
    return client


def lists_of(app: Flask, slug: str) -> dict[str, list[str]]:
    with app.app_context():
        registry.set_current(registry.by_slug(slug))
        return {kind.value: entries for kind, entries in rules.admin_lists().items() if entries}


def link_limit_of(app: Flask, slug: str) -> int:
    with app.app_context():
        return rules.current_rules(registry.by_slug(slug)).link_limit


def test_the_page_shows_the_chosen_sites_rules_and_lets_the_admin_choose(admin):
    with admin.application.app_context():
        registry.set_current(registry.by_slug("sport"))
        rules.save({RuleKind.HOLD_WORD: ["derby"]}, {"link_limit": 5})

    sport = html.unescape(admin.get(SPORT_RULES).get_data(as_text=True))
    default = html.unescape(admin.get(RULES_PAGE).get_data(as_text=True))

    assert "Spam rules of Sport desk" in sport
    assert re.search(r'<textarea id="hold_word" name="hold_word" rows="8">derby</textarea>', sport)
    assert 'name="link_limit" inputmode="numeric" size="4" value="5"' in sport
    assert f'action="{SPORT_RULES}"' in sport
    assert '<option value="sport" selected>Sport desk</option>' in sport
    # The environment's entries are every site's, shown on each.
    assert "Also from the environment: viagra" in sport
    assert "Spam rules of Default site" in default
    assert re.search(r'<textarea id="hold_word" name="hold_word" rows="8"></textarea>', default)
    assert 'name="link_limit" inputmode="numeric" size="4" value="2"' in default


def test_saving_on_a_sites_page_changes_that_sites_rules_only(two_sites, admin):
    response = admin.post(
        SPORT_RULES, data=rules_form(admin, hold_word="derby", deny_domain="odds.example")
    )

    assert response.status_code == 302 and response.location == SPORT_RULES
    assert ("flash-info", "Rules saved; they apply to the next comment.") in flashes(
        admin.get(SPORT_RULES)
    )
    assert lists_of(two_sites, "sport") == {"hold_word": ["derby"], "deny_domain": ["odds.example"]}
    assert lists_of(two_sites, "default") == {}

    default = admin.post(RULES_PAGE, data=rules_form(admin, deny_word="referee", link_limit="4"))

    assert default.status_code == 302 and default.location == RULES_PAGE
    assert lists_of(two_sites, "default") == {"deny_word": ["referee"]}
    assert lists_of(two_sites, "sport") == {"hold_word": ["derby"], "deny_domain": ["odds.example"]}
    assert (link_limit_of(two_sites, "default"), link_limit_of(two_sites, "sport")) == (4, 2)


def test_a_site_that_does_not_exist_is_not_found_and_nothing_is_saved(two_sites, admin):
    shown = admin.get(f"{RULES_PAGE}?site=nowhere")
    saved = admin.post(f"{RULES_PAGE}?site=nowhere", data=rules_form(admin, hold_word="derby"))

    assert (shown.status_code, saved.status_code) == (404, 404)
    assert "There is nothing at this address." in shown.get_data(as_text=True)
    assert lists_of(two_sites, "default") == lists_of(two_sites, "sport") == {}


def test_a_single_site_page_offers_no_site_choice(make_app):
    app = make_app()
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD, admin=True)
    client = app.test_client()
    sign_in(client, "mia")

    page = client.get(RULES_PAGE).get_data(as_text=True)

    assert "<h1>Spam rules</h1>" in page
    assert "site-choice" not in page


# ------------------------------------------------------------- the simulator, per site

# (site's page, body, the moderator's decision); "derby" is a hold word on neither yet.
DECIDED = [
    (SPORT_PAGE, "What a derby that was", "approve"),
    (SPORT_PAGE, "derby tickets cheap, message me", "reject"),
    (SPORT_PAGE, "A fair match report", "approve"),
    (None, "The derby made the front page", "approve"),
    (None, "Pills, pills, pills", "spam"),
]


@pytest.fixture
def decided(two_sites: Flask) -> Flask:
    reader = two_sites.test_client()
    headers = token_for(two_sites, "mia")
    for n, (page, body, decision) in enumerate(DECIDED):
        response = reader.post(
            "/api/v1/articles/news/a/comments",
            json=VALID | {"body": body, "email": f"r{n}@example.org"}
            | {"form_token": form_token(two_sites)},
            headers={"Origin": page} if page else {},
        )  # fmt: skip
        assert response.status_code == 201, response.get_json()
        done = reader.post(
            f"/api/v1/moderation/comments/{response.get_json()['id']}/{decision}", headers=headers
        )
        assert done.status_code == 200, done.get_json()
    return two_sites


def test_the_pages_simulator_replays_only_the_sites_decided_comments(decided):
    client = decided.test_client()
    sign_in(client, "mia")

    sport = client.post(SPORT_RULES, data=rules_form(client, do="simulate", hold_word="derby"))
    default = client.post(RULES_PAGE, data=rules_form(client, do="simulate", hold_word="derby"))

    sport_page, default_page = sport.get_data(as_text=True), default.get_data(as_text=True)
    assert "On the last 3 comments moderators decided" in sport_page
    # Two sport comments mention the derby: one approved (a false positive), one rejected.
    assert re.search(r"With this change</th><td>2</td><td>1</td><td>1</td>", sport_page)
    assert "On the last 2 comments moderators decided" in default_page
    assert re.search(r"With this change</th><td>1</td><td>1</td><td>0</td>", default_page)


def test_cli_simulate_replays_the_chosen_sites_decided_comments(decided):
    runner = decided.test_cli_runner()

    sport = runner.invoke(args=["policy", "simulate", "--site", "sport", "--hold-word", "derby"])
    default = runner.invoke(args=["policy", "simulate", "--hold-word", "derby"])

    assert sport.exit_code == 0, sport.output
    assert "Replayed the last 3 comments moderators decided." in sport.output
    assert re.search(r"^proposed\s+2\s+1\s+1\s+50%$", sport.output, re.M)
    assert default.exit_code == 0, default.output
    assert "Replayed the last 2 comments moderators decided." in default.output
    assert re.search(r"^proposed\s+1\s+1\s+0\s+100%$", default.output, re.M)


def test_cli_simulate_uses_the_sites_saved_lists(decided):
    with decided.app_context():
        registry.set_current(registry.by_slug("sport"))
        rules.save({RuleKind.HOLD_WORD: ["derby"]}, {})

    sport = decided.test_cli_runner().invoke(args=["policy", "simulate", "--site", "sport"])
    default = decided.test_cli_runner().invoke(args=["policy", "simulate"])

    assert re.search(r"^current\s+2\s+1\s+1\s+50%$", sport.output, re.M), sport.output
    assert re.search(r"^current\s+0\s+0\s+0\s+-$", default.output, re.M), default.output


def test_cli_simulate_refuses_a_site_that_does_not_exist(two_sites):
    result = two_sites.test_cli_runner().invoke(args=["policy", "simulate", "--site", "nowhere"])

    assert result.exit_code == 1
    assert "There is no site 'nowhere'. `flask sites list` shows them." in result.output
