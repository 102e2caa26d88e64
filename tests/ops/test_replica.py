"""DATABASE_REPLICA_URL: the public feed and counts read from the replica; submissions and
moderation write to the primary; /readyz reports the replica."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from service.moderation import accounts
from tests.conftest import approve, submit
from tests.faults import Forwarder

FEED = "/api/v1/articles/posts/hello/comments"


def copy_sqlite(source: str, target: Path) -> None:
    """What replication does, at the moment the test chooses."""
    primary = sqlite3.connect(source.removeprefix("sqlite:///"))
    replica = sqlite3.connect(target)
    try:
        primary.backup(replica)
    finally:
        replica.close()
        primary.close()


def test_on_sqlite_the_feed_reads_the_replica_and_writes_go_to_the_primary(
    make_app, database_url, tmp_path
):
    if not database_url.startswith("sqlite"):
        pytest.skip("the replica is a copy of a SQLite file here; PostgreSQL: the next test")
    make_app()  # the primary's schema
    replica = tmp_path / "replica.db"
    copy_sqlite(database_url, replica)
    app = make_app(DATABASE_REPLICA_URL=f"sqlite:///{replica}", FEED_STATE_SECONDS=0)
    client = app.test_client()
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")
        headers = {"Authorization": f"Bearer {accounts.create_api_token('mia', 'tests')}"}
    first = submit(client, body="Replicated.").get_json()["id"]
    approve(client, headers, first)
    copy_sqlite(database_url, replica)
    second = submit(client, body="Not replicated yet.").get_json()["id"]
    approve(client, headers, second)

    lagging = client.get(FEED).get_json()
    counts = client.get("/api/v1/counts?article=posts/hello").get_json()
    copy_sqlite(database_url, replica)
    caught_up = client.get(FEED).get_json()

    assert [c["id"] for c in lagging["comments"]] == [first]
    assert counts["counts"] == {"posts/hello": 1}
    assert [c["id"] for c in caught_up["comments"]] == [first, second]
    assert client.get("/readyz").get_json() == {"database": "ok", "replica": "ok"}


def test_on_postgresql_a_lost_replica_stops_reads_not_submissions(make_app, database_url) -> Any:
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only: the replica is the same database behind a proxy")
    make_app()
    link = Forwarder.to_database(database_url)
    link.start()
    try:
        app = make_app(DATABASE_REPLICA_URL=link.database_url(database_url), FEED_STATE_SECONDS=0)
        client = app.test_client()
        assert client.get(FEED).status_code == 200

        link.stop()
        feed = client.get(FEED)
        submitted = submit(client, body="The primary still takes comments.")
        ready = client.get("/readyz")
        link.start()
        recovered = client.get(FEED)
    finally:
        link.stop()

    assert feed.status_code == 503
    assert feed.get_json()["error"]["code"] == "database_unavailable"
    assert submitted.status_code == 201
    assert (ready.status_code, ready.get_json()) == (
        503,
        {"database": "ok", "replica": "unreachable"},
    )
    assert recovered.status_code == 200
