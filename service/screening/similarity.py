"""Text fingerprints that survive the tricks spam waves use to look different."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Shorter than this after normalisation ("Thanks!", "Great post") and many honest people
# write the same thing: no fingerprint, no grouping.
MIN_LENGTH = 20

_URL = re.compile(r"https?://([^/\s]+)\S*", re.IGNORECASE)
_NOT_LETTERS = re.compile(r"[\W\d_]+")


def normalise(text: str) -> str:
    """Case, width, accents, zero-width characters, numbers, punctuation and spacing removed;
    links reduced to their host (waves vary the path to dodge duplicate checks)."""
    text = unicodedata.normalize("NFKD", text).casefold()
    if not text.isascii():  # ASCII has no combining marks nor format characters
        text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Mn", "Cf"})
    text = _URL.sub(lambda match: " " + match.group(1) + " ", text)
    return _NOT_LETTERS.sub(" ", text).strip()


def fingerprint(text: str) -> str | None:
    normal = normalise(text)
    if len(normal) < MIN_LENGTH:
        return None
    return hashlib.sha256(normal.encode()).hexdigest()[:16]
