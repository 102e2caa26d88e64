"""Training with scikit-learn: hashed n-grams of each field and a logistic regression.

Only training imports this (the CLI, the background retraining, the evaluation and the rules
simulator); scoring applies the result with NumPy alone (`model.py`), to the same
probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from service.screening.classifier.features import BLOCKS, Block, CommentText, plain
from service.screening.classifier.model import Labels, Model

# Inverse regularisation strength, chosen on the TubeSpam validation split (README).
C = 10.0


@cache
def _vectorizer(block: Block) -> HashingVectorizer:
    # Stateless (hashing needs no vocabulary), so one per block serves every thread.
    return HashingVectorizer(
        analyzer=block.analyzer,
        ngram_range=block.ngram_range,
        n_features=block.n_features,
        alternate_sign=False,
        lowercase=True,
        strip_accents="unicode",
    )


def features(comments: Sequence[CommentText], blocks: Sequence[Block] = BLOCKS) -> sp.csr_matrix:
    """One row per comment: each block's hashed n-grams, L2-normalised, side by side."""
    # scikit-learn has no hints, so the blocks (and their stack) are untyped.
    matrix: sp.csr_matrix = sp.hstack(
        [
            _vectorizer(block).transform([plain(c.field(block.field)) for c in comments])
            for block in blocks
        ],
        format="csr",
    )
    return matrix


def fit(comments: Sequence[CommentText], labels: Labels) -> Model:
    """Train on comments labelled SPAM (1) or HAM (0); both labels must be present."""
    matrix = features(comments)
    # Fit only on the columns some comment uses: the same model, many times faster than over
    # the whole hashed space, and the stored weights stay sparse.
    columns = np.unique(matrix.indices).astype(np.int32)
    regression = LogisticRegression(C=C, solver="liblinear", random_state=0)
    regression.fit(matrix[:, columns], labels)
    coefficients = np.asarray(regression.coef_[0], dtype=np.float64)
    used = coefficients != 0
    return Model(BLOCKS, columns[used], coefficients[used], float(regression.intercept_[0]))


def cross_fit(
    comments: Sequence[CommentText], labels: Labels, folds: int
) -> tuple[list[Model], npt.NDArray[np.int_]]:
    """One model per fold, trained on the other folds, and the fold each comment is in.
    Stratified and shuffled with a fixed seed, so runs are repeatable."""
    fold_of = np.zeros(len(comments), dtype=int)
    models = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for fold, (train, test) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        models.append(fit([comments[i] for i in train], labels[train]))
        fold_of[test] = fold
    return models, fold_of


def cross_validate(
    comments: Sequence[CommentText], labels: Labels, folds: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int_]]:
    """Each comment's spam probability from the model that did not see it, and its fold."""
    models, fold_of = cross_fit(comments, labels, folds)
    probabilities = np.zeros(len(comments))
    for fold, model in enumerate(models):
        held_out = np.flatnonzero(fold_of == fold).tolist()
        probabilities[held_out] = model.spam_probabilities([comments[i] for i in held_out])
    return probabilities, fold_of
