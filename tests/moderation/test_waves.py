"""Coordinated waves: only near-identical comments with evidence of coordination are a wave;
a wave respects the queue's filters, lists its members, and is decided under those filters."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.moderation import accounts, waves
from tests.http.web.helpers import PASSWORD, csrf_token, new_comment, sign_in, status_of

PRAISE = "Great reporting, thanks for covering this."
SPAM = "Make money from home, I earned $900 last week! See https://quick-cash.example/join"


@pytest.fixture
def moderator(app: Flask) -> None:
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)


def wave_blocks(client: FlaskClient, query: str = "") -> list[str]:
    page = client.get(f"/moderation/{query}").get_data(as_text=True)
    return re.findall(r'<article class="wave card">(.*?)</article>', page, re.S)


def spam_wave(client: FlaskClient, article: str, count: int, tag: str) -> list[int]:
    return [
        new_comment(
            client, article, name=f"Earner {tag}{n}", email=f"{tag}{n}@cash.example", body=SPAM
        )
        for n in range(count)
    ]


def test_short_praise_from_many_readers_is_not_a_wave(app, client, moderator):
    for n in range(6):
        new_comment(
            client, "news/budget", name=f"Reader {n}", email=f"r{n}@example.org", body=PRAISE
        )
    sign_in(client)

    assert wave_blocks(client) == []
    with app.app_context():
        assert waves.waves(waves.Filters(), None) == []


def test_the_same_link_spam_from_fresh_addresses_within_minutes_is_a_wave(app, client, moderator):
    spam_wave(client, "news/budget", 4, "a")
    new_comment(client, "news/budget", body="I disagree with the second paragraph.")

    with app.app_context():
        [wave] = waves.waves(waves.Filters(), None)

    assert (wave["count"], wave["commenters"], wave["articles"]) == (4, 4, 1)
    assert wave["links"] is True
    assert "4 new addresses" in wave["signs"]
    assert any(sign.startswith("within ") for sign in wave["signs"])


def test_the_article_filter_applies_to_waves_and_to_their_decision(app, client, moderator):
    here = spam_wave(client, "news/a", 3, "a")
    elsewhere = spam_wave(client, "news/b", 3, "b")
    sign_in(client)

    [everywhere] = wave_blocks(client)
    [filtered] = wave_blocks(client, "?article=news/a")
    assert "6 near-identical comments" in everywhere
    assert "3 near-identical comments" in filtered
    assert wave_blocks(client, "?article=news/c") == []
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', filtered).group(1)
    assert '<input type="hidden" name="article" value="news/a">' in filtered

    client.post(
        "/moderation/waves",
        data={
            "csrf_token": csrf_token(client),
            "fingerprint": fingerprint,
            "article": "news/a",
            "action": "spam",
        },
    )

    assert [status_of(app, i) for i in here] == ["spam"] * 3
    assert [status_of(app, i) for i in elsewhere] == ["pending"] * 3


def test_the_search_filter_applies_to_waves(app, client, moderator):
    spam_wave(client, "news/a", 3, "a")
    sign_in(client)

    assert len(wave_blocks(client, "?q=quick-cash")) == 1
    assert wave_blocks(client, "?q=gardening") == []


def test_a_wave_lists_its_members_in_place_before_the_bulk_decision(app, client, moderator):
    ids = spam_wave(client, "news/a", 3, "a")
    new_comment(client, "news/b", name="Earner <b>3</b>", email="a3@cash.example", body=SPAM)
    sign_in(client)

    [block] = wave_blocks(client)
    members = re.search(r'<details class="wave-members">(.*?)</details>', block, re.S).group(1)
    listed = re.findall(r'<li class="wave-member" data-id="(\d+)">', members)

    assert "<summary>Who is in it (4)</summary>" in members
    assert [int(i) for i in listed[:3]] == ids
    assert "Earner a0" in members and "Earner a2" in members
    assert "Earner &lt;b&gt;3&lt;/b&gt;" in members
    assert "news/a" in members and "news/b" in members
    assert members.count("quick-cash.example") >= 4
    assert "UTC</time>" in members
    assert block.index("wave-members") < block.index('name="action"')


def evidence(**changes: object) -> waves.Evidence:
    """A plain wave: five copies with a link, from five new addresses and clients, in minutes."""
    plain = {
        "size": 5,
        "has_links": True,
        "shortest": 60,
        "span": timedelta(minutes=5),
        "commenters": 5,
        "clients": 5,
        "fresh": 5,
    }
    return waves.Evidence(**(plain | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "coordinated"),
    [
        ({}, True),
        ({"size": 2}, False),
        # No link and short: agreement, however it arrives.
        ({"has_links": False, "shortest": 42}, False),
        ({"has_links": False, "shortest": 42, "clients": 1}, False),
        # No link but long: a copied text is a campaign when it shows coordination.
        ({"has_links": False, "shortest": waves.WAVE_MIN_CHARS}, True),
        # Over days, from known commenters and their own clients: no sign of coordination.
        ({"span": timedelta(days=3), "fresh": 0}, False),
        ({"span": timedelta(days=3), "fresh": 0, "clients": 2}, True),
        ({"span": timedelta(days=3), "fresh": 3}, True),
    ],
)
def test_the_wave_rule(changes, coordinated):
    assert waves.is_coordinated(evidence(**changes)) is coordinated
