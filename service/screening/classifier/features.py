"""A comment's hashed n-gram features, in NumPy and the standard library only.

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
    """What every analyzer reads: entities decoded (scraped comments keep `&#39;`)."""
    return html.unescape(text)


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
    low, high = ngram_range
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            # A word shorter than n counts once, as itself (scikit-learn's char_wb).
            grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
            if len(padded) <= n:
                break
    return grams


def ngrams(block: Block, text: str) -> list[str]:
    normalised = _normalised(plain(text))
    if block.analyzer == "word":
        return _words(normalised, block.ngram_range)
    return _chars_within_words(normalised, block.ngram_range)


_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def _rotl(x: npt.NDArray[np.uint32], r: int) -> npt.NDArray[np.uint32]:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _murmur_same_width(keys: Sequence[bytes], width: int) -> npt.NDArray[np.uint32]:
    lengths = np.fromiter(map(len, keys), dtype=np.uint32, count=len(keys))
    words = np.frombuffer(b"".join(k.ljust(width, b"\0") for k in keys), dtype="<u4")
    words = words.reshape(len(keys), width // 4)
    full_blocks = lengths // 4
    h = np.zeros(len(keys), dtype=np.uint32)
    for j in range(int(full_blocks.max())):
        k = _rotl(words[:, j] * _C1, 15) * _C2
        mixed = _rotl(h ^ k, 13) * np.uint32(5) + np.uint32(0xE6546B64)
        h = np.where(j < full_blocks, mixed, h)
    # The tail's word is zero-padded, and a zero tail mixes in as nothing, as in MurmurHash3.
    tail = words[np.arange(len(keys)), full_blocks]
    h ^= _rotl(tail * _C1, 15) * _C2
    h ^= lengths
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def murmurhash3_32(keys: Sequence[bytes]) -> npt.NDArray[np.int32]:
    """MurmurHash3 (x86, 32-bit, seed 0) of each key, signed, as scikit-learn hashes features.

    Keys are padded to a common width in groups of similar length, so one long token does
    not make every short one as wide."""
    hashes = np.zeros(len(keys), dtype=np.uint32)
    widths = np.fromiter((len(k) // 4 + 1 for k in keys), dtype=np.int64, count=len(keys))
    groups = np.ceil(np.log2(widths)).astype(np.int64)
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group).tolist()
        width = 4 * int(widths[members].max())
        hashes[members] = _murmur_same_width([keys[i] for i in members], width)
    return hashes.view(np.int32)


def column_indices(grams: Sequence[str], n_features: int) -> npt.NDArray[np.int64]:
    """Each n-gram's column, as scikit-learn's FeatureHasher picks it."""
    hashes = murmurhash3_32([g.encode("utf-8", "surrogatepass") for g in grams]).astype(np.int64)
    # abs(-2**31) overflows in C; scikit-learn defines it as this.
    hashes[hashes == -(2**31)] = 2**31 - n_features
    return np.abs(hashes) % n_features


def block_counts(
    block: Block, texts: Sequence[str]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """For one block: (row, column, L2-normalised count) of every n-gram the texts contain."""
    grams_of = [ngrams(block, text) for text in texts]
    rows = np.repeat(np.arange(len(texts)), [len(g) for g in grams_of])
    columns = column_indices([g for grams in grams_of for g in grams], block.n_features)
    keys, counts = np.unique(rows * block.n_features + columns, return_counts=True)
    rows, columns = np.divmod(keys, block.n_features)
    values = counts.astype(np.float64)
    norms = np.sqrt(np.bincount(rows, values**2, minlength=len(texts)))
    return rows, columns, values / norms[rows]
