"""The audit trail's one writer (service/audit.py), on SQLite and PostgreSQL: events written
with the enums are stored as plain strings, so rows of any release read back, and every word
fits its column."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text

from service.audit import AuditAction, AuditActor, record
from service.extensions import db
from service.models import CommentStatus, ModerationEvent


def test_an_event_recorded_with_the_enums_is_stored_as_plain_strings(app):
    with app.app_context():
        record(
            db.session,
            AuditAction.APPROVE,
            AuditActor.MODERATOR,
            from_status=CommentStatus.PENDING,
            to_status=CommentStatus.APPROVED,
            note="looks fine",
        )
        db.session.commit()
        row = db.session.execute(
            text("SELECT actor, action, from_status, to_status, note FROM moderation_events")
        ).one()
    assert tuple(row) == ("moderator", "approve", "pending", "approved", "looks fine")
    # Plain str, not the enum's subclass: what the database driver handed back.
    assert all(type(value) is str for value in row)


@pytest.mark.parametrize("action", list(AuditAction))
def test_a_row_written_as_strings_reads_back_equal_to_the_enum_members(app, action):
    # As an older release (or a migration) wrote it: no enum in sight.
    with app.app_context():
        db.session.execute(insert(ModerationEvent).values(actor="system", action=action.value))
        db.session.commit()
        db.session.expire_all()
        event = db.session.scalars(select(ModerationEvent)).one()
        assert event.action == action
        assert AuditAction(event.action) is action
        assert event.actor == AuditActor.SYSTEM
        assert AuditActor(event.actor) is AuditActor.SYSTEM


def test_every_audit_action_and_actor_fits_its_column(app):
    columns = ModerationEvent.__table__.c
    # SQLite does not enforce VARCHAR lengths, so the lengths are checked here as well as by
    # PostgreSQL storing each word below.
    assert max(len(action.value) for action in AuditAction) <= columns.action.type.length
    assert max(len(actor.value) for actor in AuditActor) <= columns.actor.type.length
    assert max(len(status.value) for status in CommentStatus) <= columns.to_status.type.length
    with app.app_context():
        for actor in AuditActor:
            for action in AuditAction:
                record(db.session, action, actor)
        db.session.commit()
        db.session.expire_all()
        stored = db.session.execute(
            select(ModerationEvent.actor, ModerationEvent.action).order_by(ModerationEvent.id)
        ).all()
    assert [tuple(row) for row in stored] == [
        (actor.value, action.value) for actor in AuditActor for action in AuditAction
    ]
