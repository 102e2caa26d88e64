"""Which characters no stored text may hold: what is stored is shown again in pages, JSON
and XML (the Atom feeds), and one character there can break a page for every reader."""

from __future__ import annotations

import re
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


# Everything XML 1.0 cannot carry at all (controls but tab and line breaks, surrogates,
# U+FFFE and U+FFFF): rows stored before the input rule, or imported, may still hold some,
# and lxml refuses a whole document for one of them.
_OUTSIDE_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str, replacement: str = "\ufffd") -> str:
    """`text` with every character XML 1.0 cannot carry replaced."""
    return _OUTSIDE_XML.sub(replacement, text)
