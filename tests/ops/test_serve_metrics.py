"""`flask serve` runs several gunicorn workers; one scrape of /metrics covers all of them,
with no PROMETHEUS_MULTIPROC_DIR to set by hand."""

from __future__ import annotations

import re
import socket
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.test_deploy import (
    free_port,
    service_environment,
    start_server,  # noqa: F401  (a fixture)
)


def healthz_count(base_url: str) -> float:
    scrape = requests.get(f"{base_url}/metrics", timeout=10)
    assert scrape.status_code == 200
    return sum(
        sample.value
        for family in text_string_to_metric_families(scrape.text)
        for sample in family.samples
        if sample.name == "commentdesk_http_requests_total"
        and sample.labels["endpoint"] == "ops.healthz"
    )


@pytest.mark.slow
def test_one_scrape_counts_the_requests_of_every_worker(tmp_path, start_server):  # noqa: F811
    port = free_port()
    environ = service_environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}")
    # Sync workers answer one request at a time, so a request held open keeps one busy.
    environ |= {"WEB_CONCURRENCY": "2", "GUNICORN_WORKER_CLASS": "sync"}
    environ |= {"BIND": f"127.0.0.1:{port}"}
    server = start_server([sys.executable, "-m", "flask", "--app", "wsgi", "serve"], environ)
    server.wait_until_serving()

    # One worker takes this request and waits for the rest of its headers...
    held = socket.create_connection(("127.0.0.1", port), timeout=10)
    held.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
    time.sleep(0.5)
    # ...so these go to the other worker.
    for _ in range(3):
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
    held.sendall(b"Connection: close\r\n\r\n")
    assert held.recv(1024).startswith(b"HTTP/1.1 200")
    held.close()

    # Each scrape, whichever worker answers it, counts all four.
    assert [healthz_count(server.url) for _ in range(3)] == [4, 4, 4]

    assert server.stop() == 0, server.output()
    [folder] = re.findall(r"workers share their metrics in (\S+)", server.output())
    assert not Path(folder).exists()
