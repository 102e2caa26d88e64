"""The spam policy's editable rules, on SQLite and PostgreSQL: the admin page (who may use
it, saving, what the next comment meets), the simulator over past decisions with numbers
counted by hand, and `flask policy simulate`."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.extensions import db
from service.models import PolicyRule, PolicySetting, RuleKind, Site
from service.moderation import accounts
from service.ops import state_versions
from service.screening import rules
from tests.conftest import VALID, form_token
from tests.http.web.helpers import PASSWORD, csrf_token, flashes, sign_in

RULES_PAGE = "/moderation/admin/rules"


def post_comment(client: FlaskClient, body: str, email: str, **fields: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/articles/posts/hello/comments",
        json=VALID
        | {"body": body, "email": email, "form_token": form_token(client.application)}
        | fields,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def token_for(app: Flask, username: str) -> dict[str, str]:
    with app.app_context():
        token = accounts.create_api_token(username, "tests")
    return {"Authorization": f"Bearer {token}"}


def moderator_view(client: FlaskClient, headers: dict[str, str], comment_id: int) -> dict:
    page = client.get(
        "/api/v1/moderation/comments", query_string={"status": "all"}, headers=headers
    ).get_json()
    [comment] = [c for c in page["comments"] if c["id"] == comment_id]
    return comment


def saved_lists(app: Flask) -> dict[str, list[str]]:
    with app.app_context():
        return {kind.value: values for kind, values in rules.admin_lists().items()}


def rules_form(client: FlaskClient, do: str = "save", **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_token(client),
        "hold_word": "",
        "deny_word": "",
        "deny_domain": "",
        "link_limit": "2",
        "classifier_hold": "0.7",
        "classifier_spam": "0.95",
        "do": do,
    } | fields


@pytest.fixture
def admin_app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app(MODERATION="off", HOLD_WORDS=("viagra",), DENY_DOMAINS=("bet-now.top",))
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD, admin=True)
        accounts.create_moderator("noor", PASSWORD)
    return app


@pytest.fixture
def admin(admin_app: Flask) -> FlaskClient:
    client = admin_app.test_client()
    assert sign_in(client, "mia").status_code == 302
    return client


# --------------------------------------------------------------------- the page


def test_rules_page_shows_the_lists_and_the_environments_entries(admin):
    page = admin.get(RULES_PAGE)
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert "Spam rules" in text
    assert "Also from the environment: viagra" in text
    assert "Also from the environment: bet-now.top" in text
    assert 'name="link_limit" inputmode="numeric" size="4" value="2"' in text


def test_saving_rules_on_the_page_applies_them_to_the_next_comment(admin_app, admin):
    response = admin.post(
        RULES_PAGE,
        data=rules_form(
            admin,
            hold_word="casino\nPayday Loan",
            deny_word="kill yourself",
            deny_domain="https://Cheap-Meds.biz/",
            link_limit="1",
        ),
    )
    assert response.status_code == 302 and response.location == RULES_PAGE
    assert ("flash-info", "Rules saved; they apply to the next comment.") in flashes(
        admin.get(RULES_PAGE)
    )
    assert saved_lists(admin_app) == {
        "hold_word": ["casino", "Payday Loan"],
        "deny_word": ["kill yourself"],
        "deny_domain": ["cheap-meds.biz"],
    }

    headers = token_for(admin_app, "mia")
    reader = admin_app.test_client()
    cases = [
        ("Best c\u0430sino in town", "pending", [("hold_word", "contains held word 'casino'")]),
        ("need a payday loan?", "pending", [("hold_word", "contains held word 'Payday Loan'")]),
        ("still held: viagra", "pending", [("hold_word", "contains held word 'viagra'")]),
        ("https://a.example https://b.example", "pending", [("links", "2 links (limit 1)")]),
        ("Kill yourself.", "rejected", [("deny_word", "contains denied word 'kill yourself'")]),
        (
            "pills at shop.cheap-meds.biz",
            "spam",
            [("deny_domain", "links to denied domain 'cheap-meds.biz'")],
        ),
        ("One source: https://www.bbc.co.uk/news", "approved", []),
    ]
    for n, (body, status, reasons) in enumerate(cases):
        comment = moderator_view(reader, headers, post_comment(reader, body, f"r{n}@ex.org")["id"])
        assert comment["status"] == status, body
        assert [(r["code"], r["message"]) for r in comment["reasons"]] == reasons, body


def test_saving_replaces_the_lists_and_keeps_the_environments(admin_app, admin):
    admin.post(RULES_PAGE, data=rules_form(admin, hold_word="casino\ncrypto"))
    admin.post(RULES_PAGE, data=rules_form(admin, hold_word="crypto"))
    assert saved_lists(admin_app)["hold_word"] == ["crypto"]
    with admin_app.app_context():
        assert rules.current_rules().hold_words == ("viagra", "crypto")
    reader = admin_app.test_client()
    assert post_comment(reader, "casino night", "a@ex.org")["status"] == "approved"
    assert post_comment(reader, "crypto night", "b@ex.org")["status"] == "pending"


def test_entries_are_trimmed_and_duplicates_dropped_whatever_their_case(admin_app, admin):
    admin.post(
        RULES_PAGE,
        data=rules_form(
            admin,
            hold_word="  Casino \r\n\r\ncasino\nCASINO\nｃａｓｉｎｏ\n",
            deny_domain="http://Spam.Example/\nspam.example\n",
        ),
    )
    lists = saved_lists(admin_app)
    assert lists["hold_word"] == ["Casino"]
    assert lists["deny_domain"] == ["spam.example"]


def test_settings_are_saved_and_shown(admin_app, admin):
    admin.post(
        RULES_PAGE,
        data=rules_form(admin, link_limit="5", classifier_hold="0.5", classifier_spam="0.9"),
    )
    with admin_app.app_context():
        saved = dict(db.session.execute(select(PolicySetting.name, PolicySetting.value)).all())
        # The link limit is the site's own (each site has one); the thresholds are global.
        site_limit = db.session.scalar(select(Site.link_limit).where(Site.slug == "default"))
        current = rules.current_rules()
    assert saved == {"classifier_hold": 0.5, "classifier_spam": 0.9}
    assert site_limit == 5
    assert (current.link_limit, current.classifier_hold, current.classifier_spam) == (5, 0.5, 0.9)
    page = admin.get(RULES_PAGE).get_data(as_text=True)
    assert 'name="link_limit" inputmode="numeric" size="4" value="5"' in page


# ------------------------------------------------- each worker's copy of the rules


def _held_for(comment: dict[str, Any], app: Flask) -> list[str]:
    view = moderator_view(app.test_client(), token_for(app, "mia"), comment["id"])
    return [reason["code"] for reason in view["reasons"]]


def test_rules_saved_on_one_instance_apply_on_another_after_its_version_check(
    make_app, admin_app, admin, monkeypatch
):
    # Another worker on the same database, which trusts its copy of the rules for a minute.
    other = make_app(MODERATION="off", FEED_STATE_SECONDS=60)
    reader = other.test_client()
    assert post_comment(reader, "casino night", "a@ex.org")["status"] == "approved"

    saved = admin.post(RULES_PAGE, data=rules_form(admin, hold_word="casino", link_limit="0"))
    assert saved.status_code == 302

    # Within the minute the other worker still applies the rules it has.
    assert post_comment(reader, "casino again", "b@ex.org")["status"] == "approved"
    later = time.monotonic() + 61
    monkeypatch.setattr(state_versions, "time", SimpleNamespace(monotonic=lambda: later))
    held = post_comment(reader, "casino at https://a.example", "c@ex.org")
    assert held["status"] == "pending"
    assert sorted(_held_for(held, admin_app)) == ["hold_word", "links"]


def test_rules_saved_on_this_instance_apply_to_its_next_comment_at_once(make_app):
    app = make_app(MODERATION="off", FEED_STATE_SECONDS=60)
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD, admin=True)
    admin = app.test_client()
    assert sign_in(admin, "mia").status_code == 302
    reader = app.test_client()
    assert post_comment(reader, "casino night", "a@ex.org")["status"] == "approved"

    admin.post(RULES_PAGE, data=rules_form(admin, hold_word="casino"))

    held = post_comment(reader, "casino again", "b@ex.org")
    assert held["status"] == "pending"
    assert _held_for(held, app) == ["hold_word"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"link_limit": "lots"}, "link limit must be a number."),
        ({"link_limit": "101"}, "link limit must be between 0 and 100."),
        ({"link_limit": "-1"}, "link limit must be between 0 and 100."),
        ({"classifier_hold": "1.5"}, "classifier hold must be between 0.0 and 1.0."),
        (
            {"classifier_hold": "0.9", "classifier_spam": "0.8"},
            "The hold threshold cannot exceed the spam threshold.",
        ),
        ({"hold_word": "x" * 256}, "Entries have 1 to 255 printable characters."),
        ({"hold_word": "bad\x07entry"}, "Entries have 1 to 255 printable characters."),
    ],
)
@pytest.mark.parametrize("do", ["save", "simulate"])
def test_invalid_rules_are_refused_with_a_message_and_nothing_is_saved(
    admin_app, admin, fields, message, do
):
    form = rules_form(admin, do=do, deny_word="kept out") | fields
    response = admin.post(RULES_PAGE, data=form)
    assert response.status_code == 200
    assert ("flash-error", message) in flashes(response)
    # What was typed is shown again to correct.
    assert "kept out" in response.get_data(as_text=True)
    assert saved_lists(admin_app) == {"hold_word": [], "deny_word": [], "deny_domain": []}
    with admin_app.app_context():
        assert db.session.scalars(select(PolicySetting)).all() == []


def test_simulating_on_the_page_saves_nothing(admin_app, admin):
    response = admin.post(RULES_PAGE, data=rules_form(admin, do="simulate", hold_word="casino"))
    assert response.status_code == 200
    assert "On the last 0 comments moderators decided" in response.get_data(as_text=True)
    with admin_app.app_context():
        assert db.session.scalars(select(PolicyRule)).all() == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_rules_page_is_forbidden_to_moderators_who_are_not_admins(admin_app, method):
    client = admin_app.test_client()
    sign_in(client, "noor")
    data = rules_form(client, hold_word="casino") if method == "post" else None
    response = getattr(client, method)(RULES_PAGE, data=data)
    assert response.status_code == 403
    assert saved_lists(admin_app)["hold_word"] == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_rules_page_sends_the_signed_out_to_sign_in(admin_app, method):
    response = getattr(admin_app.test_client(), method)(RULES_PAGE, data={"hold_word": "x"})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response.location.startswith("/moderation/login")
    assert saved_lists(admin_app)["hold_word"] == []


def test_rules_page_refuses_a_post_without_csrf_token(admin_app, admin):
    form = rules_form(admin, hold_word="casino")
    del form["csrf_token"]
    assert admin.post(RULES_PAGE, data=form).status_code == 400
    assert saved_lists(admin_app)["hold_word"] == []


# -------------------------------------------------------------------- simulator


@dataclass(frozen=True)
class Decided:
    body: str
    decision: str | None  # the moderator's action; None: left as the policy put it
    casino: bool  # contains "casino" as a word, by a reader's eye
    over_links: bool  # more than two links


# The seeded history, oldest first. Hand count, considering only comments a moderator
# decided and left approved, rejected or spam (rows marked *):
#   current rules (2 links max):       flagged 1 = #7 (approved)
#   with hold word "casino":           flagged 5 = #2 #3 #7 (approved) + #4 #5 (refused)
HISTORY = [
    Decided("I had an occasional flutter at the races.", "approve", False, False),  # 1 *
    Decided("The casino on the pier closes next month.", "approve", True, False),  # 2 *
    Decided("Our CASINO night raised £2,000 for the school.", "approve", True, False),  # 3 *
    Decided("Best c\u0430sino bonuses, sign up now", "reject", True, False),  # 4 *
    Decided("ｃａｓｉｎｏ free spins every day", "spam", True, False),  # 5 *
    Decided("Cheap pills, no prescription needed", "spam", False, False),  # 6 *
    Decided("Sources: a.com b.com c.com", "approve", False, True),  # 7 *
    Decided("Go away, all of you.", "reject", False, False),  # 8 *
    Decided("A casino question nobody decided yet", None, True, False),  # pending
    Decided("Casino Royale is the best Bond film", "delete", True, False),  # deleted
]


@pytest.fixture
def history(app: Flask, client: FlaskClient, make_app: Callable[..., Flask]) -> Flask:
    """Submitted through the API and decided through the moderation API, plus comments no
    moderator decided: one the site published at once, one its traps marked as spam."""
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
    headers = token_for(app, "mia")
    for n, row in enumerate(HISTORY):
        comment_id = post_comment(client, row.body, f"reader{n}@example.org")["id"]
        if row.decision == "delete":
            path = f"/api/v1/moderation/comments/{comment_id}"
            response = client.delete(path, headers=headers)
        elif row.decision:
            path = f"/api/v1/moderation/comments/{comment_id}/{row.decision}"
            response = client.post(path, headers=headers)
        else:
            continue
        assert response.status_code == 200, response.get_json()
    published = make_app(MODERATION="off").test_client()
    assert post_comment(published, "casino casino", "auto@example.org")["status"] == "approved"
    post_comment(published, "casino bot", "bot@example.org", hp="filled by a bot")
    return app


def hand_count(hold_casino: bool, last: int | None = None) -> rules.Replay:
    considered = [row for row in HISTORY if row.decision in ("approve", "reject", "spam")]
    if last is not None:
        considered = considered[-last:]
    flagged = [row for row in considered if row.over_links or (hold_casino and row.casino)]
    approved = sum(row.decision == "approve" for row in flagged)
    return rules.Replay(len(flagged), approved, len(flagged) - approved)


def test_hand_count_of_the_seeded_history():
    # The hand count itself, spelled out, so the helper above cannot drift from it.
    assert hand_count(hold_casino=False) == rules.Replay(1, 1, 0)
    assert hand_count(hold_casino=True) == rules.Replay(5, 3, 2)
    assert hand_count(hold_casino=True, last=3) == rules.Replay(1, 1, 0)


def test_simulating_a_hold_word_reports_what_a_hand_count_gives(history):
    with history.app_context():
        proposed = rules.proposed({RuleKind.HOLD_WORD: ["casino"]}, {})
        result = rules.simulate(proposed)
    assert result.considered == 8
    assert result.current == hand_count(hold_casino=False)
    assert result.proposed == hand_count(hold_casino=True)
    assert result.proposed.false_positive_rate == pytest.approx(3 / 5)


def test_simulation_replays_only_the_last_decisions_asked_for(history):
    with history.app_context():
        result = rules.simulate(rules.proposed({RuleKind.HOLD_WORD: ["casino"]}, {}), last=3)
    assert result.considered == 3
    assert result.proposed == hand_count(hold_casino=True, last=3)


def test_simulating_a_lower_link_limit(history):
    with history.app_context():
        result = rules.simulate(rules.proposed({}, {"link_limit": 0}))
    # Only #7 has links at all.
    assert result.proposed == rules.Replay(1, 1, 0)


def test_simulation_changes_nothing(history):
    with history.app_context():
        before = rules.current_rules()
        rules.simulate(rules.proposed({RuleKind.HOLD_WORD: ["casino"]}, {"link_limit": 0}))
        assert rules.current_rules() == before
        assert db.session.scalars(select(PolicyRule)).all() == []


def _table_row(page: str, label: str) -> tuple[int, int, int]:
    match = re.search(
        rf'<th scope="row">{label}</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>', page
    )
    assert match, page
    return tuple(int(n) for n in match.groups())  # type: ignore[return-value]


def test_simulate_on_the_page_shows_the_hand_counted_numbers(history):
    with history.app_context():
        accounts.create_moderator("root", PASSWORD, admin=True)
    client = history.test_client()
    sign_in(client, "root")
    response = client.post(RULES_PAGE, data=rules_form(client, do="simulate", hold_word="casino"))
    page = response.get_data(as_text=True)
    assert "On the last 8 comments moderators decided" in page
    assert _table_row(page, "Current rules") == (1, 1, 0)
    assert _table_row(page, "With this change") == (5, 3, 2)
    assert "60%" in page
    # The proposal stays in the form, unsaved.
    assert re.search(r'<textarea id="hold_word" name="hold_word" rows="8">casino</textarea>', page)


# -------------------------------------------------------------------------- CLI


def _cli_rows(output: str) -> dict[str, tuple[int, int, int]]:
    rows = {}
    for label in ("current", "proposed"):
        match = re.search(rf"^{label}\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+$", output, re.M)
        assert match, output
        rows[label] = tuple(int(n) for n in match.groups())
    return rows


def test_cli_simulate_with_a_hold_word_reports_the_hand_count(history):
    result = history.test_cli_runner().invoke(args=["policy", "simulate", "--hold-word", "casino"])
    assert result.exit_code == 0, result.output
    assert "Replayed the last 8 comments moderators decided." in result.output
    expected = {"current": hand_count(False), "proposed": hand_count(True)}
    assert _cli_rows(result.output) == {
        label: (r.flagged, r.flagged_approved, r.flagged_refused) for label, r in expected.items()
    }
    assert re.search(r"^proposed\s+5\s+3\s+2\s+60%$", result.output, re.M)
    assert re.search(r"^current\s+1\s+1\s+0\s+100%$", result.output, re.M)


def test_cli_simulate_with_last(history):
    result = history.test_cli_runner().invoke(
        args=["policy", "simulate", "--hold-word", "casino", "--last", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "Replayed the last 3 comments moderators decided." in result.output
    assert _cli_rows(result.output)["proposed"] == (1, 1, 0)


def test_cli_simulate_on_an_empty_history_says_so(runner):
    result = runner.invoke(args=["policy", "simulate", "--hold-word", "casino"])
    assert result.exit_code == 0, result.output
    assert "Replayed the last 0 comments moderators decided." in result.output
    assert re.search(r"^proposed\s+0\s+0\s+0\s+-$", result.output, re.M)


def test_cli_simulate_includes_the_admins_saved_lists(history):
    with history.app_context():
        rules.save({RuleKind.HOLD_WORD: ["casino"]}, {})
    result = history.test_cli_runner().invoke(args=["policy", "simulate"])
    assert result.exit_code == 0, result.output
    # Saved, so "current" already holds casino; the proposal is the same.
    assert _cli_rows(result.output) == {"current": (5, 3, 2), "proposed": (5, 3, 2)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--link-limit", "500"], "500 is not in the range 0<=x<=100"),
        (
            ["--classifier-hold", "0.9", "--classifier-spam", "0.5"],
            "The hold threshold cannot exceed the spam threshold.",
        ),
        (["--hold-word", "x" * 300], "Entries have 1 to 255 printable characters."),
    ],
)
def test_cli_simulate_refuses_bad_proposals_with_a_message(runner, args, message):
    result = runner.invoke(args=["policy", "simulate", *args])
    assert result.exit_code != 0
    assert message in result.output
