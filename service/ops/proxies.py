"""Behind a proxy, with TRUSTED_PROXIES left at 0, every reader arrives from the proxy's
address: one IP ban then refuses everyone and one reader's flood limit blocks all. Requests
carrying X-Forwarded-For give it away; say so once in the log and on the moderation pages."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, request

FORWARDED_UNTRUSTED = "commentdesk.forwarded_untrusted"
PROXY_WARNING = (
    "Requests arrive with X-Forwarded-For, but TRUSTED_PROXIES is 0: every reader seems to "
    "come from the proxy's address, so an IP ban or a rate limit hits all of them. Set "
    "TRUSTED_PROXIES to the number of proxies in front of the service."
)

log = logging.getLogger("commentdesk.proxies")


def init_app(app: Flask) -> None:
    if app.config["TRUSTED_PROXIES"]:
        return
    app.extensions[FORWARDED_UNTRUSTED] = False
    app.before_request(_notice_forwarded_requests)
    app.context_processor(_template_warning)


def _notice_forwarded_requests() -> None:
    if current_app.extensions[FORWARDED_UNTRUSTED] or "X-Forwarded-For" not in request.headers:
        return
    current_app.extensions[FORWARDED_UNTRUSTED] = True
    log.warning(PROXY_WARNING)


def proxy_warning() -> str | None:
    """The warning, once this process has seen a forwarded request it could not believe."""
    return PROXY_WARNING if current_app.extensions.get(FORWARDED_UNTRUSTED) else None


def _template_warning() -> dict[str, Any]:
    return {"proxy_warning": proxy_warning()}
