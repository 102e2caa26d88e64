"""The queue's page: search by an exact address through the keyed hash, and articles shown by
title (linked to their page) with their key beside."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.moderation import accounts
from tests.conftest import VALID, form_token
from tests.http.web.helpers import PASSWORD, new_comment, sign_in

SITE = "https://blog.example.com"


@pytest.fixture
def moderator(app: Flask) -> dict[str, str]:
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
        token = accounts.create_api_token("mia", "tests")
    return {"Authorization": f"Bearer {token}"}


def from_the_sites_page(client: FlaskClient, article: str, **page: str) -> None:
    """A comment posted from the site's own page, which reports its title and address."""
    fields = VALID | {"form_token": form_token(client.application)} | page
    response = client.post(
        f"/api/v1/articles/{article}/comments", json=fields, headers={"Origin": SITE}
    )
    assert response.status_code == 201, response.get_json()


def listed(client: FlaskClient, query: str) -> list[int]:
    page = client.get(f"/moderation/?{query}").get_data(as_text=True)
    return [int(i) for i in re.findall(r'<li class="comment card[^"]*" id="c(\d+)"', page)]


def found_by_api(client: FlaskClient, headers: dict[str, str], q: str) -> list[int]:
    response = client.get("/api/v1/moderation/comments", query_string={"q": q}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [c["id"] for c in response.get_json()["comments"]]


@pytest.mark.parametrize(
    "typed", ["grace@example.org", "  Grace@EXAMPLE.org ", "GRACE@example.ORG"]
)
def test_an_exact_address_finds_that_commenters_comments(client, moderator, caplog, typed):
    caplog.set_level(logging.DEBUG)
    hers = [
        new_comment(client, "news/a", name="G. H.", email="grace@example.org", body="First."),
        new_comment(client, "news/b", name="G. H.", email="Grace@Example.org", body="Second."),
    ]
    new_comment(client, "news/a", name="Ada", email="ada@example.org", body="Another reader.")
    sign_in(client)

    assert listed(client, f"q={typed}") == hers
    assert found_by_api(client, moderator, typed) == hers
    logged = "\n".join(record.getMessage() for record in caplog.records).casefold()
    assert "grace@" not in logged and "example.org" not in logged


@pytest.mark.parametrize("part", ["grace@example", "grace@", "@example.org", "race@example.org"])
def test_a_part_of_an_address_finds_nothing_by_address(client, moderator, part):
    new_comment(client, "news/a", name="G. H.", email="grace@example.org", body="First.")
    sign_in(client)

    assert listed(client, f"q={part}") == []
    assert found_by_api(client, moderator, part) == []


def test_other_text_still_searches_names_and_bodies(client, moderator):
    named = new_comment(client, "news/a", name="Grace Hopper", email="g@example.org", body="Hi.")
    said = new_comment(client, "news/a", name="Ada", email="a@example.org", body="Ask grace@ home")
    sign_in(client)

    assert listed(client, "q=grace") == [named, said]
    assert found_by_api(client, moderator, "grace@ home") == [said]


def test_the_queue_shows_an_articles_title_linked_to_its_page_with_the_key_beside(
    client, moderator
):
    page = {"article_title": "<i>Budget</i> & you", "article_url": f"{SITE}/news/budget.html"}
    from_the_sites_page(client, "news/budget", **page)
    sign_in(client)

    queue = client.get("/moderation/").get_data(as_text=True)
    article = re.search(r'<span class="article">(.*?)</span>\s*<time', queue, re.S).group(1)

    assert (
        f'<a href="{SITE}/news/budget.html" rel="noopener noreferrer">'
        "&lt;i&gt;Budget&lt;/i&gt; &amp; you</a>" in article
    )
    assert '<span class="key">(news/budget)</span>' in article
    assert "<i>" not in queue


def test_an_article_without_a_title_shows_its_key_linked_under_the_site_url(make_app):
    app = make_app(SITE_URL="https://paper.example")
    client = app.test_client()
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
    new_comment(client, "news/plain", body="No title known.")
    sign_in(client)

    queue = client.get("/moderation/").get_data(as_text=True)
    article = re.search(r'<span class="article">(.*?)</span>\s*<time', queue, re.S).group(1)

    assert (
        '<a href="https://paper.example/news/plain" rel="noopener noreferrer">news/plain</a>'
        in (article)
    )
    assert 'class="key"' not in article


def test_the_api_queue_carries_the_articles_title_and_url(client, moderator):
    page = {"article_title": "Budget", "article_url": f"{SITE}/news/budget.html"}
    from_the_sites_page(client, "news/budget", **page)
    new_comment(client, "news/plain")

    comments = client.get("/api/v1/moderation/comments", headers=moderator).get_json()["comments"]

    assert [(c["article"], c["article_title"], c["article_url"]) for c in comments] == [
        ("news/budget", "Budget", f"{SITE}/news/budget.html"),
        ("news/plain", None, None),
    ]
