"""Which characters no stored text may hold: what is stored is shown again in pages, JSON
and XML (the Atom feeds), and one character there can break a page for every reader."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

# Controls (category "Cc", fixed by Unicode as U+0000-U+001F and U+007F-U+009F) and lone
# surrogates ("Cs", JSON "\ud800": they cannot be encoded for storage), and the two
# noncharacters XML 1.0 forbids: one approved comment holding U+FFFE would make every Atom
# feed it appears in unreadable.
_UNSTORABLE = "\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"


def has_unstorable(text: str, allowed: Collection[str] = frozenset()) -> bool:
    return _unstorable_but(frozenset(allowed)).search(text) is not None


@lru_cache(maxsize=8)
def _unstorable_but(allowed: frozenset[str]) -> re.Pattern[str]:
    # A character class of the unstorable ones, less those allowed: one regex scan of the
    # text instead of a category lookup per character.
    excluded = "".join(re.escape(ch) for ch in sorted(allowed))
    return re.compile(f"(?![{excluded}])[{_UNSTORABLE}]" if excluded else f"[{_UNSTORABLE}]")


# Everything XML 1.0 cannot carry at all (controls but tab and line breaks, surrogates,
# U+FFFE and U+FFFF): rows stored before the input rule, or imported, may still hold some,
# and lxml refuses a whole document for one of them.
_OUTSIDE_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str, replacement: str = "\ufffd") -> str:
    """`text` with every character XML 1.0 cannot carry replaced."""
    return _OUTSIDE_XML.sub(replacement, text)
