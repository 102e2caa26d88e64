"""Text as rules see it: links found by a real linkifier, and words matched after undoing the
tricks used to dodge word lists (case, width, accents, look-alike letters, zero-width
characters)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

import decancer_py
from linkify_it import LinkifyIt

_linkify = LinkifyIt()


def links(text: str) -> list[str]:
    """Every link in the text, bare domains included ("example.com" is a link to a reader)."""
    return [match.url for match in _linkify.match(text) or []]


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def on_domain(hostname: str, domain: str) -> bool:
    return hostname == domain or hostname.endswith("." + domain)


def mentions_domain(text: str, domain: str) -> bool:
    """Whether the text names the domain or one of its subdomains, linked or not: the
    linkifier knows only some top-level domains ("bet-now.top" is no link to it), yet a reader
    can still type the address, and an email address names its domain too."""
    pattern = rf"(?<![\w.-])(?:[\w-]+\.)*{re.escape(domain.casefold())}(?![\w-]|\.\w)"
    return re.search(pattern, variants(text)[0]) is not None


def _visible(text: str) -> str:
    # Zero-width and other format characters split words invisibly: drop them.
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def variants(text: str) -> tuple[str, ...]:
    """The text folded two ways: plainly (keeps every script, for non-Latin word lists) and
    with look-alike letters (Cyrillic, Greek, mathematical bold, ...) cured to Latin ones."""
    visible = _visible(text)
    plain = unicodedata.normalize("NFKC", visible).casefold()
    cured = str(decancer_py.parse(visible))
    return (plain, cured) if cured != plain else (plain,)


@lru_cache(maxsize=64)
def _pattern(entries: tuple[str, ...]) -> re.Pattern[str] | None:
    forms = {form for entry in entries for form in variants(entry) if form.strip()}
    if not forms:
        return None
    alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def find_entries(text: str, entries: tuple[str, ...]) -> list[str]:
    """The list entries that occur in the text as whole words, in list order."""
    pattern = _pattern(entries)
    if pattern is None:
        return []
    found = {match for form in variants(text) for match in pattern.findall(form)}
    return [entry for entry in entries if found & set(variants(entry))]
