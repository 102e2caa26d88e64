"""Test HTTP servers (werkzeug's, http.server's) serving from a thread of the test process."""

from __future__ import annotations

import socketserver
import threading

# shutdown() waits for the serving loop's next poll: half a second at the default interval,
# paid by every test that stops a server.
_POLL_SECONDS = 0.05


def serving_thread(server: socketserver.BaseServer, name: str | None = None) -> threading.Thread:
    """A daemon thread, not yet started, that serves until `server.shutdown()`."""
    return threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _POLL_SECONDS},
        name=name,
        daemon=True,
    )
