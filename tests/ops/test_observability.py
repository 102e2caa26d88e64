"""Operations: /healthz, /readyz, /metrics (plain and gunicorn multiprocess), access and audit
logs, the 503 when the database is unreachable (and the recovery after), and the one-line
start-up failure without SECRET_KEY."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from service.extensions import limiter
from service.ops import config, observability
from tests.conftest import VALID, approve, base_config, submit
from tests.faults import Forwarder

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "grace.hopper@example.org"
BODY = "Entirely private musings about xyzzy-plugh"
ARTICLE = "posts/secret-draft-4711"
CLIENT_IP = "203.0.113.77"


def metric_samples(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def sample(samples: dict[Any, float], name: str, **labels: str) -> float | None:
    """The value of the samples with these labels, summed over the labels not given (the
    site, say); None when there is none."""
    wanted = set(labels.items())
    found = [
        value
        for (sample_name, sample_labels), value in samples.items()
        if sample_name == name and wanted <= set(sample_labels)
    ]
    return sum(found) if found else None


def private_submission(client: Any) -> Any:
    return client.post(
        f"/api/v1/articles/{ARTICLE}/comments",
        json=VALID | {"email": EMAIL, "body": BODY},
        environ_base={"REMOTE_ADDR": CLIENT_IP},
    )


def assert_nothing_private(text: str) -> None:
    for secret in (EMAIL, BODY, "xyzzy", ARTICLE, "secret-draft", CLIENT_IP):
        assert secret not in text


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "commentdesk.access"
    ]


# -- probes ---------------------------------------------------------------------------------


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_with_a_reachable_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok"}


def unreachable_database_url(database_url: str, tmp_path: Path) -> str:
    if database_url.startswith("sqlite"):
        # A file in a directory that does not exist: SQLite cannot open it.
        return f"sqlite:///{tmp_path / 'missing' / 'gone.db'}"
    return "postgresql+psycopg://postgres@127.0.0.1:1/test"


def test_readyz_is_503_naming_the_database_when_it_is_down(make_app, database_url, tmp_path):
    make_app()
    down = make_app(SQLALCHEMY_DATABASE_URI=unreachable_database_url(database_url, tmp_path))
    started = time.monotonic()
    response = down.test_client().get("/readyz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.get_json() == {"database": "unreachable"}
    assert response.headers["Retry-After"] == "5"


@pytest.fixture
def fresh_limiter() -> Iterator[None]:
    # The limiter is one object per process and remembers an unreachable storage.
    limiter._storage_dead = False
    yield
    limiter._storage_dead = False


def test_readyz_checks_a_reachable_redis(make_app, fresh_limiter):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379", socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis answers at redis://127.0.0.1:6379")
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379")
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "ok"}


# -- metrics --------------------------------------------------------------------------------


def test_metrics_count_requests_by_endpoint_and_status(client):
    client.get("/api/v1/articles/posts/one/comments")
    client.get("/api/v1/articles/posts/two/comments")
    client.get("/nothing/here")
    samples = metric_samples(client)
    name = "commentdesk_http_requests_total"
    endpoint = "public.ArticleComments"
    assert sample(samples, name, endpoint=endpoint, method="GET", status="200") == 2
    assert sample(samples, name, endpoint="unmatched", method="GET", status="404") == 1
    buckets = sample(
        samples,
        "commentdesk_http_request_duration_seconds_count",
        endpoint=endpoint,
        method="GET",
    )
    assert buckets == 2


def test_odd_methods_share_one_label(client):
    assert client.open("/healthz", method="BREW").status_code == 405
    samples = metric_samples(client)
    name = "commentdesk_http_requests_total"
    assert sample(samples, name, endpoint="unmatched", method="other", status="405") == 1


def test_metrics_count_submissions_by_verdict_and_queue_sizes_match_the_database(
    make_app, moderator_headers, app
):
    client = app.test_client()
    first = submit(client, body="one").get_json()["id"]
    submit(client, body="two")
    submit(client, body="three")
    approve(client, moderator_headers, first)
    samples = metric_samples(client)
    assert sample(samples, "commentdesk_submissions_total", verdict="pending") == 3
    assert sample(samples, "commentdesk_comments", status="pending") == 2
    assert sample(samples, "commentdesk_comments", status="approved") == 1
    assert sample(samples, "commentdesk_comments", status="spam") == 0


def test_metrics_count_rate_limited_requests(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="1 per minute")
    client = app.test_client()
    assert submit(client, body="first").status_code == 201
    assert submit(client, body="second").status_code == 429
    samples = metric_samples(client)
    assert sample(samples, "commentdesk_rate_limited_total", endpoint="public.ArticleComments") == 1


def test_metrics_and_access_logs_never_carry_emails_ips_keys_or_bodies(client, caplog):
    caplog.set_level(logging.INFO, logger="commentdesk")
    assert private_submission(client).status_code == 201
    client.get(f"/api/v1/articles/{ARTICLE}/comments", environ_base={"REMOTE_ADDR": CLIENT_IP})
    text = client.get("/metrics").get_data(as_text=True)
    assert "commentdesk_submissions_total" in text
    assert_nothing_private(text)
    lines = [record.getMessage() for record in caplog.records]
    assert lines
    assert_nothing_private("\n".join(lines))


MULTIPROCESS_WORKER = textwrap.dedent(
    """
    import sys
    from service import create_app
    from service.extensions import db
    from tests.conftest import base_config

    app = create_app(base_config(sys.argv[1]))
    with app.app_context():
        db.create_all(bind_key=None)
    client = app.test_client()
    for _ in range(int(sys.argv[2])):
        client.get("/healthz")
    if sys.argv[3] == "scrape":
        sys.stdout.write(client.get("/metrics").get_data(as_text=True))
    """
)


@pytest.mark.slow
def test_metrics_add_up_across_worker_processes_in_multiprocess_mode(tmp_path):
    # prometheus_client picks its storage when imported, so each "worker" is a process.
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    database = f"sqlite:///{tmp_path / 'commentdesk.db'}"

    def worker(requests: int, mode: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_WORKER, database, str(requests), mode],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    worker(2, "quiet")
    output = worker(3, "scrape")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(output)
        for s in family.samples
    }
    name = "commentdesk_http_requests_total"
    assert sample(samples, name, endpoint="ops.healthz", method="GET", status="200") == 5
    assert sample(samples, "commentdesk_comments", status="pending") == 0


# -- logs -----------------------------------------------------------------------------------


def test_each_request_logs_one_json_line_with_a_generated_request_id(client, caplog):
    caplog.set_level(logging.INFO, logger="commentdesk")
    response = client.get("/api/v1/articles/posts/one/comments")
    lines = access_lines(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/articles/<article:article>/comments"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0


def test_a_sane_request_id_is_kept_and_echoed(client, caplog):
    caplog.set_level(logging.INFO, logger="commentdesk")
    response = client.get("/healthz", headers={"X-Request-ID": "edge-42.abc_DEF"})
    assert response.headers["X-Request-ID"] == "edge-42.abc_DEF"
    assert access_lines(caplog)[0]["request_id"] == "edge-42.abc_DEF"


@pytest.mark.parametrize(
    "given",
    ["x" * 65, "abc\r\nSet-Cookie: evil=1", "has space", 'quote"d', "semi;colon", ""],
)
def test_a_malicious_request_id_is_replaced(client, caplog, given):
    caplog.set_level(logging.INFO, logger="commentdesk")
    environ = {"HTTP_X_REQUEST_ID": given}
    response = client.get("/healthz", environ_base=environ)
    echoed = response.headers["X-Request-ID"]
    assert echoed != given
    assert len(echoed) == 32
    assert echoed.isalnum()
    assert access_lines(caplog)[0]["request_id"] == echoed


def test_the_access_log_hashes_the_client_address(client, caplog):
    caplog.set_level(logging.INFO, logger="commentdesk")
    private_submission(client)
    line = access_lines(caplog)[0]
    assert line["status"] == 201
    assert len(line["client"]) == 12
    assert CLIENT_IP not in json.dumps(line)


def test_text_log_format_is_one_readable_line(make_app, caplog):
    app = make_app(LOG_FORMAT="text")
    caplog.set_level(logging.INFO, logger="commentdesk")
    app.test_client().get("/healthz")
    [record] = [r for r in caplog.records if r.name == "commentdesk.access"]
    message = record.getMessage()
    assert message.startswith("GET /healthz 200 ")
    assert "\n" not in message


def test_log_format_comes_from_the_environment_and_is_checked():
    assert config.settings_from_environment({"LOG_FORMAT": " Text "})["LOG_FORMAT"] == "text"
    assert config.Defaults.LOG_FORMAT == "json"
    with pytest.raises(config.ConfigError, match="LOG_FORMAT"):
        config.settings_from_environment({"LOG_FORMAT": "xml"})


def test_other_records_stay_one_json_object_a_line():
    record = logging.LogRecord(
        "commentdesk.errors", logging.WARNING, __file__, 1, "database %s", ("down",), None
    )
    line = json.loads(observability._Formatter("json").format(record))
    assert line["message"] == "database down"
    assert line["level"] == "warning"


def test_a_moderation_decision_logs_one_audit_line(client, moderator_headers, caplog):
    first = submit(client, body="one").get_json()["id"]
    second = submit(client, body="two").get_json()["id"]
    caplog.set_level(logging.INFO, logger="commentdesk")
    approve(client, moderator_headers, first)
    bulk = client.post(
        "/api/v1/moderation/actions",
        json={"action": "spam", "ids": [first, second, 999]},
        headers=moderator_headers,
    )
    assert bulk.status_code == 200
    audit = [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "commentdesk.audit"
    ]
    assert [(a["action"], a["count"], a["moderator"]) for a in audit] == [
        ("approve", 1, "mia"),
        ("spam", 2, "mia"),
    ]
    assert all(a["batch"] and a["request_id"] for a in audit)
    assert_nothing_private(json.dumps(audit))


# -- the database going away ----------------------------------------------------------------


def test_database_down_is_a_quick_503_with_retry_after(make_app, database_url, tmp_path):
    make_app()
    down = make_app(SQLALCHEMY_DATABASE_URI=unreachable_database_url(database_url, tmp_path))
    client = down.test_client()
    for request in (
        lambda: client.get("/api/v1/articles/posts/one/comments"),
        lambda: submit(client),
        lambda: client.get("/api/v1/counts?article=posts/one"),
    ):
        started = time.monotonic()
        response = request()
        # A refused connection is known at once; nothing waits for a timeout.
        assert time.monotonic() - started < 1
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.get_json()["error"]["code"] == "database_unavailable"
        assert response.get_json()["error"]["message"]


def test_a_database_that_stops_answering_is_a_503_within_the_connect_timeout(
    make_app, database_url
):
    if database_url.startswith("sqlite"):
        pytest.skip("a SQLite file cannot hang; PostgreSQL only")
    make_app()
    forwarder = Forwarder.to_database(database_url)
    forwarder.start()
    forwarder.pause()  # connections are accepted, and then nothing comes back
    try:
        client = make_app(
            SQLALCHEMY_DATABASE_URI=forwarder.database_url(database_url)
        ).test_client()
        started = time.monotonic()
        response = submit(client)
        waited = time.monotonic() - started
    finally:
        forwarder.resume()
        forwarder.stop()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    # connect_timeout is 2 s, libpq's shortest; a hung database does not hang the worker.
    assert 1.5 < waited < 4


def test_the_service_recovers_by_itself_when_postgresql_returns(make_app, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("a SQLite file cannot go away and come back; PostgreSQL only")
    make_app()
    forwarder = Forwarder.to_database(database_url)
    proxied = forwarder.database_url(database_url)
    forwarder.start()
    try:
        app = make_app(SQLALCHEMY_DATABASE_URI=proxied)
        client = app.test_client()
        feed = "/api/v1/articles/posts/one/comments"
        assert client.get(feed).status_code == 200
        assert client.get("/readyz").status_code == 200

        forwarder.stop()
        # Another article: one this worker has not cached, so the database is asked.
        down = client.get("/api/v1/articles/posts/two/comments")
        assert down.status_code == 503
        assert down.get_json()["error"]["code"] == "database_unavailable"
        assert submit(client).status_code == 503
        assert client.get("/readyz").get_json() == {"database": "unreachable"}

        forwarder.start()
        assert client.get("/api/v1/articles/posts/three/comments").status_code == 200
        assert submit(client).status_code == 201
        assert client.get("/readyz").status_code == 200
    finally:
        forwarder.stop()


# -- start-up -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [
        ["--workers", "1", "wsgi:app"],
        # As the container runs it: several workers, and the config file checks the settings
        # once in the master before any worker boots.
        ["--config", "gunicorn.conf.py", "--workers", "3", "wsgi:app"],
    ],
    ids=["plain", "config-file"],
)
def test_gunicorn_without_secret_key_exits_with_one_line_and_no_traceback(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "EMAIL_KEY"}}
    env |= {
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/unused",
        "INSTANCE_PATH": str(tmp_path),
        "BIND": "127.0.0.1:0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    [line] = [x for x in done.stderr.splitlines() if "SECRET_KEY" in x]
    assert line.startswith("commentdesk: SECRET_KEY is not set.")


def test_an_app_can_be_built_on_any_database_url(tmp_path):
    # Building the app never connects: only requests do (so probes can report the outage).
    from service import create_app

    app = create_app(base_config("postgresql+psycopg://postgres@127.0.0.1:1/test"))
    assert isinstance(app, Flask)
