"""Keyset pagination (service/cursors.py) on the real databases: every row exactly once, in
order, through ties of created_at, and a last page that says it is the last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service import cursors
from service.errors import FieldError
from service.extensions import db
from service.models import Ban, BanKind, Comment
from service.ops.database import write_transaction
from tests.feed.test_thread import seed

BASE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def walk_by_time(limit: int, newest: bool) -> tuple[list[int], int]:
    ids: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = cursors.by_time(
            select(Comment.id, Comment.created_at),
            Comment.created_at,
            Comment.id,
            cursor,
            limit,
            fetch=lambda stmt: db.session.execute(stmt).all(),
            key=lambda row: (row.created_at, row.id),
            newest=newest,
        )
        pages += 1
        assert len(page.rows) <= limit
        ids += [row.id for row in page.rows]
        if page.next_cursor is None:
            return ids, pages
        assert len(page.rows) == limit
        cursor = page.next_cursor


@pytest.mark.parametrize("newest", [False, True], ids=["oldest-first", "newest-first"])
def test_time_pages_give_every_row_once_in_order_through_equal_timestamps(
    app: Flask, newest: bool
) -> None:
    # Eleven rows on three timestamps: pages of 3 cut through every tie, so only the
    # (created_at, id) key pages correctly.
    stamps = [BASE + timedelta(seconds=n % 3) for n in range(11)]
    comments = seed(app, "posts/keyset", [{"created_at": stamp} for stamp in stamps])
    expected = [c.id for c in sorted(comments, key=lambda c: (c.created_at, c.id))]
    with app.app_context():
        ids, pages = walk_by_time(3, newest)
    assert ids == (expected[::-1] if newest else expected)
    assert pages == 4


def test_an_exactly_full_last_page_has_no_next_cursor(app: Flask) -> None:
    seed(app, "posts/keyset", [{"created_at": BASE} for _ in range(6)])
    with app.app_context():
        ids, pages = walk_by_time(3, newest=False)
    assert (len(ids), pages) == (6, 2)


def test_id_pages_give_every_row_once_highest_id_first(app: Flask) -> None:
    with app.app_context():
        with write_transaction() as session:
            session.add_all(
                Ban(kind=BanKind.DOMAIN, value=f"spam{n}.example", reason="waves")
                for n in range(10)
            )
        expected = sorted(db.session.scalars(select(Ban.id)).all(), reverse=True)
        ids: list[int] = []
        cursor: str | None = None
        for _ in range(3):
            page: cursors.Page[Any] = cursors.by_id_newest(
                select(Ban),
                Ban.id,
                cursor,
                4,
                fetch=lambda stmt: db.session.scalars(stmt).all(),
                key=lambda ban: ban.id,
            )
            ids += [ban.id for ban in page.rows]
            cursor = page.next_cursor
    assert ids == expected
    assert cursor is None


@pytest.mark.parametrize(
    "walk",
    [
        lambda cursor: cursors.by_time(
            select(Comment),
            Comment.created_at,
            Comment.id,
            cursor,
            5,
            fetch=lambda stmt: db.session.scalars(stmt).all(),
            key=lambda c: (c.created_at, c.id),
        ),
        lambda cursor: cursors.by_id_newest(
            select(Ban), Ban.id, cursor, 5, fetch=lambda s: db.session.scalars(s).all(), key=int
        ),
    ],
    ids=["by-time", "by-id"],
)
def test_a_cursor_that_is_not_ours_is_a_field_error_on_cursor(app: Flask, walk: Any) -> None:
    with app.app_context(), pytest.raises(FieldError) as refused:
        walk("not-a-cursor")
    assert refused.value.field == "cursor"
