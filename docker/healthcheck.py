"""The image's HEALTHCHECK: asks /healthz wherever gunicorn listens, read from BIND as
gunicorn.conf.py reads it, so moving the service with BIND does not mark it unhealthy."""

from __future__ import annotations

import http.client
import os
import socket
import sys


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over gunicorn's `unix:PATH` bind."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def connection(bind: str, timeout: float) -> http.client.HTTPConnection:
    # gunicorn accepts several addresses separated by commas; the first one is enough.
    address = bind.split(",")[0].strip()
    if address.startswith("unix:"):
        return _UnixConnection(address.removeprefix("unix:"), timeout)
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    # A wildcard address is not one to connect to: the same stack's loopback answers for it.
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return http.client.HTTPConnection(host, int(port or 8000), timeout=timeout)


def main() -> int:
    bind = os.environ.get("BIND", "").strip() or "0.0.0.0:8000"
    client = connection(bind, timeout=4)
    try:
        client.request("GET", "/healthz")
        status = client.getresponse().status
    except OSError as error:
        print(f"healthcheck: {bind}: {error}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
