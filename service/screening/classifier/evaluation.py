"""Measure the classifier on labelled comments from files (TubeSpam's CSV layout): train on
one file, score another, and optionally cross-validate on the training file."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.screening.classifier.features import CommentText
from service.screening.classifier.model import Labels, Scores, score

# The commenter's name, under the names exports use for it (TubeSpam says `author`).
_NAME_COLUMNS = ("name", "author")

_LABELS = {"1": 1, "spam": 1, "0": 0, "ham": 0}


class DatasetError(ValueError):
    """A labelled file cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class Evaluation:
    train_ham: int
    train_spam: int
    test_ham: int
    test_spam: int
    # On the test file, one per threshold asked for.
    scores: list[Scores]
    # Cross-validation on the training file at probability 0.5, one per fold (or none).
    folds: list[Scores]


def read_labelled(path: Path) -> tuple[list[CommentText], Labels]:
    """Comments and labels from a CSV with a header naming at least `text` and `label`
    (1 or "spam" for spam, 0 or "ham" for legitimate comments), and optionally the name
    (`name` or `author`) and `website`."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DatasetError(f"{path}: cannot be read as UTF-8 CSV ({error}).") from None
    if not rows or not {"text", "label"} <= rows[0].keys():
        raise DatasetError(f"{path}: needs a header with `text` and `label` columns, and rows.")
    name_column = next((c for c in _NAME_COLUMNS if c in rows[0]), None)
    comments, labels = [], []
    for line, row in enumerate(rows, start=2):
        label = _LABELS.get((row["label"] or "").strip().lower())
        if label is None:
            raise DatasetError(f"{path}, line {line}: label {row['label']!r} is not 1/0/spam/ham.")
        name = (row[name_column] or "") if name_column else ""
        comments.append(CommentText(row["text"] or "", name, row.get("website") or None))
        labels.append(label)
    return comments, np.array(labels)


def evaluate(
    train_path: Path, test_path: Path, thresholds: Sequence[float], folds: int = 0
) -> Evaluation:
    """Train on `train_path`, score `test_path` at each threshold; with `folds` >= 2, also
    cross-validate on `train_path` (stratified, fixed seed: the same numbers every run)."""
    # scikit-learn takes a second to import: only commands that evaluate pay for it.
    from service.screening.classifier import learning

    train_comments, train_labels = read_labelled(train_path)
    test_comments, test_labels = read_labelled(test_path)
    train_spam = int(train_labels.sum())
    train_ham = len(train_labels) - train_spam
    if min(train_spam, train_ham) < max(2, folds):
        raise DatasetError(
            f"{train_path}: needs at least {max(2, folds)} spam and legitimate comments each."
        )
    trained = learning.fit(train_comments, train_labels)
    probabilities = trained.spam_probabilities(test_comments)
    fold_scores = []
    if folds >= 2:
        cv_probabilities, fold_of = learning.cross_validate(train_comments, train_labels, folds)
        fold_scores = [
            score(train_labels[fold_of == k], cv_probabilities[fold_of == k], 0.5)
            for k in range(folds)
        ]
    test_spam = int(test_labels.sum())
    return Evaluation(
        train_ham=train_ham,
        train_spam=train_spam,
        test_ham=len(test_labels) - test_spam,
        test_spam=test_spam,
        scores=[score(test_labels, probabilities, t) for t in thresholds],
        folds=fold_scores,
    )
