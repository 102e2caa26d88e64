"""Spam scores for replaying decisions moderators made: from models that did not see them.

The current model learned from those very decisions, so replaying it over them reports the
comments it memorised, not how it does on new ones (0 false positives replayed, 3 of 191 on
unseen comments). Each decision the model learned from gets the probability the training's
cross-validation gave it (from the fold model trained without it, stored with the model);
every other one (decided since, or rejected) the current model's, which never saw it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from service.extensions import db
from service.models import ClassifierModel
from service.screening.classifier import scoring
from service.screening.classifier.features import CommentText
from service.screening.classifier.model import OutOfFold
from service.screening.classifier.training import FOLDS, training_set


def out_of_fold_scores(comments: Sequence[CommentText]) -> list[float | None]:
    """Each comment's spam probability from a model that did not see it, or None while
    there is no model (as the policy would see it)."""
    current = scoring.spam_scores(comments)
    if not comments or current[0] is None:
        return current
    blob = db.session.scalar(
        select(ClassifierModel.blob).order_by(ClassifierModel.id.desc()).limit(1)
    )
    stored = OutOfFold.stored_with(blob) if blob is not None else None
    if stored is None:
        return _cross_validated_now(comments, current)
    found = [stored.get(comment.body) for comment in comments]
    return [mine if mine is not None else s for mine, s in zip(found, current, strict=True)]


def _cross_validated_now(
    comments: Sequence[CommentText], current: list[float | None]
) -> list[float | None]:
    """For a model stored without its out-of-fold scores (trained by an older version):
    cross-validate on today's training decisions instead, each scored by its fold's model."""
    # scikit-learn takes a second to import: this is an admin's action, not a submission.
    from service.screening.classifier import learning

    learned, labels = training_set()
    spam_count = int(labels.sum())
    folds = min(FOLDS, spam_count, len(labels) - spam_count)
    if folds < 2:
        return current
    models, fold_of = learning.cross_fit(learned, labels, folds)
    fold_by_body = {comment.body: int(fold) for comment, fold in zip(learned, fold_of, strict=True)}
    scores = list(current)
    for fold, model in enumerate(models):
        # The training set holds one comment per body, so every copy of it is unseen here.
        unseen = [i for i, c in enumerate(comments) if fold_by_body.get(c.body.strip()) == fold]
        if unseen:
            found = model.spam_probabilities([comments[i] for i in unseen])
            for i, probability in zip(unseen, found, strict=True):
                scores[i] = float(probability)
    return scores
