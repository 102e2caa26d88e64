"""Database engine set-up and the write transaction every use case that writes goes through.

SQLite needs help to take concurrent writers: WAL (readers never block the writer), a busy
timeout (writers wait instead of failing), and `BEGIN IMMEDIATE` for write transactions (a
deferred transaction that reads first and writes later can fail with "database is locked"
when another writer got in between, and no busy timeout can save it).
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import IO, Any, Literal

import flask_migrate
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import TypeDecorator, event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from service.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000

# The bind key of the read replica (SQLALCHEMY_BINDS), when one is configured.
REPLICA = "replica"
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


def engine_options(database_uri: str) -> dict[str, Any]:
    """Driver options: fail fast when PostgreSQL is unreachable or a query hangs."""
    if database_uri.startswith("postgresql"):
        return {
            "pool_pre_ping": True,
            "connect_args": {
                # libpq's floor: it treats anything shorter as 2 seconds.
                "connect_timeout": 2,
                "options": "-c statement_timeout=10000",
                # A peer that stops acknowledging (a network partition) closes the socket
                # after 2 s instead of the kernel's 15 minutes of retransmissions; idle
                # pooled connections are probed so a dead one is found before it is used.
                "tcp_user_timeout": 2000,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 5,
                "keepalives_count": 3,
            },
        }
    # A SQLite file cannot go away under an open connection: no ping needed.
    return {}


def init_app(app: Flask) -> None:
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _configure_sqlite_connection)
                event.listen(engine, "begin", _begin_sqlite_transaction)


def reads_engine() -> Engine:
    """Where the public feed reads: the read replica when DATABASE_REPLICA_URL names one.
    Only reads that may lag by the replica's delay belong there; writes and moderation use
    the primary."""
    return db.engines.get(REPLICA, db.engine)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event below instead of pysqlite.
    dbapi_connection.isolation_level = None
    # SQLite's own lower() folds ASCII only; searches should find "Émile" from "émile".
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted and overwritten content is zeroed, so an erased address leaves the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _begin_sqlite_transaction(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[Session]:
    """One unit of work that writes: committed on success, rolled back on any error."""
    session = db.session()
    if session.in_transaction():
        # A read-only transaction may be open from earlier in the request; end it so the
        # write transaction starts fresh and takes the write lock up front.
        session.commit()
    token = _write_intent.set(True)
    try:
        with _one_writer_per_process(session.get_bind()), session.begin():
            yield session
    finally:
        _write_intent.reset(token)


def _one_writer_per_process(engine: Engine | Connection) -> AbstractContextManager[Any]:
    """SQLite has one writer, and its busy handler polls with growing sleeps: with many
    writers waiting, turns go badly (measured: 9 submissions/s instead of 50, and a p99 of
    over half a second across gunicorn workers). So writers queue before `BEGIN IMMEDIATE`:
    this process's threads on a lock, then one of them per process on an `flock` of a file
    next to the database, which the kernel hands on as soon as it is released. The busy
    timeout stays as the backstop for writers outside this (the CLI of an older version)."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    database = engine.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return nullcontext()
    writers = _sqlite_writers.get(database)
    if writers is None:
        writers = _sqlite_writers.setdefault(database, _SqliteWriters(f"{database}-writers.lock"))
    return writers


class _SqliteWriters:
    """Re-entrant: a write transaction may be opened inside another's `with` (the thread
    already holds both locks, and only the outermost exit lets go). The lock file is opened
    for each turn, so no descriptor outlives it or crosses a fork."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._threads = threading.RLock()
        self._file: IO[bytes] | None = None
        self._depth = 0

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            if self._depth == 0:
                self._file = open(self._path, "ab")
                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
            self._depth += 1
        except BaseException:
            if self._file is not None:
                self._file.close()
                self._file = None
            self._threads.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._file is not None:
                # Closing the file releases the flock.
                self._file.close()
                self._file = None
        finally:
            self._threads.release()


_sqlite_writers: dict[str, _SqliteWriters] = {}


def render_type_for_migrations(type_: str, obj: Any, _context: Any) -> str | Literal[False]:
    """Autogenerate writes our TypeDecorators as their plain SQLAlchemy type, so migrations
    never import application code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def apply_pending_migrations() -> bool:
    """Bring the schema to the newest migration, as `serve` does at start; True if any ran.

    A schema made without migrations (db.create_all: the test suite) has no revision to go
    from and is left alone: upgrading it would try to create tables that exist."""
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
        made_without_migrations = not current and inspect(connection).has_table("comments")
    if made_without_migrations:
        return False
    config = current_app.extensions["migrate"].migrate.get_config()
    if current == set(ScriptDirectory.from_config(config).get_heads()):
        return False
    flask_migrate.upgrade()
    return True
