"""A trained spam model, how it is stored, and how it scores: NumPy and the standard library only.

Scoring runs in every worker, so it must not import scikit-learn (a second to import, ~87 MB
per worker); scikit-learn only trains (`learning.py`). A stored model is numeric arrays plus
the feature layout as JSON (NumPy's `.npz` read with `allow_pickle=False`), so loading a stored
model can never execute code.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from service.screening.classifier.features import (
    ANALYZERS,
    BODY_ONLY,
    FIELDS,
    N_FEATURES,
    Analyzer,
    Block,
    CommentText,
    Field,
    block_columns,
)

# Bump when the stored layout changes. Format 1 (body only, before names and links were read)
# still loads: its arrays are the body blocks of this format.
FORMAT_VERSION = 2
_BODY_ONLY_FORMAT = 1
SPAM, HAM = 1, 0

Labels = npt.NDArray[np.int_]
_UNREADABLE = (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile)


class ModelFormatError(ValueError):
    """Stored bytes are not a model this code can use (corrupt, or an unknown format)."""


@dataclass(frozen=True, eq=False)
class Model:
    """A linear model over hashed features: the columns that carry a weight (sorted), their
    weights, and a bias. Columns number the blocks one after another."""

    blocks: tuple[Block, ...]
    columns: npt.NDArray[np.int32]
    weights: npt.NDArray[np.float64]
    intercept: float

    @property
    def fields(self) -> set[str]:
        return {block.field for block in self.blocks}

    def spam_probabilities(self, comments: Sequence[CommentText]) -> npt.NDArray[np.float64]:
        return np.array([self.spam_probability(c) for c in comments], dtype=np.float64)

    def spam_probability(self, comment: CommentText) -> float:
        found = [block_columns(block, comment.field(block.field)) for block in self.blocks]
        starts = self._block_starts
        columns = np.concatenate(found) + np.repeat(starts, [f.size for f in found])
        present, counts = np.unique(columns, return_counts=True)
        # Each block's counts are L2-normalised, as scikit-learn's HashingVectorizer does.
        block_of = np.searchsorted(starts, present, side="right") - 1
        norms = np.sqrt(np.bincount(block_of, counts * counts, minlength=len(self.blocks)))
        logit = self.intercept + float(self._weights_of(present) @ (counts / norms[block_of]))
        # 1 / (1 + e^-z) without overflowing for very negative z.
        return float(np.exp(-np.logaddexp(0.0, -logit)))

    @cached_property
    def _block_starts(self) -> npt.NDArray[np.int32]:
        """Where each block's columns begin: the blocks are numbered one after another. In
        the stored columns' type, which searchsorted would otherwise copy whole (all of the
        model's columns, a cold megabyte) to compare a comment's few hundred."""
        sizes = np.array([block.n_features for block in self.blocks], dtype=np.int32)
        return np.cumsum(sizes, dtype=np.int32) - sizes

    def _weights_of(self, columns: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.float64]:
        if not self.columns.size:
            return np.zeros(len(columns))
        at = np.minimum(np.searchsorted(self.columns, columns), self.columns.size - 1)
        return np.where(self.columns[at] == columns, self.weights[at], 0.0)

    def to_bytes(self, out_of_fold: OutOfFold | None = None) -> bytes:
        arrays: dict[str, Any] = {
            "format": np.array([FORMAT_VERSION], dtype=np.int64),
            "blocks": np.array(json.dumps([block.as_dict() for block in self.blocks])),
            "indices": self.columns.astype(np.int32),
            "weights": self.weights,
            "intercept": np.array([self.intercept], dtype=np.float64),
        }
        if out_of_fold is not None:
            arrays |= out_of_fold.arrays()
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Model:
        try:
            stored = np.load(io.BytesIO(blob), allow_pickle=False)
        except _UNREADABLE as error:
            raise ModelFormatError(f"not a stored classifier model: {error!r}") from None
        if not isinstance(stored, np.lib.npyio.NpzFile):
            raise ModelFormatError("not a stored classifier model: a lone array")
        try:
            with stored:
                # Only the model's arrays: the out-of-fold ones are never decompressed here.
                blocks = _blocks(stored["format"].tolist(), stored)
                columns, weights = stored["indices"], stored["weights"]
                intercept = stored["intercept"]
        except _UNREADABLE as error:
            raise ModelFormatError(f"not a stored classifier model: {error!r}") from None
        width = sum(block.n_features for block in blocks)
        valid = (
            columns.dtype == np.int32
            and weights.dtype == np.float64
            and columns.ndim == weights.ndim == 1
            and columns.shape == weights.shape
            and intercept.shape == (1,)
            and (columns.size == 0 or (columns[0] >= 0 and columns[-1] < width))
            and bool(np.all(np.diff(columns) > 0))
            and bool(np.isfinite(weights).all() and np.isfinite(intercept).all())
        )
        if not valid:
            raise ModelFormatError("stored classifier arrays are malformed")
        return cls(blocks, columns, weights, float(intercept[0]))


def body_key(body: str) -> int:
    """A body's identity among the training comments (one per distinct stripped body)."""
    digest = hashlib.blake2b(body.strip().encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


@dataclass(frozen=True, eq=False)
class OutOfFold:
    """The probability each training comment got from the fold model that did not see it,
    by body: stored with the model for the rules simulator, and never loaded to score
    (NumPy reads an archive's arrays only when asked for them)."""

    keys: npt.NDArray[np.int64]  # sorted
    probabilities: npt.NDArray[np.float64]

    @classmethod
    def of(cls, bodies: Sequence[str], probabilities: npt.NDArray[np.float64]) -> OutOfFold:
        keys = np.array([body_key(body) for body in bodies], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], np.asarray(probabilities, dtype=np.float64)[order])

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        return {"out_of_fold_keys": self.keys, "out_of_fold": self.probabilities}

    @classmethod
    def stored_with(cls, blob: bytes) -> OutOfFold | None:
        """Those of a stored model, or None when it was stored without them."""
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
                keys, probabilities = stored["out_of_fold_keys"], stored["out_of_fold"]
        except _UNREADABLE:
            return None
        if keys.dtype != np.int64 or probabilities.dtype != np.float64:
            return None
        if keys.shape != probabilities.shape or bool(np.any(np.diff(keys) < 0)):
            return None
        return cls(keys, probabilities)

    def get(self, body: str) -> float | None:
        key = body_key(body)
        at = int(np.searchsorted(self.keys, key))
        if at < self.keys.size and self.keys[at] == key:
            return float(self.probabilities[at])
        return None


