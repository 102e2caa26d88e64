"""Database engine set-up and the write transaction every use case that writes goes through.

SQLite needs help to take concurrent writers: WAL (readers never block the writer), a busy
timeout (writers wait instead of failing), and `BEGIN IMMEDIATE` for write transactions (a
deferred transaction that reads first and writes later can fail with "database is locked"
when another writer got in between, and no busy timeout can save it).
"""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO, Any, Literal

import flask_migrate
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import TypeDecorator, event, inspect, make_url
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.orm import Session

from service.extensions import db
from service.ops import db_watchdog

SQLITE_BUSY_TIMEOUT_MS = 30_000

logger = logging.getLogger("commentdesk.database")

# The bind key of the read replica (SQLALCHEMY_BINDS), when one is configured.
REPLICA = "replica"
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


def engine_options(database_uri: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """Driver options: fail fast when PostgreSQL is unreachable or a query hangs."""
    if database_uri.startswith("postgresql"):
        return {
            # No pool_pre_ping: db_watchdog pings instead, under a deadline.
            "pool_timeout": config["DB_POOL_TIMEOUT_SECONDS"],
            "connect_args": {
                # libpq's floor: it treats anything shorter as 2 seconds.
                "connect_timeout": 2,
                # New connections start with a request's timeouts (no extra round trip);
                # commands switch theirs when they check one out (see timeouts_for_work).
                "options": " ".join(
                    f"-c {name}={value}"
                    for name, value in work_timeouts(REQUEST_WORK, config).postgresql()
                ),
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
    if make_url(database_uri).database in (None, "", ":memory:"):
        # In memory: one connection for the whole process (a StaticPool), never waited for.
        return {}
    return {"pool_timeout": config["DB_POOL_TIMEOUT_SECONDS"]}


def init_app(app: Flask) -> None:
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _configure_sqlite_connection)
                event.listen(engine, "begin", _begin_sqlite_transaction)
            else:
                # First: a dead pooled connection is replaced before anything else uses it.
                db_watchdog.watch_requests(
                    engine,
                    app.config["DB_STATEMENT_TIMEOUT_MS"],
                    lambda: _work.get() == REQUEST_WORK,
                )
            timeouts_for_work(engine, app.config)


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
        # A request waits its busy timeout for its turn, like SQLite's own busy handler would.
        wait_ms = work_timeouts(_work.get(), current_app.config).sqlite_busy_ms
        with _one_writer_per_process(session.get_bind(), wait_ms), session.begin():
            yield session
    finally:
        _write_intent.reset(token)


def _one_writer_per_process(
    engine: Engine | Connection, wait_ms: int
) -> AbstractContextManager[Any]:
    """SQLite has one writer, and its busy handler polls with growing sleeps: with many
    writers waiting, turns go badly (measured: 9 submissions/s instead of 50, and a p99 of
    over half a second across gunicorn workers). So writers queue before `BEGIN IMMEDIATE`:
    this process's threads on a lock, then one of them per process on an `flock` of a file
    next to the database, which the kernel hands on as soon as it is released. The busy
    timeout stays as the backstop for writers outside this (the CLI of an older version)."""
    database = sqlite_file(engine)
    if database is None:
        return nullcontext()
    writers = _sqlite_writers.get(database)
    if writers is None:
        writers = _sqlite_writers.setdefault(database, _SqliteWriters(f"{database}-writers.lock"))
    return writers.turn(wait_ms)


class WritersBusy(SQLAlchemyTimeoutError):
    """Another writer kept SQLite's write turn for longer than this work may wait: answered
    like a pool that stayed busy (503, try again)."""


class _SqliteWriters:
    """Re-entrant: a write transaction may be opened inside another's `with` (the thread
    already holds both locks, and only the outermost exit lets go). The lock file is opened
    for each turn, so no descriptor outlives it or crosses a fork."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._threads = threading.RLock()
        self._file: IO[bytes] | None = None
        self._depth = 0

    @contextmanager
    def turn(self, wait_ms: int) -> Iterator[None]:
        """The write turn, waited for at most `wait_ms` (0: as long as it takes)."""
        deadline = time.monotonic() + wait_ms / 1000 if wait_ms else None
        if not self._threads.acquire(timeout=wait_ms / 1000 if wait_ms else -1):
            raise WritersBusy("waited too long for another thread's write transaction")
        try:
            if self._depth == 0:
                self._file = _flock_within(self._path, deadline)
            self._depth += 1
        except BaseException:
            self._threads.release()
            raise
        try:
            yield
        finally:
            self._depth -= 1
            try:
                if self._depth == 0 and self._file is not None:
                    # Closing the file releases the flock.
                    self._file.close()
                    self._file = None
            finally:
                self._threads.release()


def _flock_within(path: str, deadline: float | None) -> IO[bytes]:
    """The lock file, opened and flocked: queued in the kernel (first come, first served)
    rather than polled. flock cannot time out, so a bounded wait happens in a thread of its
    own; if the deadline passes first, that thread lets the lock go as soon as it gets it."""
    # Open for the whole turn: closing it is what releases the lock.
    file = open(path, "ab")  # noqa: SIM115
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return file
    except BlockingIOError:
        pass
    except BaseException:
        file.close()
        raise
    if deadline is None:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        except BaseException:
            file.close()
            raise
        return file
    got_it = threading.Event()
    handover = threading.Lock()
    abandoned = False

    def wait() -> None:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        with handover:
            got_it.set()
            if abandoned:
                file.close()

    threading.Thread(target=wait, name="sqlite-writer-turn", daemon=True).start()
    got_it.wait(max(0.0, deadline - time.monotonic()))
    with handover:
        if got_it.is_set():
            return file
        abandoned = True
    raise WritersBusy("waited too long for another process's write transaction")


_sqlite_writers: dict[str, _SqliteWriters] = {}


def sqlite_file(engine: Engine | Connection) -> str | None:
    """The path of the engine's SQLite database file; None for another database, one in
    memory or one named by a URI."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


# How often a serving worker copies the write-ahead log back into the database file.
CHECKPOINT_INTERVAL_S = 0.1


class Checkpointer:
    """A thread that checkpoints a SQLite database's write-ahead log now and then.

    Otherwise the commit that fills the log past 1,000 pages does it, while still holding the
    write turn: under load an 8 to 10 ms stop every 125 or so submissions, which every writer
    waited out (2 workers, 16 connections: the p99 of the time in the app went from 7.7 to
    5.5 ms with this thread). A PASSIVE checkpoint lets writers go on meanwhile, and SQLite's
    own stays as the backstop should this thread fall behind."""

    def __init__(self, path: str, interval_s: float = CHECKPOINT_INTERVAL_S) -> None:
        self.path = path
        self._interval_s = interval_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # A connection of its own: sqlite3 lets go of the GIL while it copies pages.
        failing = False
        with closing(sqlite3.connect(self.path, isolation_level=None)) as connection:
            while not self._stopped.wait(self._interval_s):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    failing = False
                except sqlite3.Error as error:
                    # Said once, not ten times a second; the commits' checkpoints carry on.
                    if not failing:
                        logger.warning("Background checkpoints of SQLite fail: %s", error)
                    failing = True

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


def checkpoint_in_background(app: Flask) -> list[Checkpointer]:
    """A serving worker's checkpoint threads, one per SQLite database file (gunicorn.conf.py
    starts them after the fork)."""
    with app.app_context():
        paths = {sqlite_file(engine) for engine in db.engines.values()}
    return [Checkpointer(path) for path in sorted(p for p in paths if p is not None)]


# -- timeouts per kind of work ----------------------------------------------------------------

REQUEST_WORK = "request"
COMMAND_WORK = "command"
_work: ContextVar[str] = ContextVar("database_work", default=REQUEST_WORK)
_WORK_OF_CONNECTION = "commentdesk_work"


@dataclass(frozen=True)
class WorkTimeouts:
    """How long one kind of work waits on the database, in milliseconds (0: no limit)."""

    statement_ms: int
    lock_ms: int
    sqlite_busy_ms: int

    def postgresql(self) -> list[tuple[str, int]]:
        return [("statement_timeout", self.statement_ms), ("lock_timeout", self.lock_ms)]


def work_timeouts(work: str, config: Mapping[str, Any]) -> WorkTimeouts:
    """A request must answer (503 at worst) within seconds whatever the database does; a
    command, a migration or an import may take as long as the job needs."""
    if work == REQUEST_WORK:
        statement = config["DB_STATEMENT_TIMEOUT_MS"]
        return WorkTimeouts(statement, config["DB_LOCK_TIMEOUT_MS"], statement)
    command = config["DB_COMMAND_TIMEOUT_MS"]
    return WorkTimeouts(command, command, command or SQLITE_BUSY_TIMEOUT_MS)


@contextmanager
def command_work() -> Iterator[None]:
    """Database work in this block (a CLI command, a migration, an import) gets the
    command timeouts instead of a request's."""
    token = _work.set(COMMAND_WORK)
    try:
        yield
    finally:
        _work.reset(token)


def timeouts_for_work(engine: Engine, config: Mapping[str, Any]) -> None:
    """Give every connection the timeouts of the work that checks it out. A connection
    remembers what it was set to, so requests pay nothing: only a switch costs a round trip."""

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        if engine.dialect.name == "sqlite":
            # After the SQLite set-up above, whose busy timeout this replaces.
            _set_timeouts(dbapi_connection, "sqlite", work_timeouts(REQUEST_WORK, config))
        record.info[_WORK_OF_CONNECTION] = REQUEST_WORK

    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        work = _work.get()
        if record.info.get(_WORK_OF_CONNECTION) != work:
            _set_timeouts(dbapi_connection, engine.dialect.name, work_timeouts(work, config))
            record.info[_WORK_OF_CONNECTION] = work

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "checkout", on_checkout)


def _set_timeouts(dbapi_connection: Any, dialect: str, timeouts: WorkTimeouts) -> None:
    cursor = dbapi_connection.cursor()
    if dialect == "sqlite":
        cursor.execute(f"PRAGMA busy_timeout={timeouts.sqlite_busy_ms}")
    else:
        for name, value in timeouts.postgresql():
            cursor.execute(f"SET {name} = {int(value)}")
        # Session settings, kept by the connection after this transaction.
        dbapi_connection.commit()
    cursor.close()


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
