"""Which site a public request is for, and what of the answer follows that site: whose pages
may read it (CORS) and which paths its links use.

One rule for every public path (API, no-JavaScript pages, Atom, the repeat-read path in
front of Flask): the site the path names (/sites/<site>/...), else the site whose origins
hold the request's Origin or Referer, else the default site (sites.registry.for_request).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Flask, request
from flask_cors.core import get_cors_options

from service.sites import registry

if TYPE_CHECKING:
    # flask-cors names the type of its computed options privately.
    from flask_cors.core import _ComputedCorsOptions

    from service.sites.registry import SiteSettings

# The optional segment before a public path: /api/v1/sites/<site>/articles/... and so on.
SITE_SEGMENT = "/sites/<site>"
# The segment's OpenAPI description (flask-smorest adds it to the path's own parameter).
SITE_PARAMETER = {
    "in": "path",
    "name": "site",
    "description": "The site's slug. Without this segment, the path serves the site whose "
    "origins hold the request's Origin (or Referer), else the default site. An unknown "
    "slug is a 404 (`site_not_found`).",
}
CORS_OPTIONS = "commentdesk.cors"
# The commenter's edit token travels in a header, never in a URL (URLs end up in logs).
EDIT_TOKEN_HEADER = "X-Edit-Token"
PREFLIGHT_MAX_AGE = 600
_CORS = {
    "methods": ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"],
    "allow_headers": ["Content-Type", EDIT_TOKEN_HEADER],
    # The widget tells a commenter how long to wait after a 429.
    "expose_headers": ["Retry-After"],
    # Browsers may reuse a preflight this long (Chromium caps it at 2 hours).
    "max_age": PREFLIGHT_MAX_AGE,
    "vary_header": True,
}


def init_app(app: Flask) -> None:
    app.extensions[CORS_OPTIONS] = {}


def pick(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The public blueprints' url_value_preprocessor: makes the request's site the current
    one (an unknown slug is a 404, SiteNotFound) and takes the segment out of the view's
    arguments, so a view reads the same on both paths."""
    slug = values.pop("site", None) if values else None
    page = request.headers.get("Origin") or request.referrer
    registry.set_current(registry.for_request(slug, page))


def path_prefix(site: SiteSettings) -> str:
    """What goes before a public path in the links this service writes for the site: nothing
    for the default site (today's paths), /sites/<slug> for the others."""
    return "" if site.is_default else f"/sites/{quote(site.slug, safe='')}"


def cors_options(app: Flask, site: SiteSettings) -> _ComputedCorsOptions:
    """flask-cors's options for the site's origins, computed once per set of origins (sites
    are few): an Origin of no site, or of another site than the request's, is not allowed.
    Applied per response by the public blueprints and the repeat-read path only: flask-cors's
    app-wide hook costs more than the whole feed request."""
    by_origins: dict[tuple[str, ...], _ComputedCorsOptions] = app.extensions[CORS_OPTIONS]
    options = by_origins.get(site.origins)
    if options is None:
        options = get_cors_options(app, _CORS | {"origins": list(site.origins)})
        by_origins[site.origins] = options
    return options
