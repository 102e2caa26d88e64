"""Use case: train the spam classifier on the comments moderators approved or marked as spam."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import delete, exists, select

from service.audit import AuditActor
from service.extensions import db
from service.models import (
    ClassifierModel,
    Comment,
    CommentStatus,
    ModerationEvent,
)
from service.ops.database import write_transaction
from service.screening.classifier import scoring
from service.screening.classifier.features import CommentText
from service.screening.classifier.model import HAM, SPAM, Labels, OutOfFold, score

# Stored models kept (the newest is used; the others show how it changed).
KEEP_MODELS = 3
# Newest decided comments learned from per class: bounds training time and memory.
MAX_PER_CLASS = 25_000
# Folds for the held-out metrics stored with each model (fewer when a class is smaller).
FOLDS = 5


@dataclass(frozen=True)
class TrainingReport:
    ham_count: int
    spam_count: int
    min_per_class: int
    model_id: int | None = None
    # Cross-validated on the same decisions, at probability 0.5; None when not trained.
    metrics: dict[str, float | int] | None = None

    @property
    def trained(self) -> bool:
        return self.model_id is not None


def decided_comments(status: CommentStatus) -> list[CommentText]:
    """Comments a moderator moved to `status` and that are still there, newest first, one per
    distinct body. The policy's own verdicts are left out, so the model never learns from
    itself; a spam wave counts once, not once per copy."""
    by_moderator = exists().where(
        ModerationEvent.comment_id == Comment.id,
        ModerationEvent.actor == AuditActor.MODERATOR,
        ModerationEvent.to_status == Comment.status,
    )
    stmt = (
        select(Comment.body, Comment.name, Comment.website)
        .where(Comment.status == status, by_moderator)
        .order_by(Comment.id.desc())
        .limit(MAX_PER_CLASS)
    )
    # Its own connection: the read transaction ends before the (slow) fitting starts.
    with db.engine.connect() as connection:
        rows = connection.execute(stmt).all()
    distinct: dict[str, CommentText] = {}
    for body, name, website in rows:
        if body.strip():
            distinct.setdefault(body.strip(), CommentText(body.strip(), name, website))
    return list(distinct.values())


def training_set() -> tuple[list[CommentText], Labels]:
    """What the next model learns from: approved comments as ham, then spam."""
    ham = decided_comments(CommentStatus.APPROVED)
    spam = decided_comments(CommentStatus.SPAM)
    return ham + spam, np.array([HAM] * len(ham) + [SPAM] * len(spam))


def train_from_decisions(min_per_class: int | None = None) -> TrainingReport:
    """Train a new model when there are at least `min_per_class` (default
    CLASSIFIER_MIN_PER_CLASS) approved and spam comments; store it and use it at once."""
    # scikit-learn takes a second and ~87 MB to import: only processes that train pay for it.
    from service.screening.classifier import learning

    wanted = max(2, min_per_class or current_app.config["CLASSIFIER_MIN_PER_CLASS"])
    comments, labels = training_set()
    spam_count = int(labels.sum())
    ham_count = len(labels) - spam_count
    if ham_count < wanted or spam_count < wanted:
        return TrainingReport(ham_count, spam_count, wanted)

    folds = min(FOLDS, ham_count, spam_count)
    probabilities, _ = learning.cross_validate(comments, labels, folds)
    metrics = score(labels, probabilities, 0.5).as_dict() | {"folds": folds}
    trained = learning.fit(comments, labels)

    with write_transaction() as session:
        row = ClassifierModel(
            blob=trained.to_bytes(OutOfFold.of([c.body for c in comments], probabilities)),
            ham_count=ham_count,
            spam_count=spam_count,
            metrics=metrics,
        )
        session.add(row)
        session.flush()
        keep = session.scalars(
            select(ClassifierModel.id).order_by(ClassifierModel.id.desc()).limit(KEEP_MODELS)
        ).all()
        session.execute(delete(ClassifierModel).where(ClassifierModel.id.not_in(keep)))
        model_id = row.id
    scoring.remember(model_id, trained)
    return TrainingReport(ham_count, spam_count, wanted, model_id, metrics)
