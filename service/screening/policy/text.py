"""Text as rules see it: links found by a real linkifier, and words matched after undoing the
tricks used to dodge word lists (case, width, accents, look-alike letters, digits and
symbols for letters, zero-width characters)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

import decancer_py
from linkify_it import LinkifyIt

_linkify = LinkifyIt()


@lru_cache(maxsize=64)
def links(text: str) -> tuple[str, ...]:
    """Every link in the text, bare domains included ("example.com" is a link to a reader).
    Kept for the last few texts: two checks of one comment ask for its links."""
    # The quick pretest never misses a link: most comments have none, and a full match cost
    # five times as much (98 against 20 µs a TubeSpam comment).
    if not _linkify.pretest(text):
        return ()
    return tuple(match.url for match in _linkify.match(text) or [])


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def on_domain(hostname: str, domain: str) -> bool:
    return hostname == domain or hostname.endswith("." + domain)


def mentioned_domains(text: str, domains: tuple[str, ...]) -> set[str]:
    """The domains the text names, themselves or by a subdomain, linked or not: the
    linkifier knows only some top-level domains ("bet-now.top" is no link to it), yet a reader
    can still type the address, and an email address names its domain too."""
    pattern = _domain_pattern(domains)
    if pattern is None:
        return set()
    return {match.casefold() for match in pattern.findall(variants(text)[0])}


@lru_cache(maxsize=64)
def _domain_pattern(domains: tuple[str, ...]) -> re.Pattern[str] | None:
    if not domains:
        return None
    names = "|".join(re.escape(d.casefold()) for d in sorted(domains, key=len, reverse=True))
    return re.compile(rf"(?<![\w.-])(?:[\w-]+\.)*({names})(?![\w-]|\.\w)")


def _visible(text: str) -> str:
    # Zero-width and other format characters split words invisibly: drop them (ASCII has none).
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


# Digits and symbols written for the letters they look like ("v1agra", "fr33", "ca$h").
# A 1 stands for an i or an l, so there are two foldings.
_LOOKALIKES = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_FOLD_I = str.maketrans(_LOOKALIKES | {"1": "i"})
_FOLD_L = str.maketrans(_LOOKALIKES | {"1": "l"})
# A run of letters, digits and those symbols: folded only when it has a letter, so numbers
# ("2024", "1.5 million", "$5") stay numbers.
_TOKEN = re.compile(r"[\w@$]+")
_HAS_LOOKALIKE = re.compile(r"[0134570@$]")


def _fold_lookalikes(text: str, table: dict[int, str]) -> str:
    def fold(match: re.Match[str]) -> str:
        token = match.group(0)
        if _HAS_LOOKALIKE.search(token) and any(ch.isalpha() for ch in token):
            return token.translate(table)
        return token

    return _TOKEN.sub(fold, text)


@lru_cache(maxsize=256)
def variants(text: str) -> tuple[str, ...]:
    """The text folded several ways: plainly (keeps every script, for non-Latin word
    lists), with look-alike letters (Cyrillic, Greek, mathematical bold, ...) cured to Latin
    ones, and then with digits and symbols in words read as letters."""
    visible = _visible(text)
    plain = unicodedata.normalize("NFKC", visible).casefold()
    cured = str(decancer_py.parse(visible))
    forms = [plain, cured]
    if _HAS_LOOKALIKE.search(cured):
        forms += [_fold_lookalikes(cured, _FOLD_I), _fold_lookalikes(cured, _FOLD_L)]
    return tuple(dict.fromkeys(forms))


@lru_cache(maxsize=64)
def _matcher(entries: tuple[str, ...]) -> tuple[re.Pattern[str] | None, dict[str, set[str]]]:
    """One pattern for the whole list, and which entries each matched form stands for."""
    owners: dict[str, set[str]] = {}
    for entry in entries:
        for form in variants(entry):
            if form.strip():
                owners.setdefault(form, set()).add(entry)
    if not owners:
        return None, owners
    alternatives = "|".join(re.escape(form) for form in sorted(owners, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), owners


def find_entries(text: str, entries: tuple[str, ...]) -> list[str]:
    """The list entries that occur in the text as whole words, in list order."""
    pattern, owners = _matcher(entries)
    if pattern is None:
        return []
    found = {
        entry
        for form in variants(text)
        for match in pattern.findall(form)
        for entry in owners[match]
    }
    return [entry for entry in entries if entry in found]
