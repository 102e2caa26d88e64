"""The embeddable widget (`/widget.js`) and, on a zero-config or debug run, a demo article."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import cast

from flask import Blueprint, Response, abort, current_app, render_template, request

blp = Blueprint("widget", __name__)

WIDGET_FILE = Path(__file__).resolve().parents[2] / "static" / "widget" / "widget.js"
# Unversioned /widget.js (what sites embed) is fresh for a day and revalidated by ETag after
# that, so a release reaches every site within a day; /widget.js?v=<version> never changes.
MAX_AGE = 24 * 3600
STALE_WHILE_REVALIDATE = 7 * 24 * 3600
IMMUTABLE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    version: str  # hash of the content: the strong ETag and the ?v= of versioned URLs


@lru_cache(maxsize=2)
def _load(path: Path, modified_ns: int) -> Asset:
    body = path.read_bytes()
    # mtime=0: the same bytes (and ETag) from every worker and every start.
    gzipped = gzip.compress(body, compresslevel=9, mtime=0)
    return Asset(body, gzipped, hashlib.sha256(body).hexdigest()[:20])


def widget_asset() -> Asset:
    """widget.js as shipped; re-read when the file changes (one stat per request)."""
    return _load(WIDGET_FILE, WIDGET_FILE.stat().st_mtime_ns)


@blp.route("/widget.js")
def script() -> Response:
    asset = widget_asset()
    # Served compressed by the service itself: most embedders put no proxy in front of it.
    compressed = request.accept_encodings["gzip"] > 0
    response = Response(asset.gzipped if compressed else asset.body, mimetype="text/javascript")
    response.set_etag(f"{asset.version}-gz" if compressed else asset.version)
    if compressed:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.cache_control.public = True
    # Read raw: only the exact current version is worth a year's caching; anything else is
    # answered like the unversioned script.
    if request.args.get("v") == asset.version:
        response.cache_control.max_age = IMMUTABLE_MAX_AGE
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = MAX_AGE
        response.cache_control.stale_while_revalidate = STALE_WHILE_REVALIDATE
    # Pages of any site load it, including ones that isolate themselves (COEP).
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    # Werkzeug types make_conditional as returning its base Response; it returns self.
    return cast(Response, response.make_conditional(request))


@blp.route("/demo")
def demo() -> str:
    """A sample article with the widget under it, for a first look after installing."""
    if not current_app.config["DEMO_PAGE"]:
        abort(404)
    return render_template("widget/demo.html", version=widget_asset().version)
