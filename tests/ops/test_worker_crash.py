"""A fault test: a gunicorn worker is killed with SIGKILL while submissions are in flight.
No acknowledged comment may be lost or stored twice, and nothing may be stored that no
client was told about, except a request the dead worker committed but could not answer
(its client saw the connection drop)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import VALID
from tests.ops.test_deploy import ENTRYPOINT, Server, free_port, service_environment

CLIENTS = 50
CONNECTION_ERROR = "connection error"
ARTICLE = "crash/worker-kill"


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid`, read from /proc (psutil is not a dependency)."""
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            content = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after it.
        fields = content[content.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def wait_for_workers(master: int, count: int, excluding: set[int], seconds: float = 30) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        workers = children(master)
        if len(workers) == count and not workers & excluding:
            return workers
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not have {count} workers (without {excluding}) in {seconds} s")


def submit(base_url: str, tag: str, index: int, barrier: threading.Barrier) -> int | str:
    fields = {"email": f"crash-{index}@example.org", "body": f"Crash test comment {tag}."}
    barrier.wait()
    try:
        response = requests.post(
            f"{base_url}/api/v1/articles/{ARTICLE}/comments", json=VALID | fields, timeout=30
        )
    except requests.ConnectionError:
        return CONNECTION_ERROR
    return response.status_code


@pytest.mark.slow
def test_killing_a_worker_mid_flight_loses_and_duplicates_no_acknowledged_comment(
    tmp_path, fresh_postgres_url
):
    environ = service_environment(
        tmp_path,
        DATABASE_URL=fresh_postgres_url,
        BIND=f"127.0.0.1:{free_port()}",
        WEB_CONCURRENCY="3",
        MODERATION="off",
        RATELIMIT_ENABLED="false",
        SURGE_SUBMISSIONS="0",
        SURGE_SPAM="0",
        CLASSIFIER_ENABLED="false",
    )
    server = Server([str(ENTRYPOINT)], environ, tmp_path / "gunicorn.log")
    try:
        server.wait_until_serving()
        master = server.process.pid  # the entrypoint execs gunicorn: same pid
        workers = wait_for_workers(master, 3, excluding=set())
        victim = min(workers)

        tags = [f"tag{index:02d}x{uuid.uuid4().hex[:8]}" for index in range(CLIENTS)]
        barrier = threading.Barrier(CLIENTS + 1)
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [
                pool.submit(submit, server.url, tag, index, barrier)
                for index, tag in enumerate(tags)
            ]
            barrier.wait()
            time.sleep(0.02)
            os.kill(victim, signal.SIGKILL)
            finished_before_kill = sum(future.done() for future in futures)
            outcomes = dict(zip(tags, (future.result() for future in futures), strict=True))

        # The kill landed while submissions were still being served.
        assert finished_before_kill < CLIENTS, "every request finished before the kill"
        assert not [o for o in outcomes.values() if o != CONNECTION_ERROR and o >= 500], outcomes

        # gunicorn replaced the dead worker, and the service still takes submissions.
        wait_for_workers(master, 3, excluding={victim})
        after = requests.post(
            f"{server.url}/api/v1/articles/{ARTICLE}/comments",
            json=VALID | {"email": "after-crash@example.org", "body": "After the crash."},
            timeout=30,
        )
        assert after.status_code == 201, after.text

        engine = create_engine(fresh_postgres_url)
        try:
            with engine.connect() as connection:
                bodies = connection.execute(text("SELECT body FROM comments")).scalars().all()
        finally:
            engine.dispose()
        stored = [m for body in bodies for m in re.findall(r"tag\d\dx[0-9a-f]{8}", body)]

        assert len(stored) == len(set(stored)), "a comment was stored twice"
        acknowledged = {tag for tag, outcome in outcomes.items() if outcome == 201}
        assert acknowledged <= set(stored), "an acknowledged comment is missing"
        dropped = {tag for tag, outcome in outcomes.items() if outcome == CONNECTION_ERROR}
        assert set(stored) <= acknowledged | dropped, "a comment nobody was told about"
        assert set(outcomes.values()) <= {201, CONNECTION_ERROR}, outcomes

        print(
            f"\nworker crash: {len(acknowledged)} x 201, {len(dropped)} connection errors, "
            f"{len(stored)} stored, {finished_before_kill} finished before the kill"
        )
        assert f"Worker (pid:{victim})" in server.output()
    finally:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=35)
            except subprocess.TimeoutExpired:
                server.kill()
