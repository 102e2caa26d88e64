"""The image as an operator runs it: the Dockerfile built by podman, then run on the host
network against this machine's PostgreSQL and Redis. Skipped, with the reason, where podman or
the python:3.11-slim base image is missing (`.ci/container-setup` provides both)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from alembic.script import ScriptDirectory
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import POSTGRES_URL, scratch_postgres_database
from tests.ops.test_deploy import REDIS_URL, SECRET, free_port, post_comment

ROOT = Path(__file__).resolve().parent.parent.parent
# runc, not crun, and cgroupfs, not systemd: what works in unprivileged CI sandboxes.
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs"]
BASE_IMAGE = "docker.io/library/python:3.11-slim"
UID = "10001"

# xdist_group: the deployment tests' worker (tests/ops/test_deploy.py), and one image build.
pytestmark = [pytest.mark.container, pytest.mark.slow, pytest.mark.xdist_group("servers")]


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*PODMAN, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check:
        assert result.returncode == 0, f"podman {args[0]}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def image() -> str:
    """The Dockerfile built once per session; its id, so that concurrent runs from other
    checkouts cannot swap a shared tag under this one."""
    if shutil.which("podman") is None or shutil.which("runc") is None:
        pytest.skip("podman and runc are not installed (.ci/container-setup installs them)")
    if podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
        pytest.skip(f"no local {BASE_IMAGE} image (.ci/container-setup makes one)")
    with tempfile.TemporaryDirectory() as folder:
        iidfile = Path(folder) / "iid"
        started = time.monotonic()
        # Docker's image format: OCI images have no HEALTHCHECK, podman would drop ours.
        podman(
            "build", "--format", "docker", "--network", "host", "--pull=never",
            "--iidfile", str(iidfile), str(ROOT),
            timeout=900,
        )  # fmt: skip
        print(f"image built in {time.monotonic() - started:.0f} s")
        return iidfile.read_text().strip()


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set; PostgreSQL runs are skipped")
    with scratch_postgres_database() as url:
        yield url


@dataclass
class Container:
    name: str
    url: str

    def exec(self, *command: str, env: dict[str, str] | None = None, check: bool = True):
        flags = [f"--env={name}={value}" for name, value in (env or {}).items()]
        return podman("exec", *flags, self.name, *command, check=check)

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def wait_until_serving(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            state = podman("inspect", "--format", "{{.State.Running}}", self.name).stdout
            if state.strip() != "true":
                pytest.fail(f"the container exited:\n{self.logs()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # migrating, or gunicorn's workers still importing the app
            time.sleep(0.5)
        pytest.fail(f"no answer from {self.url} within {seconds} s:\n{self.logs()}")


def run_container(image: str, **settings: str) -> Container:
    """The image started detached on the host network, listening where BIND says, on a port
    other than the image's default 8000 (so the HEALTHCHECK has to follow BIND)."""
    port = free_port()
    while port == 8000:
        port = free_port()
    name = f"commentdesk-test-{uuid.uuid4().hex[:10]}"
    environ = {
        "SECRET_KEY": SECRET,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "ALLOWED_ORIGINS": "https://blog.example.org",
    } | settings
    podman(
        "run", "--detach", "--name", name, "--network", "host",
        # podman schedules the periodic check through systemd, which CI sandboxes lack; the
        # tests run the check themselves.
        "--health-interval=disable",
        *(f"--env={key}={value}" for key, value in environ.items()),
        image,
    )  # fmt: skip
    container = Container(name, f"http://127.0.0.1:{port}")
    try:
        container.wait_until_serving()
    except BaseException:
        podman("rm", "--force", "--time", "0", name, check=False)
        raise
    return container


@pytest.fixture(scope="module")
def container(image: str, database_url: str, redis_url: str) -> Iterator[Container]:
    running = run_container(
        image,
        DATABASE_URL=database_url,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=f"commentdesk-image-{uuid.uuid4().hex[:8]}",
    )
    yield running
    podman("rm", "--force", "--time", "0", running.name, check=False)


