"""A client-side bound on a request's wait for PostgreSQL. statement_timeout and lock_timeout
are enforced by the server process itself: a backend that is frozen (SIGSTOP, a stalled VM)
or a network that swallows packets while the kernel still acknowledges them enforces
nothing, and the request would wait as long as the freeze lasts. A watchdog thread cuts the
socket of a connection whose statement, ping or commit has run past its budget; the driver
then fails at once, SQLAlchemy drops the connection, and the request answers 503.

Only requests are watched (commands may wait as long as their work needs), and only past
the server's own timeouts, so a healthy database always answers first.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

# A ping (SELECT 1 on a pooled connection) answers in a millisecond when all is well.
PING_SECONDS = 1.0
# Past the server's statement timeout: the server normally cancels first, with its own error.
GRACE_SECONDS = 0.5
_TICK_SECONDS = 0.1


class Watchdog:
    """Deadlines of connections at work, by connection; one thread per process checks them."""

    def __init__(self) -> None:
        self._deadlines: dict[int, tuple[float, int]] = {}
        # Held while cutting, and by disarm: a socket is only cut while its connection is
        # still at work, so its descriptor cannot have been reused by anything else.
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def arm(self, dbapi_connection: Any, seconds: float) -> None:
        if dbapi_connection.closed:
            return  # the driver fails on its own
        fileno = dbapi_connection.pgconn.socket
        with self._lock:
            self._deadlines[id(dbapi_connection)] = (time.monotonic() + seconds, fileno)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="commentdesk-db-watchdog", daemon=True
                )
                self._thread.start()

    def disarm(self, dbapi_connection: Any) -> None:
        if dbapi_connection is None:
            return
        with self._lock:
            self._deadlines.pop(id(dbapi_connection), None)

    def _watch(self) -> None:
        while True:
            time.sleep(_TICK_SECONDS)
            now = time.monotonic()
            with self._lock:
                for key, (deadline, fileno) in list(self._deadlines.items()):
                    if now >= deadline:
                        del self._deadlines[key]
                        _cut(fileno)


def _cut(fileno: int) -> None:
    # shutdown acts on the socket itself: the thread blocked reading it wakes up to EOF.
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fileno)) as duplicate:
        duplicate.shutdown(socket.SHUT_RDWR)


watchdog = Watchdog()


def _dbapi(connection: Any) -> Any:
    # An invalidated connection (its socket cut, say) has nothing left to watch, and asking
    # it for its DBAPI connection would raise.
    return None if connection.invalidated else connection.connection.dbapi_connection


def watch_requests(engine: Engine, statement_ms: int, in_request: Any) -> None:
    """Arm the watchdog around each statement, the checkout ping and the commit of work that
    `in_request()` says is a request's; used instead of pool_pre_ping (whose ping cannot be
    watched)."""
    budget = statement_ms / 1000 + GRACE_SECONDS if statement_ms else None

    def arm(dbapi_connection: Any, seconds: float | None) -> None:
        if dbapi_connection is not None and seconds is not None and in_request():
            watchdog.arm(dbapi_connection, seconds)

    def before_execute(connection: Any, *_args: Any) -> None:
        arm(_dbapi(connection), budget)

    def before_commit(connection: Any) -> None:
        arm(_dbapi(connection), budget)

    def after_execute(connection: Any, *_args: Any) -> None:
        watchdog.disarm(_dbapi(connection))

    def on_error(context: Any) -> None:
        if context.connection is not None:
            watchdog.disarm(_dbapi(context.connection))

    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.pop("fresh", False):
            return
        arm(dbapi_connection, PING_SECONDS)
        try:
            # The ping pool_pre_ping would send (one round trip).
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and makes a new one (connect_timeout bounds it).
            raise DisconnectionError(f"ping failed: {type(error).__name__}") from error
        finally:
            watchdog.disarm(dbapi_connection)

    def forget(dbapi_connection: Any, *_args: Any) -> None:
        watchdog.disarm(dbapi_connection)

    def fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info["fresh"] = True

    event.listen(engine, "connect", fresh)
    event.listen(engine, "checkout", ping)
    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "after_cursor_execute", after_execute)
    event.listen(engine, "commit", before_commit)
    event.listen(engine, "rollback", before_commit)
    event.listen(engine, "handle_error", on_error)
    for ended in ("checkin", "invalidate", "soft_invalidate", "close", "detach"):
        event.listen(engine, ended, forget)
