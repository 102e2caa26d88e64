"""A second (and third) site for the tests of sites: added as an admin's edit would add it,
in one transaction with the sites' version, so every worker's copy reloads."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask

from service.models import Site
from service.ops.database import write_transaction
from service.sites import registry


def add_site(
    app: Flask, slug: str, origins: Sequence[str] = (), public_url: str | None = None
) -> None:
    with app.app_context(), write_transaction() as session:
        session.add(
            Site(slug=slug, name=slug.title(), origins=list(origins), public_url=public_url)
        )
        registry.changed(session)
