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


def decided_texts(status: CommentStatus) -> list[str]:
    """Distinct bodies of comments a moderator moved to `status` and that are still there,
    newest first. The policy's own verdicts are left out, so the model never learns from
    itself; a spam wave counts once, not once per copy."""
    by_moderator = exists().where(
        ModerationEvent.comment_id == Comment.id,
        ModerationEvent.actor == AuditActor.MODERATOR,
        ModerationEvent.to_status == Comment.status,
    )
    stmt = (
        select(Comment.body)
        .where(Comment.status == status, by_moderator)
        .order_by(Comment.id.desc())
        .limit(MAX_PER_CLASS)
    )
    # Its own connection: the read transaction ends before the (slow) fitting starts.
    with db.engine.connect() as connection:
        bodies = connection.scalars(stmt).all()
    return list(dict.fromkeys(body.strip() for body in bodies if body.strip()))


def train_from_decisions(min_per_class: int | None = None) -> TrainingReport:
    """Train a new model when there are at least `min_per_class` (default
    CLASSIFIER_MIN_PER_CLASS) approved and spam comments; store it and use it at once."""
    # scikit-learn takes seconds to import: only processes that train pay for it.
    from service.screening.classifier import model

    wanted = max(2, min_per_class or current_app.config["CLASSIFIER_MIN_PER_CLASS"])
    ham = decided_texts(CommentStatus.APPROVED)
    spam = decided_texts(CommentStatus.SPAM)
    if len(ham) < wanted or len(spam) < wanted:
        return TrainingReport(len(ham), len(spam), wanted)

    texts = ham + spam
    labels = np.array([model.HAM] * len(ham) + [model.SPAM] * len(spam))
    folds = min(FOLDS, len(ham), len(spam))
    probabilities, _ = model.cross_validate(texts, labels, folds)
    metrics = model.score(labels, probabilities, 0.5).as_dict() | {"folds": folds}
    trained = model.fit(texts, labels)

    with write_transaction() as session:
        row = ClassifierModel(
            blob=trained.to_bytes(), ham_count=len(ham), spam_count=len(spam), metrics=metrics
        )
        session.add(row)
        session.flush()
        keep = session.scalars(
            select(ClassifierModel.id).order_by(ClassifierModel.id.desc()).limit(KEEP_MODELS)
        ).all()
        session.execute(delete(ClassifierModel).where(ClassifierModel.id.not_in(keep)))
        model_id = row.id
    scoring.remember(model_id, trained)
    return TrainingReport(len(ham), len(spam), wanted, model_id, metrics)
