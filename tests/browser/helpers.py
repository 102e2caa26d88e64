"""What the browser tests do over and over: sign in, post comments, read back the database."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from service.extensions import db
from service.models import Comment, ModerationEvent
from tests.browser.conftest import PASSWORD, LiveServer
from tests.conftest import submit

if TYPE_CHECKING:
    from playwright.sync_api import Page

_serial = itertools.count(1)


def post_comment(live: LiveServer, article: str = "blog/hello", **fields: Any) -> int:
    """A new pending comment, submitted through the public API."""
    n = next(_serial)
    fields.setdefault("body", f"Comment number {n}: thoughtful, on topic.")
    fields.setdefault("email", f"reader{n}@example.org")
    response = submit(live.app.test_client(), article, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def sign_in(page: Page, username: str = "mia", password: str = PASSWORD) -> None:
    page.goto("/moderation/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/moderation/(\?.*)?$"))


def status_of(live: LiveServer, comment_id: int) -> str:
    with live.app.app_context():
        return db.session.get(Comment, comment_id).status.value


def event_count(live: LiveServer) -> int:
    with live.app.app_context():
        return db.session.scalar(select(func.count()).select_from(ModerationEvent))


def database_rows(live: LiveServer) -> list[tuple[str, list[Any]]]:
    """Every row of every table, to show that a refused request changed nothing."""
    with live.app.app_context():
        return [
            (table.name, db.session.execute(select(table).order_by(*table.primary_key)).all())
            for table in db.metadata.sorted_tables
        ]


def forge_post(page: Page, action: str, fields: dict[str, str]) -> None:
    """Submit a plain HTML form from the current page, as another site or a stale tab
    could: only the fields given, no JavaScript interception."""
    with page.expect_navigation():
        page.evaluate(
            """([action, fields]) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                for (const [name, value] of Object.entries(fields)) {
                    const input = document.createElement("input");
                    input.type = "hidden";
                    input.name = name;
                    input.value = value;
                    form.append(input);
                }
                document.body.append(form);
                HTMLFormElement.prototype.submit.call(form);
            }""",
            [action, fields],
        )
