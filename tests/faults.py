"""Faults for tests to inject: a database that goes away, comes back, or stops answering."""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


class Forwarder:
    """A TCP proxy to PostgreSQL that a test can stop (cutting every connection) and start
    again on the same port (the database going away and coming back), or pause (the
    database hanging mid-request) and resume."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []
        self.flowing = threading.Event()
        self.flowing.set()

    @classmethod
    def to_database(cls, database_url: str) -> Forwarder:
        parts = urlsplit(database_url)
        return cls((parts.hostname or "127.0.0.1", parts.port or 5432))

    def database_url(self, database_url: str) -> str:
        """The same database, reached through this proxy."""
        parts = urlsplit(database_url)
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{self.port}"))

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener is not None:
            # shutdown, not just close: it wakes the thread blocked in accept() (Linux).
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.connections.clear()

    def pause(self) -> None:
        """Hold every byte in both directions until resume(): connections stay open."""
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
