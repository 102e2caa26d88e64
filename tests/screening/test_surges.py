"""Surge mode (service/screening/surges.py): an article flooded with submissions or spam is
pre-moderated for a cool-down, and every switch is audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.screening.helpers import events, post, reason_codes, shift_history, stored, token_headers


@pytest.fixture
def surging(make_app: Callable[..., Flask]) -> Flask:
    return make_app(
        MODERATION="off",
        SURGE_SUBMISSIONS=3,
        SURGE_WINDOW_SECONDS=600,
        SURGE_COOLDOWN_SECONDS=3600,
    )


def test_surge_puts_the_article_under_pre_moderation_and_is_audited(surging):
    client = surging.test_client()
    headers = token_headers(surging)
    statuses = [
        post(client, body=f"Comment {n}", email=f"r{n}@example.org").get_json()["status"]
        for n in range(4)
    ]
    assert statuses == ["approved", "approved", "pending", "pending"]
    held = client.get("/api/v1/moderation/comments", headers=headers).get_json()["comments"]
    assert [reason_codes(c) for c in held] == [["surge"], ["surge"]]
    assert held[0]["reasons"][0]["message"].startswith(
        "A surge of comments put this article under pre-moderation until "
    )
    [surge_on] = [e for e in events(client, headers) if e["action"].startswith("surge")]
    assert (surge_on["action"], surge_on["actor"], surge_on["moderator"]) == (
        "surge_on",
        "system",
        None,
    )
    assert surge_on["article"] == "posts/hello"
    assert surge_on["note"] == "3 submissions in 10 minutes (threshold 3)."
    # Other articles keep the site's mode.
    other = post(client, "posts/other", body="Calm here.", email="z@example.org")
    assert other.get_json()["status"] == "approved"


def test_after_the_cool_down_the_article_returns_to_the_sites_mode(surging):
    client = surging.test_client()
    headers = token_headers(surging)
    for n in range(3):
        post(client, body=f"Comment {n}", email=f"r{n}@example.org")
    shift_history(surging, 3601)
    after = post(client, body="Quiet again.", email="late@example.org")
    assert after.get_json()["status"] == "approved"
    actions = [e["action"] for e in events(client, headers)]
    assert actions == ["surge_off", "surge_on"]


def test_a_window_fuller_than_the_threshold_is_counted_only_up_to_it(make_app):
    # The count stops at the threshold (a hot story's thousands of comments are not all
    # counted for each submission), and the note says so rather than a wrong number.
    app = make_app(
        MODERATION="off", SURGE_SUBMISSIONS=3, SURGE_WINDOW_SECONDS=600, SURGE_COOLDOWN_SECONDS=60
    )
    client = app.test_client()
    headers = token_headers(app)
    for n in range(5):
        post(client, body=f"Comment {n}", email=f"r{n}@example.org")
    shift_history(app, 61)
    again = post(client, body="Still busy.", email="late@example.org")
    assert again.get_json()["status"] == "pending"
    notes = [e["note"] for e in events(client, headers) if e["action"] == "surge_on"]
    assert notes == [
        "More than 3 submissions in 10 minutes (threshold 3).",
        "3 submissions in 10 minutes (threshold 3).",
    ]


def test_spam_surge_switches_to_pre_moderation(make_app):
    app = make_app(MODERATION="off", SURGE_SPAM=2, SURGE_WINDOW_SECONDS=600)
    client = app.test_client()
    headers = token_headers(app)
    for n in range(2):
        post(client, body=f"Bot {n}", email=f"bot{n}@example.org", hp="filled")
    reader = post(client, body="A real reader.", email="reader@example.org")
    assert reader.get_json()["status"] == "pending"
    assert reason_codes(stored(client, headers, reader.get_json()["id"])) == ["surge"]
    [surge_on] = [e for e in events(client, headers) if e["action"] == "surge_on"]
    assert surge_on["note"] == "2 spam submissions in 10 minutes (threshold 2)."


def test_surge_is_off_when_its_thresholds_are_zero(app, client):
    # The base test configuration sets both thresholds to zero.
    headers = token_headers(app)
    for n in range(8):
        post(client, body=f"Comment {n}", email=f"r{n}@example.org")
    assert not [e for e in events(client, headers) if e["action"].startswith("surge")]
