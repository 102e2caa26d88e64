"""Starting and stopping the apps under test: gunicorn on 127.0.0.1, one app at a time."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = REPO_ROOT / "gunicorn.conf.py"
HOST = "127.0.0.1"
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


class ServerError(RuntimeError):
    """An app under test did not start, or died."""


@dataclass(frozen=True)
class ServerSpec:
    """One app to serve. Every app gets the same gunicorn settings; only these differ."""

    name: str
    # gunicorn's APP_MODULE, importable from the repository root.
    app: str
    # Answers 200 once the app is up.
    ready_path: str
    # Added to the benchmark's base environment.
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Server:
    spec: ServerSpec
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def gunicorn_command(app: str, port: int, workers: int) -> list[str]:
    """The same settings for every app: the repository's gunicorn.conf.py, if there is one."""
    command = ["gunicorn", "--workers", str(workers), "--bind", f"{HOST}:{port}"]
    if GUNICORN_CONFIG.exists():
        command += ["--config", str(GUNICORN_CONFIG)]
    return [*command, app]


def log_tail(log: Path, lines: int = 30) -> str:
    if not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    url = server.base_url + server.spec.ready_path
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerError(f"{server.spec.name} exited on start:\n{log_tail(server.log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise ServerError(
        f"{server.spec.name} did not answer {url} in {START_TIMEOUT_S}s:\n{log_tail(server.log)}"
    )


def stop(server: Server) -> None:
    """SIGTERM to gunicorn's master, which stops its workers before it exits; if it is still
    there after STOP_TIMEOUT_S, SIGKILL to its process group (it leads a session of its own,
    so that group is exactly the master and its workers)."""
    process = server.process
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def serve(
    spec: ServerSpec, base_env: Mapping[str, str], workers: int, workdir: Path
) -> Iterator[Server]:
    """The app running under gunicorn until the block ends, however it ends."""
    port = free_port()
    log = workdir / f"gunicorn-{spec.name}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            gunicorn_command(spec.app, port, workers),
            cwd=REPO_ROOT,
            env={**base_env, **spec.env},
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(spec, f"http://{HOST}:{port}", process, log)
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop(server)
