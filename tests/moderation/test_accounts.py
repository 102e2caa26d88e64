"""Moderators' own choices kept with their account: the queue's view."""

from __future__ import annotations

import pytest

from service.errors import ModeratorNotFound
from service.extensions import db
from service.models import MAX_ID, Moderator, QueueView
from service.moderation import accounts

PASSWORD = "correct horse battery staple"


def test_a_new_moderator_sees_the_full_queue(app):
    with app.app_context():
        mia = accounts.create_moderator("mia", PASSWORD).id
        db.session.expunge_all()
        assert db.session.get(Moderator, mia).queue_view == QueueView.FULL


def test_the_queue_view_is_kept_for_that_moderator_only(app):
    with app.app_context():
        mia = accounts.create_moderator("mia", PASSWORD).id
        noor = accounts.create_moderator("noor", PASSWORD).id
        accounts.set_queue_view(mia, QueueView.COMPACT)
        db.session.expunge_all()
        assert db.session.get(Moderator, mia).queue_view == QueueView.COMPACT
        assert db.session.get(Moderator, noor).queue_view == QueueView.FULL

        accounts.set_queue_view(mia, QueueView.FULL)
        db.session.expunge_all()
        assert db.session.get(Moderator, mia).queue_view == QueueView.FULL


@pytest.mark.parametrize("moderator_id", [0, 404, MAX_ID + 1])
def test_the_view_of_a_moderator_who_does_not_exist_is_refused(app, moderator_id):
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
        with pytest.raises(ModeratorNotFound):
            accounts.set_queue_view(moderator_id, QueueView.COMPACT)
