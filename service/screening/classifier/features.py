"""A comment's hashed n-gram features, in NumPy and mmh3 (MurmurHash3 in C).

This is scikit-learn's `HashingVectorizer` (lower-cased, accents stripped, `alternate_sign=False`,
L2-normalised) re-done so that scoring never imports scikit-learn: training uses scikit-learn
with the same settings (`learning.py`), and a test holds the two to the same probabilities.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import mmh3
import numpy as np
import numpy.typing as npt

Field = Literal["body", "name", "website"]
Analyzer = Literal["word", "char_wb"]
FIELDS: tuple[Field, ...] = ("body", "name", "website")
ANALYZERS: tuple[Analyzer, ...] = ("word", "char_wb")
# Per block; collisions at this size are negligible for comment-sized vocabularies.
N_FEATURES = 2**18

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_WHITE_SPACES = re.compile(r"\s\s+")


class CommentText(NamedTuple):
    """What the classifier reads of a comment: spam sits in the name and the link as often as
    in the body."""

    body: str
    name: str = ""
    website: str | None = None

    def field(self, field: Field) -> str:
        return getattr(self, field) or ""


@dataclass(frozen=True)
class Block:
    """One field read by one analyzer, hashed into its own N_FEATURES columns."""

    field: Field
    analyzer: Analyzer
    ngram_range: tuple[int, int]
    n_features: int = N_FEATURES

    def as_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "n_features": self.n_features,
        }


BODY_ONLY = (Block("body", "word", (1, 2)), Block("body", "char_wb", (3, 5)))
# Names and links are short and made-up words ("B3st-Ch3ap-Watches"): character n-grams only.
# Separate blocks keep the body's features what they were, so the three fields weigh in
# independently (measured on TubeSpam in the README).
BLOCKS = (*BODY_ONLY, Block("name", "char_wb", (3, 5)), Block("website", "char_wb", (3, 5)))


def plain(text: str) -> str:
    """What every analyzer reads: entities decoded (scraped comments keep `&#39;`), and a lone
    surrogate (JSON allows "\\ud800") read as "?", since n-grams are hashed as UTF-8."""
    text = html.unescape(text)
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


def _normalised(text: str) -> str:
    # As scikit-learn's preprocessor: lower-case, then strip_accents="unicode".
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str, ngram_range: tuple[int, int]) -> list[str]:
    tokens = _TOKEN.findall(text)
    low, high = ngram_range
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _chars_within_words(text: str, ngram_range: tuple[int, int]) -> list[str]:
    grams: list[str] = []
    # Words repeat ("the", a spammer's keyword): each distinct one is cut up once.
    seen: dict[str, list[str]] = {}
    for word in _WHITE_SPACES.sub(" ", text).split():
        found = seen.get(word)
        if found is None:
            found = seen[word] = _padded_word_grams(f" {word} ", ngram_range)
        grams += found
    return grams


def _padded_word_grams(padded: str, ngram_range: tuple[int, int]) -> list[str]:
    low, high = ngram_range
    grams: list[str] = []
    for n in range(low, high + 1):
        # A word shorter than n counts once, as itself (scikit-learn's char_wb).
        grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
        if len(padded) <= n:
            break
    return grams


def ngrams(block: Block, text: str) -> list[str]:
    normalised = _normalised(plain(text))
    if block.analyzer == "word":
        return _words(normalised, block.ngram_range)
    return _chars_within_words(normalised, block.ngram_range)


def _columns(grams: Sequence[str], n_features: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Each n-gram's column within its block, as scikit-learn's FeatureHasher picks it: the
    signed MurmurHash3 (x86, 32-bit, seed 0) of its UTF-8 bytes."""
    hashes = np.fromiter(map(mmh3.hash, grams), dtype=np.int64, count=len(grams))
    # abs(-2**31) overflows in C; scikit-learn defines it as this.
    overflow = hashes == -(2**31)
    hashes[overflow] = 2**31 - n_features[overflow]
    return np.abs(hashes) % n_features


def hashed(
    blocks: Sequence[Block], comments: Sequence[CommentText]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(row, column, value) of every non-zero feature: each block's n-gram counts, L2-normalised
    per comment, in its own columns (the blocks numbered one after another)."""
    grams: list[str] = []
    rows, block_of = [], []
    for b, block in enumerate(blocks):
        for row, comment in enumerate(comments):
            found = ngrams(block, comment.field(block.field))
            grams.extend(found)
            rows.append(np.full(len(found), row))
            block_of.append(np.full(len(found), b))
    sizes = np.array([block.n_features for block in blocks], dtype=np.int64)
    offsets = np.cumsum(sizes) - sizes
    gram_block = np.concatenate(block_of) if block_of else np.zeros(0, dtype=np.int64)
    gram_row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    columns = offsets[gram_block] + _columns(grams, sizes[gram_block])
    width = int(sizes.sum())
    keys, counts = np.unique(gram_row * width + columns, return_counts=True)
    rows_of, columns_of = np.divmod(keys, width)
    # Normalised per comment and block: one (comment, block) pair per group.
    groups = rows_of * len(blocks) + np.searchsorted(offsets, columns_of, side="right") - 1
    values = counts.astype(np.float64)
    norms = np.sqrt(np.bincount(groups, values**2))
    return rows_of, columns_of, values / norms[groups]
