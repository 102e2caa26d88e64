"""Which characters no stored text may hold: what is stored is shown again in pages, JSON
and XML (the Atom feeds), and one character there can break a page for every reader."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection

# Controls ("Cc") and lone surrogates ("Cs", JSON "\ud800": they cannot be encoded for
# storage), and the two noncharacters XML 1.0 forbids: one approved comment holding U+FFFE
# would make every Atom feed it appears in unreadable.
_UNSTORABLE_CATEGORIES = ("Cc", "Cs")
_NOT_XML = frozenset("\ufffe\uffff")


def has_unstorable(text: str, allowed: Collection[str] = frozenset()) -> bool:
    return any(
        (unicodedata.category(ch) in _UNSTORABLE_CATEGORIES or ch in _NOT_XML) and ch not in allowed
        for ch in text
    )
