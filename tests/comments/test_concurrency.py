"""Many requests at the same moment against a real threaded server: every 201 stored exactly
once, double-submits collapsed, decisions serialised, never a 500 ("database is locked")."""

from __future__ import annotations

import fcntl
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from service.extensions import db
from service.models import Article, Comment, CommentStatus, ModerationEvent
from service.ops.database import checkpoint_in_background, sqlite_file
from service.privacy import vault
from tests.conftest import form_token, submit
from tests.serving import serving_thread

pytestmark = pytest.mark.slow

T = TypeVar("T")
TIMEOUT = 60
# These tests are about what gets stored, not about how long a request may wait: on a slow or
# busy machine, dozens of requests at once have outwaited the 2-second pool timeout and been
# answered 503 (as designed, and tested in tests/ops). Here they wait as long as the test does.
PATIENT = {
    "DB_POOL_TIMEOUT_SECONDS": TIMEOUT,
    "DB_LOCK_TIMEOUT_MS": TIMEOUT * 1000,
    "DB_STATEMENT_TIMEOUT_MS": TIMEOUT * 1000,
}


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(**PATIENT)


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app behind a real multi-threaded HTTP server on a free port; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = serving_thread(server, name="live-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=TIMEOUT)


def all_at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call on its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def post(url: str, **kwargs: Any) -> Callable[[], tuple[int, Any]]:
    def call() -> tuple[int, Any]:
        response = requests.post(url, timeout=TIMEOUT, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return response.status_code, body

    return call


def test_concurrent_submissions_store_every_comment_exactly_once(make_app):
    # Published at once, so every request also moves the public count of its article; and
    # one client sends all of them, which is a test of storage here, not of rate limits.
    app = make_app(**PATIENT, MODERATION="off", RATELIMIT_ENABLED=False)
    articles = ["race/one", "race/two", "race/three"]
    distinct = [
        {
            "article": articles[n % 3],
            "name": f"Reader {n}",
            "email": f"reader{n}@example.org",
            "body": f"Comment {n}: an opinion of my own about this article.",
        }
        for n in range(50)
    ]
    # The first ten are double-submitted: both copies leave at the same moment.
    sends = distinct + distinct[:10]
    token = form_token(app)

    with serving(app) as base:
        answers = all_at_once(
            [
                post(
                    f"{base}/api/v1/articles/{c['article']}/comments",
                    json={k: v for k, v in c.items() if k != "article"} | {"form_token": token},
                )
                for c in sends
            ]
        )

    statuses = Counter(status for status, _ in answers)
    assert set(statuses) <= {200, 201}, [a for a in answers if a[0] not in (200, 201)]
    assert statuses == {201: 50, 200: 10}
    created = [body["id"] for status, body in answers if status == 201]
    assert len(set(created)) == 50
    for n in range(10):
        (first_status, first), (second_status, second) = answers[n], answers[50 + n]
        assert first["id"] == second["id"], f"double-submit {n} stored twice"
        assert {first_status, second_status} == {200, 201}

    with app.app_context():
        email_vault = vault.vault()
        rows = db.session.execute(
            select(Comment.id, Article.key, Comment.email_hash, Comment.body, Comment.status).join(
                Article, Article.id == Comment.article_id
            )
        ).all()
        assert sorted(row.id for row in rows) == sorted(created)
        assert {(row.key, row.email_hash, row.body) for row in rows} == {
            (c["article"], email_vault.email_hash(c["email"]), c["body"]) for c in distinct
        }
        approved: dict[str, int] = defaultdict(int)
        for row in rows:
            approved[row.key] += row.status == CommentStatus.APPROVED
        stored_counts = dict(db.session.execute(select(Article.key, Article.approved_count)).all())
    # The kept count matches the rows: no increment was lost to a race.
    assert stored_counts == dict(approved)
    assert sum(approved.values()) == 50
    client = app.test_client()
    for article in articles:
        feed = client.get(f"/api/v1/articles/{article}/comments", query_string={"limit": 200})
        assert feed.get_json()["count"] == approved[article]
        assert len(feed.get_json()["comments"]) == approved[article]


def test_concurrent_approvals_of_one_comment_let_exactly_one_through(
    app, client, moderator_headers
):
    comment_id = submit(client).get_json()["id"]

    with serving(app) as base:
        answers = all_at_once(
            [
                post(
                    f"{base}/api/v1/moderation/comments/{comment_id}/approve",
                    headers=moderator_headers,
                )
                for _ in range(20)
            ]
        )

    statuses = Counter(status for status, _ in answers)
    assert statuses == {200: 1, 409: 19}, answers
    assert all(
        body["error"]["code"] == "invalid_transition" for status, body in answers if status == 409
    )
    counts = client.get("/api/v1/counts", query_string={"article": "posts/hello"}).get_json()
    assert counts == {"counts": {"posts/hello": 1}}
    assert client.get("/api/v1/articles/posts/hello/comments").get_json()["count"] == 1
    with app.app_context():
        events = db.session.scalar(
            select(func.count())
            .select_from(ModerationEvent)
            .where(ModerationEvent.comment_id == comment_id)
        )
    assert events == 1


def test_concurrent_opposite_decisions_leave_a_consistent_count(app, client, moderator_headers):
    # Approvals and rejections of the same comments racing each other: whatever order they
    # land in, the public count equals the comments that ended up approved.
    ids = [submit(client, body=f"Contested {n}").get_json()["id"] for n in range(5)]
    decisions = [(i, a) for i in ids for a in ("approve", "reject", "approve", "spam")]

    with serving(app) as base:
        answers = all_at_once(
            [
                post(f"{base}/api/v1/moderation/comments/{i}/{a}", headers=moderator_headers)
                for i, a in decisions
            ]
        )

    assert {status for status, _ in answers} <= {200, 409}, answers
    with app.app_context():
        approved = db.session.scalar(
            select(func.count())
            .select_from(Comment)
            .where(Comment.status == CommentStatus.APPROVED)
        )
        moves = db.session.scalar(select(func.count()).select_from(ModerationEvent))
    counts = client.get("/api/v1/counts", query_string={"article": "posts/hello"}).get_json()
    assert counts == {"counts": {"posts/hello": approved}}
    assert moves == sum(status == 200 for status, _ in answers)


def _comment(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "name": f"Reader {n}",
        "email": f"reader{n}@example.org",
        "body": f"Comment {n}: an opinion of my own about the story of the day.",
    } | fields


def test_a_surge_into_one_hot_article_stores_every_comment_once_and_counts_them(make_app):
    # Every submission to one story at the same moment, published at once: no per-article
    # lock serialises them any more, so the count must come out right by itself.
    app = make_app(**PATIENT, MODERATION="off", RATELIMIT_ENABLED=False)
    distinct = [_comment(n) for n in range(40)]
    sends = distinct + distinct[:8]
    token = form_token(app)

    with serving(app) as base:
        answers = all_at_once(
            [
                post(f"{base}/api/v1/articles/hot/story/comments", json=c | {"form_token": token})
                for c in sends
            ]
        )

    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: 40, 200: 8}, [a for a in answers if a[0] not in (200, 201)]
    created = sorted(body["id"] for status, body in answers if status == 201)
    with app.app_context():
        rows = db.session.scalars(select(Comment.id).order_by(Comment.id)).all()
        count = db.session.scalar(select(Article.approved_count).where(Article.key == "hot/story"))
    assert rows == created
    assert count == 40
    feed = app.test_client().get("/api/v1/articles/hot/story/comments?limit=200").get_json()
    assert feed["count"] == 40 and len(feed["comments"]) == 40


def test_copies_of_one_comment_sent_at_once_are_stored_once(make_app):
    app = make_app(**PATIENT, RATELIMIT_ENABLED=False)
    token = form_token(app)
    copy = _comment(1) | {"form_token": token}

    with serving(app) as base:
        answers = all_at_once(
            [post(f"{base}/api/v1/articles/hot/story/comments", json=copy) for _ in range(20)]
        )

    assert Counter(status for status, _ in answers) == {201: 1, 200: 19}, answers
    assert len({body["id"] for _, body in answers}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


FLOOD = {
    "RATELIMIT_ENABLED": True,
    "SUBMIT_RATE_LIMIT": "10000 per minute",
    "FLOOD_SECONDS": 60,
    "TRUSTED_PROXIES": 1,
}


@pytest.mark.parametrize(
    "sender",
    [
        # One address from many clients, and many addresses from one client.
        lambda n: ({"email": "flooder@example.org"}, f"198.51.100.{n + 1}"),
        lambda n: ({"email": f"sock{n}@example.org"}, "198.51.100.200"),
    ],
    ids=["one address", "one client"],
)
def test_a_flood_sent_all_at_once_lets_exactly_one_comment_through(
    make_app, sender: Callable[[int], tuple[dict[str, str], str]]
):
    app = make_app(**PATIENT, **FLOOD)
    token = form_token(app)
    sends = [sender(n) for n in range(12)]

    with serving(app) as base:
        answers = all_at_once(
            [
                post(
                    f"{base}/api/v1/articles/hot/story/comments",
                    json=_comment(n, **fields) | {"form_token": token},
                    headers={"X-Forwarded-For": ip},
                )
                for n, (fields, ip) in enumerate(sends)
            ]
        )

    assert Counter(status for status, _ in answers) == {201: 1, 429: 11}, answers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


def test_a_submission_does_not_wait_for_a_lock_on_its_article_row(make_app):
    # What serialised every submission to a story: each took a lock on its row. Another
    # holds one here (as a moderator changing the article's settings does, for a moment);
    # a held submission must go on meanwhile.
    app = make_app(MODERATION="pre", RATELIMIT_ENABLED=False)
    client = app.test_client()
    assert submit(client, article="hot/story", body="The first.").status_code == 201
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has one writer at a time; row locks are PostgreSQL's")
        holder = db.engine.connect()
    try:
        holder.execute(
            select(Article.id).where(Article.key == "hot/story").with_for_update(key_share=True)
        ).one()
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(submit, app.test_client(), article="hot/story", body="Next.")
            status = pending.result(timeout=5).status_code
    finally:
        holder.rollback()
        holder.close()
    assert status == 201


def sqlite_file_or_skip(app: Flask, why: str) -> str:
    """The path of the app's SQLite database file; the test is skipped on PostgreSQL."""
    with app.app_context():
        database = sqlite_file(db.engine)
    if database is None:
        pytest.skip(why)
    return database


def test_sqlite_writers_of_every_process_queue_on_one_lock_file(make_app):
    # Another process's writer holds the turn (the lock file next to the database); this
    # process's submission waits for it in the kernel's queue instead of SQLite's busy
    # handler, and goes through as soon as the turn is released.
    app = make_app(RATELIMIT_ENABLED=False)
    database = sqlite_file_or_skip(app, "the lock file is SQLite's; PostgreSQL has row locks")
    with open(f"{database}-writers.lock", "ab") as other_process:
        fcntl.flock(other_process.fileno(), fcntl.LOCK_EX)
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(submit, app.test_client(), body="Waits for its turn.")
            time.sleep(0.5)
            assert not pending.done()
            fcntl.flock(other_process.fileno(), fcntl.LOCK_UN)
            assert pending.result(timeout=TIMEOUT).status_code == 201


def test_a_request_waits_for_the_sqlite_turn_no_longer_than_its_timeout(make_app):
    # A writer of another process (an import, a stuck worker) keeps the turn: a submission
    # answers 503 within the request's timeout instead of hanging, and once the turn is free
    # again the next submission goes through (the abandoned wait let it go).
    app = make_app(RATELIMIT_ENABLED=False, DB_STATEMENT_TIMEOUT_MS=1000)
    database = sqlite_file_or_skip(app, "the lock file is SQLite's; PostgreSQL has row locks")
    client = app.test_client()
    with open(f"{database}-writers.lock", "ab") as other_process:
        fcntl.flock(other_process.fileno(), fcntl.LOCK_EX)
        started = time.monotonic()
        refused = submit(client, body="Waits too long.")
        waited = time.monotonic() - started
    assert refused.status_code == 503
    assert refused.get_json()["error"]["code"] == "database_busy"
    assert refused.headers["Retry-After"]
    assert 0.9 < waited < 5
    assert submit(client, body="Gets its turn.").status_code == 201


def test_a_serving_worker_copies_the_sqlite_log_into_the_database_itself(make_app):
    # A commit leaves its pages in the write-ahead log; SQLite copies them into the database
    # file in the commit that fills the log, while that writer still holds the write turn.
    # A serving worker's own thread does it instead (gunicorn.conf.py starts it).
    app = make_app(MODERATION="off", RATELIMIT_ENABLED=False)
    database = sqlite_file_or_skip(app, "the write-ahead log is SQLite's")
    marker = f"Checkpointed {uuid.uuid4().hex}"
    assert submit(app.test_client(), body=marker).status_code == 201
    # The pooled connections stay open (the last one to close would checkpoint).
    assert marker.encode() in Path(f"{database}-wal").read_bytes()
    assert marker.encode() not in Path(database).read_bytes()

    checkpointers = checkpoint_in_background(app)
    try:
        deadline = time.monotonic() + TIMEOUT
        while marker.encode() not in Path(database).read_bytes():
            assert time.monotonic() < deadline, "the log was never copied into the database"
            time.sleep(0.05)
    finally:
        for checkpointer in checkpointers:
            checkpointer.stop()
    assert [c.path for c in checkpointers] == [database]
