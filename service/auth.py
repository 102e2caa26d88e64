"""Moderators and their API tokens."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from service.database import write_transaction
from service.errors import ModeratorExists, ModeratorNotFound
from service.extensions import db
from service.models import ApiToken, Moderator, ModeratorRole

TOKEN_PREFIX = "cdk_"


def hash_token(token: str) -> str:
    # Tokens are long and random, so a fast unsalted hash is enough to make a leaked
    # database useless for calling the API.
    return hashlib.sha256(token.encode()).hexdigest()


def create_moderator(username: str, password: str, admin: bool = False) -> Moderator:
    username = username.strip()
    with write_transaction() as session:
        if session.scalar(select(Moderator.id).where(Moderator.username == username)):
            raise ModeratorExists(f"A moderator called {username!r} already exists.")
        moderator = Moderator(
            username=username,
            password_hash=generate_password_hash(password),
            role=ModeratorRole.ADMIN if admin else ModeratorRole.MODERATOR,
        )
        session.add(moderator)
    return moderator


def create_api_token(username: str, label: str = "") -> str:
    """A new token for the moderator; the caller shows it once, only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction() as session:
        moderator = session.scalar(select(Moderator).where(Moderator.username == username))
        if moderator is None:
            raise ModeratorNotFound(f"There is no moderator called {username!r}.")
        session.add(ApiToken(moderator_id=moderator.id, token_hash=hash_token(token), label=label))
    return token


def moderator_for_token(token: str) -> Moderator | None:
    """The active moderator a live token belongs to, or None."""
    api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if api_token is None or api_token.revoked_at is not None:
        return None
    return api_token.moderator if api_token.moderator.is_active else None
