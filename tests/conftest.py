"""Fixtures: an app on a fresh database per test, on SQLite always and on PostgreSQL when
TEST_DATABASE_URL is set (those runs skip with a reason otherwise)."""

from __future__ import annotations

import gc
import ipaddress
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from pytest_socket import SocketConnectBlockedError
from sqlalchemy import Connection, create_engine, make_url, text

from service import create_app
from service.extensions import db
from service.models import insert_default_site
from service.moderation import accounts
from service.screening import traps


def _this_workers_database(url: str | None) -> str | None:
    """TEST_DATABASE_URL itself, or under pytest-xdist a database of this worker's own beside
    it (test_gw0, test_gw1, ...), made when missing: the per-test schema is emptied and
    refilled by one process at a time."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    name = f"{make_url(url).database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = _this_workers_database(os.environ.get("TEST_DATABASE_URL"))
_postgres_schema_ready = False
# The SQL that empties the PostgreSQL schema between tests, made once (_fresh_schema).
_postgres_emptying: str | None = None


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported (the service, NumPy, SciPy, scikit-learn, Hypothesis,
    Playwright: hundreds of thousands of objects) lives until the session ends, yet the cyclic
    garbage collector walked all of it on every full collection, some 12% of the run's time:
    frozen out of its sight. Young collections run every 50,000 allocations instead of 700:
    a test's app, built and dropped, is mostly gone by then, so less of it is promoted and
    walked again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def base_config(database_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hkdf",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MODERATION": "pre",
        "ALLOWED_ORIGINS": ("https://blog.example.com",),
        # Cheap hashing: the suite creates hundreds of moderators; production uses scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Most tests post many comments from one client at once; the abuse checks that
        # would stop that are switched on by the tests about them.
        "RATELIMIT_ENABLED": False,
        "SURGE_SUBMISSIONS": 0,
        "SURGE_SPAM": 0,
    }


LOCAL_NAMES = ("127.0.0.1", "::1", "localhost")
_real_getaddrinfo = socket.getaddrinfo
_real_sendto = socket.socket.sendto


def _names_this_machine(host: Any) -> bool:
    """An address that needs no DNS: none (a bind), localhost, or an IP literal (pytest-socket
    then refuses a connect beyond loopback)."""
    if host in (None, "", b""):
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower().rstrip(".") in ("localhost", "localhost.localdomain"):
        return True
    try:
        ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return True


def _local_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _names_this_machine(host):
        raise SocketConnectBlockedError(list(LOCAL_NAMES), str(host))
    return _real_getaddrinfo(host, *args, **kwargs)


def _local_sendto(sock: socket.socket, data: Any, *args: Any) -> int:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host, port = args[-1][0], args[-1][1]
        # Port 53 even on loopback: a resolver stub there (127.0.0.53) asks the internet.
        if port == 53 or not ipaddress.ip_address(host.split("%")[0]).is_loopback:
            raise SocketConnectBlockedError(list(LOCAL_NAMES), host)
    return int(_real_sendto(sock, data, *args))


@pytest.fixture(autouse=True)
def no_dns_beyond_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest-socket's --allow-hosts (pyproject.toml) refuses TCP connects beyond loopback; a
    DNS lookup goes out other ways: libc behind getaddrinfo, or a resolver's own datagrams
    (dnspython's sendto, as email-validator's deliverability check uses). Names beyond this
    machine, datagrams beyond loopback and datagrams to port 53 are refused too."""
    monkeypatch.setattr(socket, "getaddrinfo", _local_getaddrinfo)
    monkeypatch.setattr(socket.socket, "sendto", _local_sendto)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'commentdesk.db'}"
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set; PostgreSQL runs are skipped")
    return POSTGRES_URL


