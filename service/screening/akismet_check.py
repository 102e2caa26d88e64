"""Optional second opinion from Akismet (off unless AKISMET_API_KEY is set).

Akismet is a third party: it gets the text, the name, the website, the IP and the user
agent, never the address. Any failure counts as "no opinion"; a submission never waits
long or fails because Akismet is slow or down.
"""

from __future__ import annotations

import contextlib
import logging

import akismet
import httpx
from flask import current_app

log = logging.getLogger(__name__)
EXTENSION_KEY = "commentdesk.akismet_http"
TIMEOUT_SECONDS = 2.0


def is_spam(
    *, body: str, name: str, website: str | None, ip: str | None, user_agent: str | None
) -> bool | None:
    config = current_app.config
    if not config.get("AKISMET_API_KEY") or not ip:
        return None
    settings = akismet.Config(key=config["AKISMET_API_KEY"], url=config["AKISMET_BLOG_URL"])
    with contextlib.ExitStack() as cleanup:
        http_client = current_app.extensions.get(EXTENSION_KEY) or cleanup.enter_context(
            httpx.Client(timeout=TIMEOUT_SECONDS, headers={"User-Agent": akismet.USER_AGENT})
        )
        return _check(
            akismet.SyncClient(config=settings, http_client=http_client),
            body=body,
            name=name,
            website=website,
            ip=ip,
            user_agent=user_agent,
        )


def _check(
    client: akismet.SyncClient,
    *,
    body: str,
    name: str,
    website: str | None,
    ip: str,
    user_agent: str | None,
) -> bool | None:
    try:
        verdict = client.comment_check(
            user_ip=ip,
            comment_type="comment",
            comment_content=body,
            comment_author=name,
            comment_author_url=website or "",
            user_agent=user_agent or "",
        )
    except (akismet.AkismetError, httpx.HTTPError) as error:
        log.warning("Akismet check skipped: %s", type(error).__name__)
        return None
    return verdict != akismet.CheckResponse.HAM
