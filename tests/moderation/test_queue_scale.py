"""The moderation queue with 100,000 pending comments (SQLite): the first and next pages of
the web queue and of the JSON API, timed (printed) and held to a fixed number of SQL queries
whatever the page size, so a page never costs a query per comment."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert

from service import create_app
from service.extensions import db
from service.models import Article, Comment, CommentStatus
from service.moderation import accounts
from service.ops.database import write_transaction
from service.privacy import vault
from service.sites import registry
from tests.conftest import base_config, dispose

pytestmark = pytest.mark.slow

PENDING = 100_000
CHUNK = 5_000
ADDRESSES = 1_000  # commenters; each has about 100 comments in the queue
ARTICLES = 200
PARENTS = 100  # approved comments that every fifth pending comment replies to (each page has some)
MAX_QUERIES = 10
PASSWORD = "correct horse battery staple"
START = datetime(2026, 1, 1, tzinfo=UTC)
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_NEXT = re.compile(r'<a rel="next" href="([^"]+)">Next page')
_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _fill(app: Flask) -> None:
    """PENDING comments in one transaction, with SQLAlchemy Core executemany in chunks."""
    email_vault = vault.vault()
    addresses = [f"reader{n}@example.org" for n in range(ADDRESSES)]
    encrypted = [email_vault.encrypt(address) for address in addresses]
    hashes = [email_vault.email_hash(address) for address in addresses]
    comments = Comment.__table__

    def row(n: int, status: CommentStatus, parent_id: int | None = None) -> dict[str, Any]:
        stamp = START + timedelta(seconds=n)
        return {
            "article_id": n % ARTICLES + 1,
            "parent_id": parent_id,
            "depth": 1 if parent_id else 0,
            "status": status,
            "name": f"Reader {n % ADDRESSES}",
            "email_encrypted": encrypted[n % ADDRESSES],
            "email_hash": hashes[n % ADDRESSES],
            "body": f"Comment {n}: a considered view on the article.",
            "body_html": f"<p>Comment {n}: a considered view on the article.</p>",
            "created_at": stamp,
            "updated_at": stamp,
            "reasons": [],
        }

    default_site = registry.default().id
    with write_transaction() as session:
        connection = session.connection()
        # Room for the whole of the indexes while they grow: halves the time of the fill.
        connection.exec_driver_sql("PRAGMA cache_size = -262144")
        connection.execute(
            insert(Article.__table__),
            [
                {
                    "site_id": default_site,
                    "key": f"news/story-{n}",
                    "approved_count": 0,
                    "feed_version": 0,
                }
                for n in range(ARTICLES)
            ],
        )
        connection.execute(
            insert(comments), [row(n, CommentStatus.APPROVED) for n in range(PARENTS)]
        )
        for start in range(0, PENDING, CHUNK):
            connection.execute(
                insert(comments),
                [
                    row(
                        PARENTS + n,
                        CommentStatus.PENDING,
                        parent_id=n % PARENTS + 1 if n % 5 == 0 else None,
                    )
                    for n in range(start, start + CHUNK)
                ],
            )


@pytest.fixture(scope="module")
def database_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('scale') / 'queue.db'}"
    app = create_app(base_config(url))
    with app.app_context():
        db.create_all(bind_key=None)
        _fill(app)
        accounts.create_moderator("mia", PASSWORD)
        db.session.remove()
        db.engine.dispose()
    yield url


@pytest.fixture(scope="module")
def api_token(database_file: str) -> str:
    app = create_app(base_config(database_file))
    with app.app_context():
        token = accounts.create_api_token("mia", "scale test")
        db.session.remove()
        db.engine.dispose()
    return token


@pytest.fixture
def make_scale_app(database_file: str) -> Iterator[Any]:
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        # The per-worker copies (bans, rules, article states) re-read their version row once
        # FEED_STATE_SECONDS has passed: that extra query follows the clock, not the page size,
        # and on a busy machine a page of 50 could cross the second where a page of 5 did not.
        settings = base_config(database_file) | {"FEED_STATE_SECONDS": 3600.0} | overrides
        app = create_app(settings)
        apps.append(app)
        return app

    yield build
    dispose(apps)


@contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(_TRANSACTION_CONTROL):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str]) -> Any:
    def show(label: str, seconds: float, queries: int, rows: int) -> None:
        with capsys.disabled():
            print(f"\n  {label}: {seconds * 1000:.1f} ms, {queries} SQL queries, {rows} comments")

    return show


def _signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    page = client.get("/moderation/login").get_data(as_text=True)
    token = _CSRF.search(page).group(1)
    response = client.post(
        "/moderation/login", data={"csrf_token": token, "username": "mia", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def _web_pages(app: Flask, report: Any, size: int) -> list[int]:
    """Query counts of the first and the next web queue page."""
    client = _signed_in(app)
    client.get("/moderation/")  # warm up: templates compiled, statements cached, as in service
    counts = []
    path = "/moderation/"
    for label in ("first", "next"):
        with counting_queries(app) as statements:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        rows = page.count('<li class="comment card')
        assert rows == size
        report(f"web queue, {label} page of {size}", elapsed, len(statements), rows)
        counts.append(len(statements))
        path = _NEXT.search(page).group(1).replace("&amp;", "&")
    assert 'Pending <span class="count">100000</span>' in page
    return counts


def _api_pages(app: Flask, token: str, report: Any, size: int) -> list[int]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    client.get("/api/v1/moderation/comments", query_string={"limit": size}, headers=headers)
    counts = []
    query: dict[str, Any] = {"limit": size}
    for label in ("first", "next"):
        with counting_queries(app) as statements:
            started = time.perf_counter()
            response = client.get(
                "/api/v1/moderation/comments", query_string=query, headers=headers
            )
            elapsed = time.perf_counter() - started
        assert response.status_code == 200
        body = response.get_json()
        assert len(body["comments"]) == size
        assert body["comments"][0]["email"].endswith("@example.org")
        report(f"JSON API, {label} page of {size}", elapsed, len(statements), size)
        counts.append(len(statements))
        query["cursor"] = body["next_cursor"]
    return counts


def test_web_queue_pages_cost_the_same_few_queries_for_5_or_50_comments(make_scale_app, report):
    fifty = _web_pages(make_scale_app(QUEUE_PAGE_SIZE=50), report, 50)
    five = _web_pages(make_scale_app(QUEUE_PAGE_SIZE=5), report, 5)
    assert fifty == five
    assert max(fifty) <= MAX_QUERIES


def test_api_queue_pages_cost_the_same_few_queries_for_5_or_50_comments(
    make_scale_app, api_token, report
):
    app = make_scale_app()
    fifty = _api_pages(app, api_token, report, 50)
    five = _api_pages(app, api_token, report, 5)
    assert fifty == five
    assert max(fifty) <= MAX_QUERIES


def test_next_page_continues_where_the_first_ended(make_scale_app):
    client = _signed_in(make_scale_app(QUEUE_PAGE_SIZE=50))
    first = client.get("/moderation/").get_data(as_text=True)
    following = client.get(_NEXT.search(first).group(1).replace("&amp;", "&"))
    ids = [int(i) for i in re.findall(r'<li class="comment card[^>]* data-id="(\d+)"', first)]
    next_ids = [
        int(i)
        for i in re.findall(
            r'<li class="comment card[^>]* data-id="(\d+)"', following.get_data(as_text=True)
        )
    ]
    expected = list(range(PARENTS + 1, PARENTS + 101))
    assert ids + next_ids == expected
