"""Inputs that used to answer 500 (issue 15, items 3 and 4): JSON nested too deep, numbers of
thousands of digits, digits that are not ASCII, characters XML cannot carry, and bodies of a
type the API does not read. Each gets a 4xx with a message a person can act on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from service.extensions import db
from service.models import Article, Comment
from tests.conftest import VALID, approve, form_token, submit

# A value for each path parameter the API has, so that every operation can be reached.
PATH_VALUES = {
    "site": "default",
    "article": "posts/hello",
    "comment_id": "1",
    "ban_id": "1",
    "email_hash": "a" * 64,
    "seed": "0" * 20,
    "slug": "default",
    "moderator_id": "1",
}
DEEP_JSON = "[" * 1000 + "]" * 1000
THOUSANDS_OF_DIGITS = "9" * 5000
# Fewer digits than Python refuses to convert, far more than any id or count has.
MANY_DIGITS = "9" * 4000


def body_operations(app: Flask, known: dict[str, str] | None = None) -> Iterator[tuple[str, str]]:
    """(method, url) of every operation of the OpenAPI document that takes a request body,
    its path filled with `known` values or else PATH_VALUES."""
    spec = app.test_client().get("/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or "requestBody" not in operation:
                continue
            values = PATH_VALUES | (known or {})
            for parameter in item.get("parameters", []) + operation.get("parameters", []):
                if enum := parameter["schema"].get("enum"):
                    values[parameter["name"]] = enum[0]
            yield method.upper(), path.format_map(values)


def send(client: FlaskClient, method: str, url: str, headers: dict[str, str], **kw: Any) -> Any:
    return client.open(url, method=method, headers=headers, **kw)


def test_every_json_endpoint_answers_json_nested_a_thousand_deep_with_400_and_no_traceback(
    app, client, moderator_headers, caplog
):
    caplog.set_level(logging.ERROR)
    operations = list(body_operations(app))
    assert len(operations) >= 12
    for method, url in operations:
        response = send(
            client, method, url, moderator_headers, data=DEEP_JSON, content_type="application/json"
        )
        assert response.status_code == 400, (method, url, response.get_data(as_text=True))
        assert "nested too deeply" in response.get_json()["error"]["message"]
    assert [record for record in caplog.records if record.exc_info] == []


BIG_NUMBERS = [
    ("POST", "/api/v1/articles/posts/hello/comments", '{{"name": "Ada", "email": '
     '"ada@example.org", "body": "Hello", "parent_id": {n}}}', "parent_id"),
    ("POST", "/api/v1/moderation/actions", '{{"action": "approve", "ids": [{n}]}}', "ids"),
    ("POST", "/api/v1/moderation/bans", '{{"kind": "ip", "value": "abc", "reason": "flood", '
     '"days": {n}}}', "days"),
    ("POST", "/api/v1/moderation/bans", '{{"kind": "ip", "comment_id": {n}, "reason": "flood"}}',
     "comment_id"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "url", "template", "field"), BIG_NUMBERS)
def test_a_number_of_thousands_of_digits_is_a_400_with_a_message(
    client, moderator_headers, method, url, template, field
):
    body = template.format(n=THOUSANDS_OF_DIGITS)
    response = send(
        client, method, url, moderator_headers, data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == (
        "The request body has a number with too many digits."
    )


@pytest.mark.parametrize(("method", "url", "template", "field"), BIG_NUMBERS)
def test_a_number_python_can_hold_but_no_id_or_count_reaches_is_refused_on_its_field(
    client, moderator_headers, method, url, template, field
):
    body = template.format(n=MANY_DIGITS)
    response = send(
        client, method, url, moderator_headers, data=body, content_type="application/json"
    )
    if field == "ids":
        # A bulk action reports each id on its own: that one is no comment.
        assert response.status_code == 200
        assert response.get_json()["results"][0]["error"]["code"] == "comment_not_found"
    else:
        assert response.status_code == 422, response.get_data(as_text=True)[:300]
        assert field in response.get_json()["errors"]


@pytest.mark.parametrize("parent_id", ["⁰⁴⁵", "₁₂", "²", "١٢", "1e3", "0x1f", THOUSANDS_OF_DIGITS])
@pytest.mark.parametrize("as_form", [False, True])
def test_a_parent_id_that_is_not_ascii_digits_is_422(app, client, parent_id, as_form):
    fields = VALID | {"form_token": form_token(app), "parent_id": parent_id}
    url = "/api/v1/articles/posts/hello/comments"
    response = client.post(url, data=fields) if as_form else client.post(url, json=fields)
    assert response.status_code == 422
    assert "parent_id" in response.get_json()["errors"]


@pytest.mark.parametrize("bad", ["\ufffe", "\uffff", "\x00", "\x1b", "\ud800"])
@pytest.mark.parametrize("field", ["name", "body"])
def test_a_name_or_body_with_a_character_xml_forbids_is_422_on_that_field(client, field, bad):
    response = submit(client, **{field: f"Hello {bad} there"})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]


@pytest.mark.parametrize("bad", ["\ufffe", "\uffff", "\x07"])
def test_an_article_key_with_a_character_xml_forbids_is_422_on_the_article(client, bad):
    response = submit(client, f"posts/hel{bad}lo")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["article"]


def test_feeds_still_parse_when_stored_rows_hold_characters_xml_forbids(
    make_app, moderator_headers
):
    # SITE_URL set: links to the article's page are built from the raw key.
    app = make_app(SITE_URL="https://blog.example.com")
    client = app.test_client()
    odd_text = submit(client, "posts/hello").get_json()["id"]
    odd_key = submit(client, "posts/other", body="Elsewhere").get_json()["id"]
    for comment_id in (odd_text, odd_key):
        approve(client, moderator_headers, comment_id)
    with app.app_context():
        # As an import or an older version could have stored them.
        db.session.execute(
            update(Article).where(Article.key == "posts/other").values(key="posts/o\ufffether")
        )
        db.session.execute(
            update(Article).where(Article.key == "posts/hello").values(title="Title \uffff")
        )
        db.session.execute(
            update(Comment)
            .where(Comment.id == odd_text)
            .values(name="Ada \ufffe", body="Hi \ufffe", body_html="<p>Hi \ufffe\x01</p>")
        )
        db.session.commit()

    for url, entries in (("/comments.atom", 2), ("/articles/posts/hello/comments.atom", 1)):
        response = client.get(url)
        assert response.status_code == 200, url
        feed = ElementTree.fromstring(response.data)
        found = feed.findall("{http://www.w3.org/2005/Atom}entry")
        assert len(found) == entries, url
        assert any("Ada" in entry.findtext(ATOM_TITLE, "") for entry in found)


ATOM_TITLE = "{http://www.w3.org/2005/Atom}title"
UNREAD_TYPES = ["text/plain", "application/xml", None]


@pytest.mark.parametrize("content_type", UNREAD_TYPES)
def test_every_json_endpoint_refuses_a_body_of_another_type_with_415(
    app, client, moderator_headers, content_type
):
    extra = {"content_type": content_type} if content_type else {}
    for method, url in body_operations(app):
        response = send(client, method, url, moderator_headers, data='{"note": "x"}', **extra)
        assert response.status_code == 415, (method, url, response.get_data(as_text=True))
        assert "Content-Type: application/json" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "content_type", ["application/merge-patch+json", "application/vnd.api+json"]
)
def test_every_json_endpoint_reads_a_plus_json_body_as_json(
    app, client, moderator_headers, content_type
):
    for method, url in body_operations(app):
        empty = send(client, method, url, moderator_headers, data="{}", content_type=content_type)
        assert empty.status_code not in (400, 415), (method, url)
        # Parsed as JSON, or it could not be too deep.
        deep = send(
            client, method, url, moderator_headers, data=DEEP_JSON, content_type=content_type
        )
        assert deep.status_code == 400, (method, url)


def test_a_plus_json_submission_is_accepted_like_json(app, client):
    data = '{"name": "Ada", "email": "ada@example.org", "body": "Merge me"}'
    response = client.post(
        "/api/v1/articles/posts/hello/comments",
        data=data,
        content_type="application/merge-patch+json",
    )
    assert response.status_code == 201


def test_the_submission_form_post_is_still_read_as_a_form(app, client):
    fields = VALID | {"form_token": form_token(app)}
    response = client.post("/api/v1/articles/posts/hello/comments", data=fields)
    assert response.status_code == 201


def test_a_decision_without_a_body_or_a_content_type_still_works(client, moderator_headers):
    comment_id = submit(client).get_json()["id"]
    response = client.post(
        f"/api/v1/moderation/comments/{comment_id}/approve", headers=moderator_headers
    )
    assert response.status_code == 200


def test_a_page_title_reported_with_characters_xml_forbids_is_stored_without_them(app, client):
    page = "https://blog.example.com/posts/hello.html"
    fields = VALID | {"article_title": "Budget\ufffe\uffff news", "article_url": page}
    response = client.post(
        "/api/v1/articles/posts/hello/comments",
        json=fields,
        headers={"Origin": "https://blog.example.com"},
    )
    assert response.status_code == 201
    with app.app_context():
        assert db.session.scalar(select(Article.title)) == "Budget news"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"name": "\xff\xfe"}', "The request body is not valid JSON: it must be UTF-8 text."),
        (b'{"name": ', "The request body is not valid JSON."),
        (b"[" * 20_000, "The request body is nested too deeply; send a flat JSON object."),
    ],
)
def test_a_body_that_is_no_json_is_a_400_that_says_why(client, body, message):
    response = client.post(
        "/api/v1/articles/posts/hello/comments", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == message


@pytest.mark.parametrize("body", ["[]", '"text"', "1", "null", "NaN", "1e999"])
def test_json_that_is_not_an_object_is_a_422(client, body):
    response = client.post(
        "/api/v1/articles/posts/hello/comments", data=body, content_type="application/json"
    )
    assert response.status_code == 422


def test_the_openapi_document_names_415_and_400_wherever_a_body_is_read(app):
    spec = app.test_client().get("/openapi.json").get_json()
    bodies = [
        operation
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method != "parameters" and "requestBody" in operation
    ]
    assert bodies
    for operation in bodies:
        assert {"400", "415"} <= set(operation["responses"]), operation["summary"]
