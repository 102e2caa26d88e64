"""Fixtures of the moderators' web pages: a world of moderators and comments to act on."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.extensions import db
from service.models import ApiToken
from service.moderation import accounts, decisions, waves
from service.privacy import vault
from tests.conftest import VALID
from tests.http.web.helpers import NOOR_PASSWORD, PASSWORD, World, new_comment


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> World:
    with app.app_context():
        mia = accounts.create_moderator("mia", PASSWORD, admin=True).id
        noor = accounts.create_moderator("noor", NOOR_PASSWORD).id
        accounts.create_api_token("noor", "script")
        token = db.session.scalar(select(ApiToken.id))
    comment = new_comment(client, body="A pending comment to decide.")
    decided = new_comment(client, body="Decided earlier, can be undone.")
    for n in range(3):
        new_comment(
            client,
            email=f"wave{n}@example.org",
            body=f"Cheap pills {n}!! https://pills.example/{n}",
        )
    with app.app_context():
        batch = decisions.decide_many([decided], "reject", mia).batch
        fingerprint = waves.waves(waves.Filters(), None)[0]["fingerprint"]
        commenter = vault.vault().email_hash(VALID["email"])
    return World(comment, fingerprint, batch, mia, noor, token, commenter)
