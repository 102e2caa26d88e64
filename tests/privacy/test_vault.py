"""Email privacy: addresses are encrypted at rest, never shown in public, logged or echoed
back; avatars come from a keyed hash."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from service.extensions import db
from tests.conftest import VALID, approve, submit

ARTICLE_URL = "/api/v1/articles/posts/hello/comments"
ADDRESS = "Grace.Hopper.Private@Example.ORG"
# What email-validator stores: the domain lowercased, the local part as typed.
NORMALISED = "Grace.Hopper.Private@example.org"
# The local part alone is as identifying as the whole address; searched case-insensitively.
LOCAL_PART = "grace.hopper.private"
SECRET_FORMS = [ADDRESS, NORMALISED, ADDRESS.lower(), LOCAL_PART]


def database_text(app: Flask) -> str:
    """Everything the database holds, as text: the raw bytes of the SQLite file and its WAL
    (committed rows may still live only in the WAL), or every row of every table on
    PostgreSQL."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            database = Path(engine.url.database or "")
            files = sorted(database.parent.glob(database.name + "*"))
            assert database in files
            return b"".join(path.read_bytes() for path in files).decode("utf-8", "replace")
        with engine.connect() as connection:
            rows = [
                row
                for table in db.metadata.sorted_tables
                for row in connection.execute(
                    text(f"SELECT row_to_json(t)::text FROM {table.name} t")
                ).scalars()
            ]
        return "\n".join(rows)


def assert_no_address(haystack: str) -> None:
    lowered = haystack.lower()
    for form in SECRET_FORMS:
        assert form.lower() not in lowered, f"{form!r} leaked"


def response_text(response: Any) -> str:
    return response.get_data(as_text=True) + "\n" + str(response.headers)


def submit_as_grace(client: FlaskClient, **fields: Any) -> Any:
    response = submit(client, email=ADDRESS, **fields)
    assert response.status_code in (200, 201), response.get_json()
    return response


def test_the_database_never_holds_the_address_in_clear(app, client, moderator_headers):
    first = submit_as_grace(client, body="marker-body-one")
    approve(client, moderator_headers, first.get_json()["id"])
    submit_as_grace(client, body="marker-body-two", parent_id=first.get_json()["id"])
    submit(client, article="posts/other", email=ADDRESS.lower(), body="marker-body-three")
    form = client.post(
        ARTICLE_URL, data=VALID | {"email": f"  {ADDRESS}  ", "body": "marker-body-four"}
    )
    assert form.status_code == 201

    stored = database_text(app)

    # The scan reads the right place: what was submitted alongside the address is there.
    for marker in ("marker-body-one", "marker-body-two", "marker-body-three", "marker-body-four"):
        assert marker in stored
    assert_no_address(stored)


def test_moderators_still_see_the_address_decrypted(client, moderator_headers):
    submit_as_grace(client)

    queue = client.get("/api/v1/moderation/comments", headers=moderator_headers).get_json()

    [item] = queue["comments"]
    assert item["email"] == NORMALISED
    assert re.fullmatch(r"[0-9a-f]{64}", item["email_hash"])


def test_no_public_response_contains_the_address(client, moderator_headers):
    created = submit_as_grace(client, body="Hello **world**")
    again = submit_as_grace(client, body="Hello **world**")
    assert again.status_code == 200
    form = client.post(
        ARTICLE_URL,
        data=VALID
        | {
            "email": ADDRESS,
            "body": "from the form",
            "return_to": "https://blog.example.com/posts/hello",
        },
    )
    assert form.status_code == 303
    approve(client, moderator_headers, created.get_json()["id"])
    avatar = created.get_json()["avatar"]

    responses = [
        created,
        again,
        form,
        client.get(ARTICLE_URL),
        client.get(ARTICLE_URL + "?order=newest"),
        client.get("/api/v1/counts?article=posts/hello"),
        client.get(avatar),
        client.get("/openapi.json"),
    ]

    assert [c["id"] for c in responses[3].get_json()["comments"]] == [created.get_json()["id"]]
    for response in responses:
        assert response.status_code < 400
        assert_no_address(response_text(response))


@pytest.mark.parametrize(
    "email",
    [
        "Grace.Hopper.Private@exa mple.org",
        "Grace.Hopper.Private@@example.org",
        "Grace.Hopper.Private@example",
        "Grace.Hopper.Private@example.invalid",
        "Grace.Hopper.Private\x00@example.org",
        "Grace.Hopper.Private@example.org\u202e",
        "Grace Hopper Private@example.org",
        "Grace.Hopper.Private@" + "a" * 250 + ".org",
    ],
    ids=[
        "space-in-domain",
        "two-at-signs",
        "no-dot",
        "reserved-domain",
        "nul",
        "rtl-override",
        "space-in-local-part",
        "too-long",
    ],
)
def test_an_invalid_address_is_not_echoed_back_in_the_error(client, email):
    response = submit(client, email=email)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["email"]
    assert_no_address(response_text(response))


@pytest.mark.parametrize(
    "payload",
    [
        {"body": ""},
        {"name": "\x00"},
        {"website": "javascript:alert(1)"},
        {"parent_id": 123456},
    ],
    ids=["empty-body", "nul-name", "javascript-website", "missing-parent"],
)
def test_errors_about_other_fields_do_not_mention_the_address(client, payload):
    response = submit(client, email=ADDRESS, **payload)

    assert response.status_code == 422
    assert_no_address(response_text(response))


@pytest.mark.parametrize(
    "raw",
    [
        '{"email": "Grace.Hopper.Private@Example.ORG", "name": ',
        '{"email": "Grace.Hopper.Private@Example.ORG",}',
    ],
    ids=["truncated", "trailing-comma"],
)
def test_malformed_json_errors_do_not_mention_the_address(client, raw):
    response = client.post(ARTICLE_URL, data=raw, content_type="application/json")

    assert response.status_code == 400
    assert_no_address(response_text(response))


