"""A comment's hashed n-gram features, in NumPy and mmh3 (MurmurHash3 in C).

This is scikit-learn's `HashingVectorizer` (lower-cased, accents stripped, `alternate_sign=False`;
the L2 normalisation is the model's, in `model.py`) re-done so that scoring never imports
scikit-learn: training uses scikit-learn with the same settings (`learning.py`), and a test
holds the two to the same probabilities.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
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


def _padded_word_grams(padded: str, ngram_range: tuple[int, int]) -> list[str]:
    low, high = ngram_range
    grams: list[str] = []
    for n in range(low, high + 1):
        # A word shorter than n counts once, as itself (scikit-learn's char_wb).
        grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
        if len(padded) <= n:
            break
    return grams


def _columns(grams: Sequence[str], n_features: int) -> npt.NDArray[np.int32]:
    """Each n-gram's column within its block, as scikit-learn's FeatureHasher picks it: the
    signed MurmurHash3 (x86, 32-bit, seed 0) of its UTF-8 bytes."""
    hashes = np.fromiter(map(mmh3.hash, grams), dtype=np.int64, count=len(grams))
    # abs(-2**31) overflows in C; scikit-learn defines it as this.
    hashes[hashes == -(2**31)] = 2**31 - n_features
    return (np.abs(hashes) % n_features).astype(np.int32)


def block_columns(block: Block, text: str) -> npt.NDArray[np.int32]:
    """The column (within the block) of each of the text's n-grams, repeats included: a
    column's count is how often it appears."""
    normalised = _normalised(plain(text))
    if block.analyzer == "word":
        return _columns(_words(normalised, block.ngram_range), block.n_features)
    # scikit-learn folds runs of white space first; split() with no argument does both.
    found = [_word_columns(w, block.ngram_range, block.n_features) for w in normalised.split()]
    return np.frombuffer(b"".join(found), dtype=np.int32)


# Most of any comment is words that came before ("the", "great", a spammer's keyword): each
# one is cut up and hashed once per worker, which was most of a score's CPU. Kept packed:
# about 250 bytes a word with the cache's own.
@lru_cache(maxsize=10_000)
def _word_columns(word: str, ngram_range: tuple[int, int], n_features: int) -> bytes:
    return _columns(_padded_word_grams(f" {word} ", ngram_range), n_features).tobytes()