def query(database_url: str, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
        return connection.execute(sql, params).fetchall()


def test_the_service_runs_as_the_unprivileged_user_with_gunicorn_as_pid_1(container):
    assert container.exec("id", "-u").stdout.strip() == UID
    status = container.exec("cat", "/proc/1/status").stdout
    (uids,) = [line.split()[1:] for line in status.splitlines() if line.startswith("Uid:")]
    assert uids == [UID] * 4  # real, effective, saved and filesystem
    # The entrypoint exec'd gunicorn, so SIGTERM from `docker stop` reaches it directly.
    command = container.exec("cat", "/proc/1/cmdline").stdout.split("\0")
    assert "/opt/venv/bin/gunicorn" in command


def test_the_entrypoint_applied_every_migration_before_serving(container, database_url):
    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    assert query(database_url, "SELECT version_num FROM alembic_version") == [(head,)]


def test_liveness_and_readiness_answer_with_postgresql_and_redis(container):
    health = requests.get(f"{container.url}/healthz", timeout=10)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = requests.get(f"{container.url}/readyz", timeout=10)
    assert (ready.status_code, ready.json()) == (200, {"database": "ok", "redis": "ok"})


def test_a_submission_is_stored_in_postgresql(container, database_url):
    comment = post_comment(container.url, "image/first", body="Sent to the container.")
    rows = query(database_url, "SELECT body, status FROM comments WHERE id = %s", comment["id"])
    assert rows == [("Sent to the container.", "pending")]


def test_the_widget_script_is_served_from_the_installed_package(container):
    response = requests.get(f"{container.url}/widget.js", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.text == (ROOT / "service" / "static" / "widget" / "widget.js").read_text()


def test_the_image_healthcheck_follows_bind(container, image):
    config = podman("image", "inspect", "--format", "{{json .Config.Healthcheck}}", image)
    command = json.loads(config.stdout)["Test"]
    assert command[0] == "CMD"
    assert not container.url.endswith(":8000")
    # podman's own run of the image's HEALTHCHECK, in the container listening on BIND's port.
    assert podman("healthcheck", "run", container.name, check=False).returncode == 0
    # The same command, told a port nothing listens on, fails: it reads BIND, not a constant.
    closed = container.exec(*command[1:], env={"BIND": f"127.0.0.1:{free_port()}"}, check=False)
    assert closed.returncode == 1, closed.stdout + closed.stderr


def test_sigterm_stops_the_container_cleanly_within_15_seconds(image):
    # Its own container on SQLite (the instance folder), so stopping it spoils no other test.
    container = run_container(image)
    try:
        started = time.monotonic()
        podman("kill", "--signal", "TERM", container.name)
        podman("wait", container.name, timeout=15)
        elapsed = time.monotonic() - started
        code = podman("inspect", "--format", "{{.State.ExitCode}}", container.name).stdout
        assert code.strip() == "0", container.logs()
        assert elapsed < 15
        assert "Shutting down: Master" in container.logs()
    finally:
        podman("rm", "--force", "--time", "0", container.name, check=False)


def locked_pins(environment: dict[str, str]) -> dict[str, str]:
    """requirements/base.txt's pins that apply to a Python with these marker values."""
    pins = {}
    for line in (ROOT / "requirements" / "base.txt").read_text().splitlines():
        if not line or line[0].isspace() or line.startswith("#"):
            continue  # hashes and `# via` comments
        requirement = Requirement(line.removesuffix("\\").strip())
        if requirement.marker is None or requirement.marker.evaluate(environment):
            (specifier,) = requirement.specifier
            assert specifier.operator == "=="
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_the_image_holds_exactly_the_locked_versions(container):
    # The lock is universal (every Python from 3.11): its markers are judged by the image's
    # own interpreter, e.g. async-timeout only below 3.11.3.
    environment = json.loads(
        container.exec(
            "python", "-c",
            "import json; from packaging.markers import default_environment as e; "
            "print(json.dumps(e()))",
        ).stdout
    )  # fmt: skip
    frozen = {}
    for line in container.exec("python", "-m", "pip", "freeze", "--all").stdout.splitlines():
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name == "pip":
            continue  # the venv's own installer, from the base image's Python; not a dependency
        if name == "commentdesk":
            assert requirement.url  # the package itself, from the build context
            continue
        (specifier,) = requirement.specifier
        frozen[name] = specifier.version
    assert frozen == locked_pins(environment)