def _blocks(header: list[int], stored: np.lib.npyio.NpzFile) -> tuple[Block, ...]:
    if header == [_BODY_ONLY_FORMAT, N_FEATURES]:
        return BODY_ONLY
    if header != [FORMAT_VERSION]:
        raise ModelFormatError(f"model format {header} is not one this version reads")
    described = json.loads(str(stored["blocks"]))
    if not isinstance(described, list) or not described:
        raise ModelFormatError("stored classifier blocks are malformed")
    return tuple(_block(item) for item in described)


def _block(described: object) -> Block:
    if not isinstance(described, dict):
        raise ModelFormatError("stored classifier blocks are malformed")
    field, analyzer = described.get("field"), described.get("analyzer")
    ngram_range, n_features = described.get("ngram_range"), described.get("n_features")
    valid = (
        field in FIELDS
        and analyzer in ANALYZERS
        and isinstance(ngram_range, list)
        and len(ngram_range) == 2
        and all(type(n) is int for n in ngram_range)
        and 1 <= ngram_range[0] <= ngram_range[1] <= 10
        and type(n_features) is int
        and 2**8 <= n_features <= 2**24
    )
    if not valid:
        raise ModelFormatError(f"stored classifier block {described!r} is malformed")
    low, high = cast(list[int], ngram_range)
    return Block(cast(Field, field), cast(Analyzer, analyzer), (low, high), cast(int, n_features))


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
