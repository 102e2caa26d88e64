"""Sign-in throttling: failed sign-ins counted per account name and per client address in the
database, so the count holds across workers and replicas. A successful sign-in is no failure
and clears its account's count; it leaves the address's count alone, or one valid account
would reset the count between guesses at others."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import InstrumentedAttribute

from service.errors import TooSoon
from service.extensions import db
from service.models import Moderator, SignInFailure, utcnow
from service.moderation import accounts
from service.ops.database import write_transaction
from service.privacy.vault import vault


def sign_in(username: str, password: str, client_ip: str | None) -> Moderator | None:
    """The active moderator with these credentials, or None (a failure, counted). Raises
    TooSoon, saying when to try again, while the account name or the client address has had
    too many failures; the password is then not even checked."""
    account, address = account_hash(username), vault().ip_hash(client_ip)
    # Counted before the password is checked, so that guesses racing on other workers see
    # each other: a sign-in that succeeds takes its row back.
    attempt = _record(account, address)
    try:
        _refuse_while_throttled(attempt, account, address)
    except TooSoon:
        _forget(SignInFailure.id == attempt)  # a refused attempt tried no password
        raise
    moderator = accounts.authenticate(username, password)
    if moderator is not None:
        _forget((SignInFailure.id == attempt) | (SignInFailure.account_hash == account))
    return moderator


def account_hash(username: str) -> str:
    # Keyed like client addresses: a password typed into the name field is not kept readable.
    # Capitals and spaces aside, as people retype a name.
    return vault().ip_hash("sign-in account " + username.strip().casefold()) or ""


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])


def _record(account: str, address: str | None) -> int:
    now = utcnow()
    with write_transaction() as session:
        # Failures older than the window count for nothing any more.
        session.execute(delete(SignInFailure).where(SignInFailure.created_at <= now - _window()))
        failure = SignInFailure(account_hash=account, address_hash=address, created_at=now)
        session.add(failure)
    return failure.id


def _forget(condition: ColumnElement[bool]) -> None:
    with write_transaction() as session:
        session.execute(delete(SignInFailure).where(condition))


def _refuse_while_throttled(attempt: int, account: str, address: str | None) -> None:
    config = current_app.config
    limits = (
        (SignInFailure.account_hash, account, config["LOGIN_FAILURES_PER_ACCOUNT"]),
        (SignInFailure.address_hash, address, config["LOGIN_FAILURES_PER_ADDRESS"]),
    )
    free_at = [
        moment
        for column, value, limit in limits
        if (moment := _free_at(column, value, limit, attempt)) is not None
    ]
    if free_at:
        seconds = max(1, math.ceil((max(free_at) - utcnow()).total_seconds()))
        raise TooSoon(f"Too many failed sign-ins. Try again in {_wait(seconds)}.", seconds)


def _free_at(
    column: InstrumentedAttribute[str | None], value: str | None, limit: int, attempt: int
) -> datetime | None:
    """When the failures under this key fall below the limit again, or None if they are."""
    if not limit or value is None:
        return None
    recent = db.session.scalars(
        select(SignInFailure.created_at)
        .where(
            column == value,
            SignInFailure.id != attempt,
            SignInFailure.created_at > utcnow() - _window(),
        )
        .order_by(SignInFailure.created_at.desc())
        .limit(limit)
    ).all()
    # The limit-th most recent failure is the one whose expiry brings the count under it.
    return recent[-1] + _window() if len(recent) == limit else None


def _wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"
