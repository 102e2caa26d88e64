"""Moderators, their API tokens and their own choices (the queue's view)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.errors import FieldError, ModeratorExists, ModeratorNotFound
from service.extensions import db
from service.models import MAX_ID, ApiToken, Moderator, ModeratorRole, QueueView, SiteRole, utcnow
from service.ops.database import write_transaction
from service.sites import grants, registry

TOKEN_PREFIX = "cdk_"
PASSWORD_MIN_LENGTH = 10


def hash_token(token: str) -> str:
    # Tokens are long and random, so a fast unsalted hash is enough to make a leaked
    # database useless for calling the API.
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise FieldError(
            "password", f"Choose a password of at least {PASSWORD_MIN_LENGTH} characters."
        )


def create_moderator(username: str, password: str, admin: bool = False) -> Moderator:
    username = username.strip()
    if not username or len(username) > 80 or not username.isprintable():
        raise FieldError("username", "A username has 1 to 80 printable characters.")
    _check_password(password)
    with write_transaction() as session:
        if session.scalar(select(Moderator.id).where(Moderator.username == username)):
            raise ModeratorExists(f"A moderator called {username!r} already exists.")
        moderator = Moderator(
            username=username,
            password_hash=_hash_password(password),
            role=ModeratorRole.ADMIN if admin else ModeratorRole.MODERATOR,
        )
        session.add(moderator)
        if not admin:
            # Until an admin grants other sites, a new moderator works on the default one,
            # as every moderator did before there were sites.
            session.flush()
            grants.grant(session, moderator.id, registry.default().id, SiteRole.MODERATOR)
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


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _decoy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def authenticate(username: str, password: str) -> Moderator | None:
    """The active moderator with these credentials, or None. An unknown name costs the same
    password check as a wrong password, so timing does not reveal which accounts exist."""
    moderator = db.session.scalar(select(Moderator).where(Moderator.username == username.strip()))
    if moderator is None:
        check_password_hash(_decoy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(moderator.password_hash, password) or not moderator.is_active:
        return None
    return moderator


def moderator_for_session(session_id: str) -> Moderator | None:
    """The moderator a login session belongs to, while active and while none of the things
    that end sessions (sign-out, password reset, disabling) has happened since."""
    moderator_id = session_id.partition(":")[0]
    if not moderator_id.isdigit():
        return None
    moderator = db.session.get(Moderator, int(moderator_id))
    if moderator is None or not moderator.is_active or moderator.get_id() != session_id:
        return None
    return moderator


def active_moderator(username: str) -> Moderator:
    """An active moderator, for actions taken on the command line in their name."""
    moderator = db.session.scalar(select(Moderator).where(Moderator.username == username))
    if moderator is None or not moderator.is_active:
        raise ModeratorNotFound(f"There is no active moderator called {username!r}.")
    return moderator


def list_moderators() -> list[Moderator]:
    return list(db.session.scalars(select(Moderator).order_by(Moderator.username)))


def _moderator(session: Session, moderator_id: int) -> Moderator:
    # An id beyond the column's range is simply not there (PostgreSQL would raise instead).
    moderator = session.get(Moderator, moderator_id) if 0 < moderator_id <= MAX_ID else None
    if moderator is None:
        raise ModeratorNotFound(f"There is no moderator {moderator_id}.")
    return moderator


def _end_sessions(moderator: Moderator) -> None:
    # Every session id carries the generation (Moderator.get_id), so none matches any more.
    moderator.session_generation += 1


def end_sessions(moderator_id: int) -> Moderator:
    """Sign the moderator out in every browser: any copy of a session cookie stops working."""
    with write_transaction() as session:
        moderator = _moderator(session, moderator_id)
        _end_sessions(moderator)
    return moderator


def set_active(moderator_id: int, active: bool) -> Moderator:
    with write_transaction() as session:
        moderator = _moderator(session, moderator_id)
        moderator.is_active = active
        # Also when enabling again: a session from before the account was disabled stays ended.
        _end_sessions(moderator)
    return moderator


def reset_password(moderator_id: int, password: str) -> Moderator:
    _check_password(password)
    with write_transaction() as session:
        moderator = _moderator(session, moderator_id)
        moderator.password_hash = _hash_password(password)
        _end_sessions(moderator)
    return moderator


def set_queue_view(moderator_id: int, view: QueueView) -> Moderator:
    """Remember how this moderator wants the queue shown, on every browser they use."""
    with write_transaction() as session:
        moderator = _moderator(session, moderator_id)
        moderator.queue_view = view
    return moderator


def list_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())))


def revoke_token(token_id: int) -> None:
    with write_transaction() as session:
        api_token = session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
        if api_token is not None and api_token.revoked_at is None:
            api_token.revoked_at = utcnow()
