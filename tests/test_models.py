"""The stored data (service/models.py): enums stored as the strings they always were."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from service.extensions import db
from service.models import BodyFormat, Comment
from tests.conftest import submit


def test_body_format_is_stored_as_its_word_and_read_back_as_the_enum(
    app: Flask, client: FlaskClient
) -> None:
    comment_id = submit(client).get_json()["id"]
    with app.app_context():
        stored = db.session.scalar(
            text("SELECT body_format FROM comments WHERE id = :id"), {"id": comment_id}
        )
        # A row written before the enum (or by hand) holds the plain word; it reads back.
        db.session.execute(
            text("UPDATE comments SET body_format = 'html' WHERE id = :id"), {"id": comment_id}
        )
        db.session.commit()
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        read_back = comment.body_format
    assert stored == "markdown"
    assert read_back is BodyFormat.HTML


def test_a_body_format_that_is_not_one_is_refused_before_the_table(
    app: Flask, client: FlaskClient
) -> None:
    comment_id = submit(client).get_json()["id"]
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        comment.body_format = "rtf"  # type: ignore[assignment]
        with pytest.raises(StatementError):
            db.session.flush()
        db.session.rollback()