@contextmanager
def scratch_postgres_database() -> Iterator[str]:
    """A brand-new, empty PostgreSQL database (for migrations and for servers in other
    processes, which must not share the per-test schema), dropped afterwards."""
    assert POSTGRES_URL
    name = f"commentdesk_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set; PostgreSQL runs are skipped")
    with scratch_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database of each kind, for tests that build the schema themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set; PostgreSQL runs are skipped")
    with scratch_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the empty schema (and the default site's row), made once per session
    by create_all; each test starts from a copy, which takes a millisecond where create_all
    took ~25 ms. A bare engine, not an app: building one would bind the process-wide
    extensions (the limiter, its settings) to it."""
    path = tmp_path_factory.mktemp("schema") / "commentdesk.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        # As the service leaves a file (kept in the file's header): a test that locks the
        # database before the app first connects still meets a WAL database.
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    db.metadata.create_all(engine)  # the default site's row comes with its table
    engine.dispose()
    return path


def _fresh_schema(database_url: str, sqlite_schema: Path) -> None:
    # bind_key=None: a read replica's bind (DATABASE_REPLICA_URL) mirrors the primary's
    # schema; it is never created or dropped by the tests.
    global _postgres_schema_ready, _postgres_emptying
    if database_url.startswith("sqlite"):
        target = db.engine.url.database
        if target and target != ":memory:" and not Path(target).exists():
            # No connection has opened the file yet: a copy of the schema becomes it.
            shutil.copyfile(sqlite_schema, target)
        else:
            db.create_all(bind_key=None)
    else:
        if not _postgres_schema_ready:
            db.drop_all(bind_key=None)
            db.create_all(bind_key=None)
            _postgres_schema_ready = True
        with db.engine.begin() as connection:
            if _postgres_emptying is None:
                _postgres_emptying = _emptying_statements(connection)
            connection.exec_driver_sql(_postgres_emptying)
            # The default site's row went with the rest, which create_all made.
            insert_default_site(connection)


def _emptying_statements(connection: Connection) -> str:
    """Every table emptied and every id sequence restarted, as TRUNCATE ... RESTART IDENTITY
    does, in one round trip. DELETE, children first: on tables of a few rows it takes
    milliseconds where TRUNCATE, which makes new files for every table, took ~50 ms a test."""
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    sequences = connection.execute(
        text(
            "SELECT DISTINCT pg_get_serial_sequence(quote_ident(table_name), column_name) "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ANY(:tables) "
            "AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL"
        ),
        {"tables": tables},
    ).scalars()
    deletes = [f'DELETE FROM "{name}"' for name in tables]
    restarts = [f"SELECT setval('{sequence}', 1, false)" for sequence in sequences]
    return "; ".join(deletes + restarts)


@pytest.fixture
def make_app(database_url: str, sqlite_schema: Path) -> Iterator[Any]:
    """Build apps with extra settings on the test's database (several share it)."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = create_app(base_config(database_url) | overrides)
        with app.app_context():
            if not apps:
                _fresh_schema(database_url, sqlite_schema)
        apps.append(app)
        return app

    yield build
    dispose(apps)


def dispose(apps: list[Flask]) -> None:
    """Close every database connection the apps hold (PostgreSQL allows only so many)."""
    for app in apps:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def moderator_headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")
        token = accounts.create_api_token("mia", "tests")
    return {"Authorization": f"Bearer {token}"}


VALID = {"name": "Ada Lovelace", "email": "ada@example.org", "body": "First!"}


def form_token(app: Flask, seconds_ago: float = 60) -> str:
    """A valid form token, as if the widget had shown its form `seconds_ago` seconds ago."""
    with app.app_context():
        return traps.form_token_shown_at(time.time() - seconds_ago)


def submit(client: FlaskClient, article: str = "posts/hello", **fields: Any) -> Any:
    """Post as the widget does: with a form token from a form shown a minute ago."""
    token = {"form_token": form_token(client.application)}
    return client.post(f"/api/v1/articles/{article}/comments", json=VALID | token | fields)


def approve(client: FlaskClient, headers: dict[str, str], comment_id: int) -> Any:
    response = client.post(f"/api/v1/moderation/comments/{comment_id}/approve", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response


def run_cli(app: Flask, *args: str, **options: Any) -> Any:
    """Run one `flask` command against the app, as an operator would."""
    return app.test_cli_runner().invoke(args=list(args), **options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """What a local SMTP server (aiosmtpd) received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()