def test_logs_never_contain_the_address(client, moderator_headers, caplog):
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy caps its own loggers at WARNING; at DEBUG they log every statement and its
    # parameters, which is where an address queried or stored in clear would show up.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    # Alembic's logging config (run by migration tests) pins this one to WARN.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")

    created = submit_as_grace(client, body="log-marker-body")
    submit_as_grace(client, body="log-marker-body")
    approve(client, moderator_headers, created.get_json()["id"])
    client.get(ARTICLE_URL)
    client.get(created.get_json()["avatar"])
    client.get("/api/v1/moderation/comments?status=all", headers=moderator_headers)
    assert submit(client, email=ADDRESS, body="").status_code == 422
    assert submit(client, email=ADDRESS, parent_id=987654).status_code == 422
    assert submit(client, email="Grace.Hopper.Private@example").status_code == 422
    malformed = client.post(
        ARTICLE_URL,
        data='{"email": "Grace.Hopper.Private@Example.ORG",',
        content_type="application/json",
    )
    assert malformed.status_code == 400

    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    # The capture works: the statements that stored the comment were logged.
    assert "log-marker-body" in logged
    assert "INSERT INTO comments" in logged
    assert_no_address(logged + caplog.text)


def avatar_of(client: FlaskClient, email: str, article: str = "posts/hello") -> str:
    response = submit(client, article=article, email=email)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()["avatar"]


def test_avatar_is_the_same_for_the_same_address_whatever_its_case(client):
    assert avatar_of(client, ADDRESS) == avatar_of(client, ADDRESS.upper(), "posts/other")
    assert avatar_of(client, ADDRESS) == avatar_of(client, ADDRESS.lower(), "posts/third")


def test_avatar_differs_between_addresses(client):
    assert avatar_of(client, "ada@example.org") != avatar_of(client, "grace@example.org")


def test_avatar_is_not_a_plain_hash_of_the_address(client, moderator_headers):
    seed = avatar_of(client, ADDRESS).removeprefix("/api/v1/avatars/").removesuffix(".svg")
    [item] = client.get("/api/v1/moderation/comments", headers=moderator_headers).get_json()[
        "comments"
    ]

    assert re.fullmatch(r"[0-9a-f]{20}", seed)
    unkeyed = [
        algorithm(form.encode()).hexdigest()
        for algorithm in (hashlib.md5, hashlib.sha1, hashlib.sha256)
        for form in (ADDRESS, NORMALISED, ADDRESS.lower(), ADDRESS.strip().lower())
    ]
    for digest in [*unkeyed, item["email_hash"]]:
        # Gravatar-style hashes can be reversed with a list of addresses; the lookup hash
        # shown to moderators must not be linkable to the public seed either.
        assert seed not in digest


def test_avatar_depends_on_the_site_key(make_app):
    one = make_app(EMAIL_KEY="first-email-key-long-enough-for-hkdf").test_client()
    other = make_app(EMAIL_KEY="second-email-key-long-enough-for-hkdf").test_client()

    assert avatar_of(one, ADDRESS, "posts/one") != avatar_of(other, ADDRESS, "posts/two")


def test_avatar_is_an_svg_cached_for_a_long_time(client):
    path = avatar_of(client, ADDRESS)

    response = client.get(path)

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).startswith("<svg")
    assert response.get_data() == client.get(path).get_data()
    max_age = re.search(r"max-age=(\d+)", response.headers["Cache-Control"])
    assert max_age and int(max_age.group(1)) >= 30 * 24 * 3600
    assert "public" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "seed",
    [
        "abc",
        "0" * 19,
        "0" * 21,
        "ABCDEF0123456789ABCD",
        "g" * 20,
        "grace.hopper.private@example.org",
        "%00" + "0" * 19,
    ],
    ids=["short", "19-chars", "21-chars", "uppercase", "not-hex", "an-address", "nul"],
)
def test_malformed_avatar_seed_is_a_json_404(client, seed):
    response = client.get(f"/api/v1/avatars/{seed}.svg")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_bans_notes_and_their_audit_trail_never_hold_or_show_the_address(
    app, client, moderator_headers, caplog
):
    caplog.set_level(logging.DEBUG)
    comment_id = submit_as_grace(client, body="marker-ban").get_json()["id"]
    api = "/api/v1/moderation"
    typed = client.post(
        f"{api}/bans",
        json={"kind": "email", "email": ADDRESS, "reason": "typed in", "days": 1},
        headers=moderator_headers,
    )
    spam_ban = client.post(
        f"{api}/bans",
        json={"kind": "ip", "comment_id": comment_id, "reason": "r", "spam": True},
        headers=moderator_headers,
    )
    domain = client.post(
        f"{api}/bans",
        json={"kind": "domain", "comment_id": comment_id, "reason": "r"},
        headers=moderator_headers,
    )
    refused = submit(client, email=ADDRESS, body="marker-refused")
    email_hash = typed.get_json()["ban"]["value"]
    note = client.post(
        f"{api}/commenters/{email_hash}/notes", json={"body": "n"}, headers=moderator_headers
    )
    answers = [
        typed,
        spam_ban,
        domain,
        refused,
        note,
        client.get(f"{api}/bans?state=all", headers=moderator_headers),
        client.get(f"{api}/events", headers=moderator_headers),
    ]

    assert [r.status_code for r in answers] == [201, 201, 201, 403, 201, 200, 200]
    assert domain.get_json()["ban"]["label"] == "@example.org"
    for response in answers:
        assert_no_address(response_text(response))
    assert_no_address(database_text(app))
    assert_no_address(caplog.text)
