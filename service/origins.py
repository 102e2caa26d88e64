"""The site's own origins (ALLOWED_ORIGINS): which pages a reader may be sent back to.

A form post names the page to return to; redirecting anywhere else would make this service
an open redirect, so only an absolute http(s) address on one of the configured origins
passes, compared as scheme + host + port.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

URL_MAX = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL (default port left out), or None
    for anything a browser might read differently from how we do."""
    try:
        # urlsplit refuses unbalanced brackets ("https://[x/"), .port a port out of range.
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    # user:password@host, and the confusions it allows (https://blog.example.com@evil).
    if "@" in parts.netloc:
        return None
    origin = f"{parts.scheme}://{parts.hostname}"
    return origin if port in (None, _DEFAULT_PORTS[parts.scheme]) else f"{origin}:{port}"


def checked_origin(value: str) -> str:
    """An origin as configured (ALLOWED_ORIGINS, a site's origins), in the form browsers send
    it (scheme://host[:port], lower-case, default port left out); ValueError, saying what an
    origin looks like, for anything else. A trailing slash is forgiven; a path is not, since
    an Origin header never carries one and the entry would silently never match."""
    entry = value.strip().removesuffix("/")
    origin = origin_of(entry) if entry.isprintable() and " " not in entry else None
    if origin is None or any(mark in entry.partition("://")[2] for mark in "/?#"):
        raise ValueError(
            "must look like https://blog.example.com (scheme://host[:port], no path), "
            f"not {value.strip()[:100]!r}."
        )
    return origin


def page_on_site(url: str | None, allowed: Iterable[str]) -> str | None:
    """`url` when it is a page on one of the allowed origins, else None.

    Refused: relative and scheme-relative addresses (//evil.example), other schemes
    (javascript:, data:), backslashes (browsers read them as slashes), control characters
    and spaces (header injection), user info, and anything too long to be a page address.
    A "*" among the allowed origins opens CORS, never redirects.
    """
    if not url or len(url) > URL_MAX or "\\" in url:
        return None
    if not url.isprintable() or any(ch.isspace() for ch in url):
        return None
    origin = origin_of(url)
    if origin is None:
        return None
    wanted = {origin_of(entry) for entry in allowed if entry != "*"}
    return url if origin in wanted else None


def article_page(site_url: str, key: str) -> str | None:
    """The article's page on the site (SITE_URL + key), when SITE_URL is set."""
    if not site_url:
        return None
    return f"{site_url.rstrip('/')}/{key.lstrip('/')}"
