"""What the tests of the moderators' web pages share: signing in as a browser does (with the
page's CSRF token), reading flash messages, and a snapshot of every row to show an action
changed nothing."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.extensions import db
from service.models import Comment, Moderator
from tests.conftest import submit

PASSWORD = "correct horse battery staple"
NOOR_PASSWORD = "another long password"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
FLASHES = re.compile(r'<div class="flash (flash-\w+)" role="status">(.*?)</div>', re.S)


def csrf_token(client: FlaskClient, **kwargs: Any) -> str:
    """The token a page hands out: the login page when signed out, the queue when in."""
    page = client.get("/moderation/login", follow_redirects=True, **kwargs)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)
    return match.group(1)


def sign_in(
    client: FlaskClient, username: str = "mia", password: str = PASSWORD, **kwargs: Any
) -> Any:
    data = {"csrf_token": csrf_token(client, **kwargs), "username": username, "password": password}
    # As a browser does; over HTTPS the CSRF check also wants the page the form came from.
    base = kwargs.get("base_url", "http://localhost")
    headers = {"Referer": f"{base}/moderation/login"}
    return client.post("/moderation/login", data=data, headers=headers, **kwargs)


def flashes(response: Any) -> list[tuple[str, str]]:
    """(category, text) of each flash message on a page."""
    return [
        (category, " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split()))
        for category, text in FLASHES.findall(response.get_data(as_text=True))
    ]


def new_comment(client: FlaskClient, article: str = "posts/hello", **fields: Any) -> int:
    response = submit(client, article, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def moderator_id(app: Flask, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Moderator.id).where(Moderator.username == username))


def status_of(app: Flask, comment_id: int) -> str:
    with app.app_context():
        return db.session.get(Comment, comment_id).status.value


def snapshot(app: Flask) -> list[tuple[str, list[Any]]]:
    """Every row of every table: whatever a moderation page or action could change."""
    with app.app_context():
        return [
            (table.name, db.session.execute(select(table).order_by(*table.primary_key)).all())
            for table in db.metadata.sorted_tables
        ]


@dataclass
class World:
    """A small moderation site: an admin (mia), a moderator (noor), a pending comment, a wave
    of three, an earlier decision of mia's that can be undone, and one of noor's tokens."""

    comment: int
    fingerprint: str
    batch: str
    mia: int
    noor: int
    token: int
    commenter: str


def redirects_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.location.startswith("/moderation/login?next=")


def admin_post(client: FlaskClient, path: str, **data: str) -> Any:
    data["csrf_token"] = csrf_token(client)
    return client.post(path, data=data, follow_redirects=True)
