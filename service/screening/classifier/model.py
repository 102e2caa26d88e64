"""The spam classifier itself: hashed word and character n-grams and a logistic regression.

Pure functions over texts and labels; nothing here knows about Flask or the database. A
trained model is stored as numeric arrays only (NumPy's `.npz` read with
`allow_pickle=False`), so loading a stored model can never execute code.
"""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import expit
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

# Bump when the features or the stored layout change: older models are then refused.
FORMAT_VERSION = 1
# Per vectorizer; collisions at this size are negligible for comment-sized vocabularies.
N_FEATURES = 2**18
# Inverse regularisation strength, chosen on the TubeSpam validation split (README).
C = 10.0
SPAM, HAM = 1, 0

# Stateless: hashing needs no vocabulary, so these are shared by every model and thread.
_WORDS = HashingVectorizer(
    analyzer="word",
    ngram_range=(1, 2),
    n_features=N_FEATURES,
    alternate_sign=False,
    lowercase=True,
    strip_accents="unicode",
)
_CHARS = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=(3, 5),
    n_features=N_FEATURES,
    alternate_sign=False,
    lowercase=True,
    strip_accents="unicode",
)

Labels = npt.NDArray[np.int_]


class ModelFormatError(ValueError):
    """Stored bytes are not a model this code can use (corrupt, or an older format)."""


def features(texts: Sequence[str]) -> sp.csr_matrix:
    """One row per text: word 1-2-grams, then character 3-5-grams, each block L2-normalised.

    HTML entities are decoded first (`&#39;` is an apostrophe), as scraped comments keep them.
    """
    plain = [html.unescape(text) for text in texts]
    # scikit-learn has no hints, so the blocks (and their stack) are untyped.
    matrix: sp.csr_matrix = sp.hstack(
        [_WORDS.transform(plain), _CHARS.transform(plain)], format="csr"
    )
    return matrix


@dataclass(frozen=True, eq=False)
class Model:
    """A trained linear model: one weight per hashed feature (most are zero), and a bias."""

    weights: npt.NDArray[np.float64]
    intercept: float

    def spam_probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        return np.asarray(expit(features(texts) @ self.weights + self.intercept), np.float64)

    def spam_probability(self, text: str) -> float:
        return float(self.spam_probabilities([text])[0])

    def to_bytes(self) -> bytes:
        indices = np.flatnonzero(self.weights).astype(np.int32)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            format=np.array([FORMAT_VERSION, N_FEATURES], dtype=np.int64),
            indices=indices,
            weights=self.weights[indices],
            intercept=np.array([self.intercept], dtype=np.float64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Model:
        unreadable = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile)
        try:
            stored = np.load(io.BytesIO(blob), allow_pickle=False)
        except unreadable as error:
            raise ModelFormatError(f"not a stored classifier model: {error!r}") from None
        if not isinstance(stored, np.lib.npyio.NpzFile):
            raise ModelFormatError("not a stored classifier model: a lone array")
        try:
            with stored:
                header, indices = stored["format"], stored["indices"]
                weights, intercept = stored["weights"], stored["intercept"]
        except unreadable as error:
            raise ModelFormatError(f"not a stored classifier model: {error!r}") from None
        if header.tolist() != [FORMAT_VERSION, N_FEATURES]:
            raise ModelFormatError(f"model format {header.tolist()} is not the current one")
        valid = (
            indices.dtype == np.int32
            and weights.dtype == np.float64
            and indices.ndim == weights.ndim == 1
            and indices.shape == weights.shape
            and intercept.shape == (1,)
            and (indices.size == 0 or (indices.min() >= 0 and indices.max() < 2 * N_FEATURES))
            and bool(np.isfinite(weights).all() and np.isfinite(intercept).all())
        )
        if not valid:
            raise ModelFormatError("stored classifier arrays are malformed")
        dense = np.zeros(2 * N_FEATURES)
        dense[indices] = weights
        return cls(dense, float(intercept[0]))


def fit(texts: Sequence[str], labels: Labels) -> Model:
    """Train on texts labelled SPAM (1) or HAM (0); both labels must be present."""
    matrix = features(texts)
    # Fit only on the columns some text uses: the same model, many times faster than over
    # the whole hashed space, and the stored weights stay sparse.
    columns = np.unique(matrix.indices).astype(np.int32)
    regression = LogisticRegression(C=C, solver="liblinear", random_state=0)
    regression.fit(matrix[:, columns], labels)
    weights = np.zeros(2 * N_FEATURES)
    weights[columns] = regression.coef_[0]
    return Model(weights, float(regression.intercept_[0]))


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 for "spam" at one probability threshold, with the counts."""

    threshold: float
    precision: float
    recall: float
    f1: float
    true_spam: int
    false_spam: int
    missed_spam: int
    true_ham: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "threshold": self.threshold,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "true_spam": self.true_spam,
            "false_spam": self.false_spam,
            "missed_spam": self.missed_spam,
            "true_ham": self.true_ham,
        }


def score(labels: Labels, probabilities: npt.NDArray[np.float64], threshold: float) -> Scores:
    flagged = probabilities >= threshold
    spam = labels == SPAM
    true_spam = int(np.sum(flagged & spam))
    false_spam = int(np.sum(flagged & ~spam))
    missed_spam = int(np.sum(~flagged & spam))
    true_ham = int(np.sum(~flagged & ~spam))
    # A threshold that flags nothing has precision 0 (as scikit-learn's zero_division=0).
    precision = true_spam / (true_spam + false_spam) if true_spam + false_spam else 0.0
    recall = true_spam / (true_spam + missed_spam) if true_spam + missed_spam else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(threshold, precision, recall, f1, true_spam, false_spam, missed_spam, true_ham)


def cross_validate(
    texts: Sequence[str], labels: Labels, folds: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int_]]:
    """Each text's spam probability from a model trained on the other folds, and the fold
    it was in. Stratified and shuffled with a fixed seed, so runs are repeatable."""
    probabilities = np.zeros(len(texts))
    fold_of = np.zeros(len(texts), dtype=int)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for fold, (train, test) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        model = fit([texts[i] for i in train], labels[train])
        probabilities[test] = model.spam_probabilities([texts[i] for i in test])
        fold_of[test] = fold
    return probabilities, fold_of
