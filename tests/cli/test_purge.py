"""`flask purge` per site: each site's client data is forgotten after its own retention period
(RETENTION_DAYS where it sets none); --days holds for every site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select, update

from service.extensions import db
from service.models import Comment, ModerationEvent
from tests.conftest import run_cli, submit
from tests.two_sites import add_site, submit_on

B_ORIGIN = "https://b.example.net"
C_ORIGIN = "https://c.example.net"


def aged(app: Flask, comment_id: int, days: int) -> int:
    with app.app_context(), db.session.begin():
        db.session.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )
    return comment_id


def has_client_data(app: Flask, comment_id: int) -> bool:
    with app.app_context():
        comment = db.session.get_one(Comment, comment_id)
        return comment.ip_hash is not None or comment.user_agent is not None


def test_purge_keeps_to_each_site_retention_period(make_app):
    app = make_app(RETENTION_DAYS=90)
    add_site(app, "b", origins=[B_ORIGIN], retention_days=7)
    add_site(app, "c", origins=[C_ORIGIN], retention_days=0)
    client = app.test_client()
    headers = {"User-Agent": "Browser"}
    default_old = aged(app, submit(client, headers=headers).get_json()["id"], 30)
    b_old = aged(app, submit_on(client, B_ORIGIN, headers=headers).get_json()["id"], 30)
    b_new = aged(app, submit_on(client, B_ORIGIN, headers=headers).get_json()["id"], 2)
    c_old = aged(app, submit_on(client, C_ORIGIN, headers=headers).get_json()["id"], 400)

    result = run_cli(app, "purge")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        "[default] Removed IP hashes and user agents from 0 comments older than 90 days." in lines
    )
    assert "[b] Removed IP hashes and user agents from 1 comments older than 7 days." in lines
    assert "[c] Keeps client data (no retention period)." in result.output
    assert not has_client_data(app, b_old)
    assert all(has_client_data(app, i) for i in (default_old, b_new, c_old))
    with app.app_context():
        notes = db.session.scalars(select(ModerationEvent.note)).all()
    assert notes == ["Removed IP hashes and user agents of 1 comments older than 7 days on site b."]

    everywhere = run_cli(app, "purge", "--days", "20")

    assert everywhere.exit_code == 0, everywhere.output
    assert not any(has_client_data(app, i) for i in (default_old, b_old, c_old))
    assert has_client_data(app, b_new)
