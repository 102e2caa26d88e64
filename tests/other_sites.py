"""Another site next to the default one, with its own settings, added as an admin's edit
would add it: in one transaction with the sites' version, so every worker's copy reloads."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from service.models import Site
from service.ops.database import write_transaction
from service.sites import registry
from tests.conftest import submit


def add_site(app: Flask, slug: str, **settings: Any) -> str:
    """Add the site; `settings` are Site's columns (origins, webhook_url, digest_to, ...)."""
    with app.app_context(), write_transaction() as session:
        session.add(Site(slug=slug, name=slug.title(), **({"origins": []} | settings)))
        registry.changed(session)
    return slug


def submit_on(client: FlaskClient, origin: str, article: str = "posts/hello", **fields: Any) -> Any:
    """Post from a page of the site whose origins hold `origin`, as its widget does."""
    client.environ_base["HTTP_ORIGIN"] = origin
    try:
        return submit(client, article, **fields)
    finally:
        del client.environ_base["HTTP_ORIGIN"]
