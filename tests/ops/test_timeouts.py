"""A database that stops answering (a lock held, a writer stuck, every pooled connection
busy) costs a request seconds, not minutes: it answers 503 with Retry-After within the
request timeouts, while commands keep waiting as long as their work needs."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, text

from service.extensions import db
from service.ops import database
from tests.conftest import VALID, run_cli, submit
from tests.faults import Forwarder

# Loose on purpose: this checks that a request is cut off, not how fast.
PROMPTLY = 6


@contextmanager
def postgresql_tables_locked(database_url: str, seconds: float | None = None) -> Iterator[None]:
    """Another session holds ACCESS EXCLUSIVE locks, as a stuck migration or a frozen backend
    would: every statement on these tables waits (released after `seconds`, if given)."""
    engine = create_engine(database_url)
    connection = engine.connect()
    connection.execute(text("LOCK TABLE articles, comments IN ACCESS EXCLUSIVE MODE"))
    timer = threading.Timer(seconds, connection.rollback) if seconds else None
    if timer:
        timer.start()
    try:
        yield
    finally:
        if timer:
            timer.join()
        connection.rollback()
        connection.close()
        engine.dispose()


@contextmanager
def sqlite_write_lock(database_url: str) -> Iterator[None]:
    """Another process's writer inside its transaction: SQLite has one writer at a time."""
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def timed(request: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = request()
    return response, time.monotonic() - started


def assert_quick_503(response: Any, waited: float) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["message"].startswith("The database is")
    assert waited < PROMPTLY


@pytest.mark.parametrize(
    "settings",
    [{}, {"DB_LOCK_TIMEOUT_MS": 0}],
    ids=["lock timeout", "statement timeout"],
)
def test_a_request_blocked_by_a_postgresql_lock_answers_503_within_seconds(
    make_app, database_url, settings
):
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's locks; SQLite's writer lock is tested below")
    client = make_app(**settings).test_client()
    with postgresql_tables_locked(database_url):
        feed, feed_waited = timed(lambda: client.get("/api/v1/articles/posts/locked/comments"))
        posted, post_waited = timed(lambda: submit(client, "posts/locked"))
    assert_quick_503(feed, feed_waited)
    assert_quick_503(posted, post_waited)
    # The lock gone, the same worker serves again.
    assert submit(client, "posts/locked").status_code == 201


def test_a_submission_behind_a_stuck_sqlite_writer_answers_503_within_seconds(
    make_app, database_url
):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's single writer; PostgreSQL's locks are tested above")
    client = make_app().test_client()
    with sqlite_write_lock(database_url):
        posted, waited = timed(lambda: submit(client))
    assert_quick_503(posted, waited)
    assert waited > 2  # it did wait its turn first: a busy writer is normal for a moment
    assert submit(client).status_code == 201


def test_every_pooled_connection_busy_answers_503_within_seconds(make_app: Any) -> None:
    app: Flask = make_app()
    client = app.test_client()
    with app.app_context():
        pool: Any = db.engine.pool
        held = [db.engine.connect() for _ in range(pool.size() + pool._max_overflow)]
    try:
        posted, waited = timed(lambda: submit(client))
    finally:
        for connection in held:
            connection.close()
    assert_quick_503(posted, waited)
    assert posted.get_json()["error"]["code"] == "database_busy"
    assert submit(client).status_code == 201


def test_a_command_waits_past_the_request_timeouts(make_app, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's locks")
    app = make_app()
    assert submit(app.test_client()).status_code == 201
    # Held longer than a request's statement timeout (3 s), then released.
    with postgresql_tables_locked(database_url, seconds=4):
        result, waited = timed(lambda: run_cli(app, "privacy", "export", VALID["email"]))
    assert result.exit_code == 0, result.output
    assert '"First!"' in result.output
    assert waited > 3.5


def test_requests_and_commands_get_their_own_postgresql_timeouts(make_app, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL settings")
    app = make_app(DB_STATEMENT_TIMEOUT_MS=2500, DB_COMMAND_TIMEOUT_MS=600_000)

    def timeouts() -> tuple[str, str]:
        statement = db.session.scalar(text("SHOW statement_timeout"))
        lock = db.session.scalar(text("SHOW lock_timeout"))
        db.session.remove()
        return statement, lock

    with app.app_context():
        assert timeouts() == ("2500ms", "2s")
        with database.command_work():
            assert timeouts() == ("10min", "10min")
        # The same pooled connection, back at a request's timeouts.
        assert timeouts() == ("2500ms", "2s")


@pytest.mark.parametrize("when", ["between requests", "mid-request"])
def test_a_frozen_postgresql_answers_503_within_seconds(make_app, database_url, when):
    """As a SIGSTOPped backend: the connection stays open and nothing comes back, so the
    server's own timeouts never fire; the request must not wait for the thaw."""
    if database_url.startswith("sqlite"):
        pytest.skip("a SQLite file cannot freeze; PostgreSQL only")
    make_app()
    link = Forwarder.to_database(database_url)
    link.start()
    answered: dict[str, Any] = {}
    try:
        app = make_app(SQLALCHEMY_DATABASE_URI=link.database_url(database_url))
        client = app.test_client()
        assert submit(client).status_code == 201  # a pooled connection, open and idle
        if when == "between requests":
            link.pause()
        else:
            with app.app_context():

                @event.listens_for(db.engine, "before_cursor_execute")
                def freeze_on_insert(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
                    if statement.startswith("INSERT INTO comments"):
                        link.pause()

        request = threading.Thread(
            target=lambda: answered.update(result=timed(lambda: submit(client, body="Later")))
        )
        request.start()
        request.join(PROMPTLY + 2)
        still_waiting = request.is_alive()
        link.resume()
        request.join(30)
    finally:
        link.resume()
        link.stop()
    assert not still_waiting, "the request waited for the frozen database"
    assert_quick_503(*answered["result"])
