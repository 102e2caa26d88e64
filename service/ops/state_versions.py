"""Per-worker copies of sets the submission path reads every time (the bans, the policy's
rules), each kept current by one version number in `state_versions`.

A worker trusts its copy for FEED_STATE_SECONDS, then reads the version (one row) and reloads
only if it moved. Whoever changes a set calls `bump` in the same transaction: other workers
see the change within that moment, this one at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.extensions import db
from service.models import StateVersion

T = TypeVar("T")


class VersionedCopy(Generic[T]):
    """One worker's copy of the set named `name`, loaded by `load` (which reads through
    db.session) whenever the stored version differs from the one it was loaded under."""

    def __init__(self, name: str, load: Callable[[], T], trust_seconds: float) -> None:
        self.name = name
        self._version_query = select(StateVersion.version).where(StateVersion.name == name)
        self._load = load
        self._trust_seconds = trust_seconds
        self._value: T | None = None
        self._version: int | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._checked_at = float("-inf")
            self._version = None

    def last_loaded(self) -> T | None:
        """The copy as last loaded, without asking whether it is current: for code in front
        of the app (no database session), which accepts what FEED_STATE_SECONDS allows."""
        return self._value

    def current(self) -> T:
        with self._lock:
            if self._value is not None and self._trusted():
                return self._value
            version = db.session.scalar(self._version_query) or 0
            if self._value is None or version != self._version:
                self._value = self._load()
                self._version = version
            self._checked_at = time.monotonic()
            return self._value

    def _trusted(self) -> bool:
        return time.monotonic() - self._checked_at < self._trust_seconds


def extension_key(name: str) -> str:
    return f"commentdesk.state.{name}"


def copy_of(name: str, load: Callable[[], T]) -> VersionedCopy[T]:
    """This app's (this worker's) copy of the set `name`, made on first use."""
    key = extension_key(name)
    copy: VersionedCopy[T] | None = current_app.extensions.get(key)
    if copy is None:
        trust = current_app.config["FEED_STATE_SECONDS"]
        copy = current_app.extensions.setdefault(key, VersionedCopy(name, load, trust))
    return copy


def bump(session: Session, copy: VersionedCopy[T]) -> None:
    """Tell every worker the copy's set changed: call it in the transaction that changes it.
    This worker stops trusting its copy once that commits (before, it would reload the old
    set under the old version and keep it)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(StateVersion).values(name=copy.name, version=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[StateVersion.name], set_={"version": StateVersion.version + 1}
        )
    )
    event.listen(session, "after_commit", lambda _session: copy.forget(), once=True)
