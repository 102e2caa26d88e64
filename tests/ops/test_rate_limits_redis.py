"""Submission rate limits kept in a real Redis (redis://127.0.0.1:6379, or TEST_REDIS_URL):
counted there, shared by every app instance that points at it, and never a reason to refuse
a comment when Redis is down. Skipped with a reason when no Redis answers."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from service.extensions import limiter
from service.privacy import vault
from tests.conftest import VALID, base_config

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
ROOT = Path(__file__).resolve().parents[2]
TOO_QUICKLY = "You are sending comments too quickly. Please wait a little and try again."


@pytest.fixture(scope="module")
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        pytest.skip(f"no Redis answers at {REDIS_URL} ({error}); start one to run these tests")
    yield client
    client.close()


@pytest.fixture
def fresh_limiter() -> Iterator[None]:
    """Flask-Limiter's extension object is one per process: it keeps the key prefix of the
    first app bound to it and remembers that a storage was unreachable. Each test here starts
    it as a new server process would, and leaves it that way for the tests after it."""
    limiter._key_prefix = ""
    limiter._storage_dead = False
    yield
    limiter._key_prefix = ""
    limiter._storage_dead = False


@pytest.fixture
def prefix(redis_client: redis.Redis, fresh_limiter: None) -> Iterator[str]:
    """A key prefix of this test's own, so runs never share counters; removed afterwards."""
    prefix = f"commentdesk-test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(redis_client.scan_iter(match=f"*{prefix}*"))
    if keys:
        redis_client.delete(*keys)


def limited_config(prefix: str, storage: str = REDIS_URL) -> dict[str, Any]:
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": prefix,
        "SUBMIT_RATE_LIMIT": "2 per minute",
        "FLOOD_SECONDS": 0,
    }


def post(client: FlaskClient, body: str, ip: str = "203.0.113.10") -> Any:
    return client.post(
        "/api/v1/articles/posts/hello/comments",
        json=VALID | {"body": body, "email": f"{uuid.uuid4().hex[:8]}@example.org"},
        environ_base={"REMOTE_ADDR": ip},
    )


def assert_limited(response: Any) -> None:
    assert response.status_code == 429, response.get_json()
    assert response.get_json()["error"]["message"] == TOO_QUICKLY
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_submissions_are_counted_in_redis_and_limited(make_app, redis_client, prefix):
    client = make_app(**limited_config(prefix)).test_client()
    assert post(client, "one").status_code == 201
    assert post(client, "two").status_code == 201
    assert_limited(post(client, "three"))

    [key] = redis_client.scan_iter(match=f"*{prefix}*")
    assert int(redis_client.get(key)) >= 2
    assert 0 < redis_client.ttl(key) <= 60


def test_redis_holds_keyed_hashes_of_client_addresses_never_the_addresses(
    make_app, redis_client, prefix
):
    app = make_app(**limited_config(prefix))
    client = app.test_client()
    addresses = ["203.0.113.10", "198.51.100.23", "2001:db8::7"]
    for ip in addresses:
        assert post(client, f"from {ip}", ip=ip).status_code == 201
        # Sign-in attempts are limited per address too.
        client.post("/moderation/login", data={"username": "x"}, environ_base={"REMOTE_ADDR": ip})

    keys = b" ".join(redis_client.scan_iter(match=f"*{prefix}*")).decode()
    for ip in addresses:
        assert ip not in keys
    with app.app_context():
        hashed = [vault.vault().ip_hash(ip) for ip in addresses]
    assert all(ip_hash and ip_hash in keys for ip_hash in hashed)


def test_limit_in_redis_is_per_client_ip(make_app, prefix):
    client = make_app(**limited_config(prefix)).test_client()
    for n in range(2):
        assert post(client, f"a{n}", ip="203.0.113.1").status_code == 201
    assert_limited(post(client, "a2", ip="203.0.113.1"))
    assert post(client, "b0", ip="203.0.113.2").status_code == 201


def test_two_app_instances_share_one_limit(make_app, redis_client, prefix):
    first = make_app(**limited_config(prefix))
    for n in range(2):
        assert post(first.test_client(), f"first {n}").status_code == 201
    storage_of_first = limiter.storage

    second = make_app(**limited_config(prefix))
    # The second app brought its own Redis client: the count can only have come from Redis.
    assert limiter.storage is not storage_of_first
    assert_limited(post(second.test_client(), "second 0"))
    assert post(second.test_client(), "someone else", ip="198.51.100.4").status_code == 201
    assert_limited(post(first.test_client(), "first 2"))


_OTHER_PROCESS = """
import json, sys
from service import create_app
app = create_app(json.loads(sys.argv[1]))
response = app.test_client().post(
    "/api/v1/articles/posts/hello/comments",
    json={"name": "Ada", "email": "other@example.org", "body": "From another process"},
    environ_base={"REMOTE_ADDR": "203.0.113.10"},
)
print(response.status_code)
"""


@pytest.mark.slow
def test_another_server_process_shares_the_limit(make_app, database_url, prefix):
    client = make_app(**limited_config(prefix)).test_client()
    for n in range(2):
        assert post(client, f"here {n}").status_code == 201
    settings = base_config(database_url) | limited_config(prefix)
    other = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, json.dumps(settings)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert other.stdout.split()[-1] == "429", other.stderr


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "storage",
    [lambda: f"redis://127.0.0.1:{_closed_port()}", lambda: "redis://127.0.0.1:1/0"],
    ids=["closed port", "port 1"],
)
def test_unreachable_redis_still_accepts_submissions_and_warns(
    make_app: Callable[..., Flask], fresh_limiter, caplog, storage
):
    caplog.set_level(logging.WARNING)
    client = make_app(**limited_config(f"unused-{uuid.uuid4().hex}", storage())).test_client()
    first = post(client, "Redis is down, the comment is not.")
    assert first.status_code == 201
    assert first.get_json()["status"] == "pending"
    assert any(
        record.levelno == logging.WARNING and "storage unreachable" in record.getMessage()
        for record in caplog.records
    )
    # The limit still holds, counted in this process's memory meanwhile.
    assert post(client, "second").status_code == 201
    assert_limited(post(client, "third"))
