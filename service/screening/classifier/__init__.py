"""Spam classifier learned from moderators' own decisions (approved = ham, spam = spam).

It trains and scores on this server only: no comment text ever leaves it. Until moderators
have decided enough comments of each kind there is no model, and every score is None.

- `spam_score` / `spam_scores`: the current model's probability that a comment (body, name
  and website) is spam, for the policy. NumPy only: scikit-learn is imported to train.
- `train_from_decisions`: the use case behind `flask --app wsgi classifier train`.
- `note_decisions`: the moderation use cases report decisions; every
  `CLASSIFIER_RETRAIN_EVERY` of them the model is retrained in a background thread.
- `evaluate`: train on one labelled CSV and measure on another (the README's numbers).
- `out_of_fold_scores`: scores for replaying decisions, each from a model that did not see it.
"""

from __future__ import annotations

from service.screening.classifier.evaluation import DatasetError, Evaluation, evaluate
from service.screening.classifier.features import CommentText
from service.screening.classifier.out_of_fold import out_of_fold_scores
from service.screening.classifier.retraining import note_decisions, wait_for_retraining
from service.screening.classifier.scoring import current_model, spam_score, spam_scores
from service.screening.classifier.training import TrainingReport, train_from_decisions

__all__ = [
    "CommentText",
    "DatasetError",
    "Evaluation",
    "TrainingReport",
    "current_model",
    "evaluate",
    "note_decisions",
    "out_of_fold_scores",
    "spam_score",
    "spam_scores",
    "train_from_decisions",
    "wait_for_retraining",
]
