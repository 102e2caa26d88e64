"""What the tests of several sites share: more sites; a second site, "b", whose pages are on
B_ORIGIN (a submission with that Origin is B's); moderators with their grants and tokens."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete

from service.extensions import db
from service.models import Site, SiteGrant, SiteRole
from service.moderation import accounts
from service.ops.database import write_transaction
from service.sites import grants, registry
from tests.conftest import VALID, form_token

B_ORIGIN = "https://b.example"
PASSWORD = "correct horse battery staple"


def add_site(app: Flask, slug: str, **settings: Any) -> str:
    """Another site, added as an admin's edit would add it (in one transaction with the
    sites' version, so every worker's copy reloads); `settings` are Site's columns."""
    with app.app_context(), write_transaction() as session:
        session.add(Site(slug=slug, name=slug.title(), **({"origins": []} | settings)))
        registry.changed(session)
    return slug


def add_site_b(app: Flask) -> int:
    with app.app_context(), write_transaction() as session:
        site = Site(slug="b", name="Site B", origins=[B_ORIGIN])
        session.add(site)
        session.flush()
        registry.changed(session)
        return site.id


def moderator(
    app: Flask, username: str, sites: dict[str, SiteRole] | None = None, admin: bool = False
) -> dict[str, str]:
    """A moderator with exactly these sites (by slug; an admin needs none); their API
    token's headers."""
    with app.app_context():
        created = accounts.create_moderator(username, PASSWORD, admin=admin)
        with write_transaction() as session:
            session.execute(delete(SiteGrant).where(SiteGrant.moderator_id == created.id))
            for slug, role in (sites or {}).items():
                grants.grant(session, created.id, registry.by_slug(slug).id, role)
        token = accounts.create_api_token(username, "tests")
        db.session.remove()
    return {"Authorization": f"Bearer {token}"}


def submit_on(
    client: FlaskClient, site_origin: str | None, article: str = "posts/hello", **fields: Any
) -> Any:
    """A submission from a page of the site with that origin (None: the default site)."""
    headers = {"Origin": site_origin} if site_origin else {}
    data = VALID | {"form_token": form_token(client.application)} | fields
    return client.post(f"/api/v1/articles/{article}/comments", json=data, headers=headers)


def posted_on(client: FlaskClient, site_origin: str | None, article: str, **fields: Any) -> int:
    response = submit_on(client, site_origin, article, **fields)
    assert response.status_code == 201, response.get_json()
    comment_id: int = response.get_json()["id"]
    return comment_id
