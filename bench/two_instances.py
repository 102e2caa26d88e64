"""Scale-out load: two service instances (gunicorn, the repository's config) on one fresh
PostgreSQL database, sharing rate limits in Redis, loaded at the same time by one wrk each.

    python bench/two_instances.py [--duration 10] [--connections 8] [--workers 2]

Needs PostgreSQL (TEST_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test,
used only to create and drop a scratch database) and Redis at 127.0.0.1:6379. Prints
requests/s and latency for the public feed and for submissions on each instance, and every
response status: the run is only good if there is no error and no 5xx.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

import servers
import wrk_runner
from sqlalchemy import create_engine, make_url, text

REPO_ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "lua"
ARTICLE = "bench/scale-out"
FEED_PATH = f"/api/v1/articles/{ARTICLE}/comments"
SUBMIT_PATH = "/api/v1/articles/bench/scale-out-submit/comments"


def scratch_database(admin_url: str) -> tuple[str, str]:
    name = f"commentdesk_scale_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def post(url: str, comment: dict[str, str], client_ip: str) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(comment).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": client_ip},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def seed(base_url: str) -> None:
    """20 published comments, through the API like any reader's (MODERATION=off)."""
    for n in range(20):
        comment = {
            "name": f"Reader {n}",
            "email": f"reader{n}-{secrets.token_hex(3)}@example.org",
            "body": f"Comment number {n} on the scale-out article, with *some* Markdown.",
        }
        status = post(base_url + FEED_PATH, comment, f"198.18.0.{n + 1}")
        if status != 201:
            raise SystemExit(f"seeding failed: {status}")


def load_both(
    instances: list[servers.Server],
    path: str,
    script: Path,
    load: wrk_runner.LoadSettings,
) -> list[wrk_runner.WrkResult]:
    """One wrk per instance, started together, so both carry load at once."""
    results: list[wrk_runner.WrkResult | None] = [None] * len(instances)

    def run(index: int) -> None:
        results[index] = wrk_runner.run(instances[index].base_url + path, load, script)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(instances))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if any(result is None for result in results):
        raise SystemExit("a wrk run failed")
    return [result for result in results if result is not None]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    admin_url = os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    load = wrk_runner.LoadSettings(args.duration, args.connections, args.threads, timeout_s=5)
    name, database_url = scratch_database(admin_url)
    workdir = Path(tempfile.mkdtemp(prefix="commentdesk-scale-"))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "MODERATION": "off",
        # The load posts plain JSON, as a site's own backend would: no form token.
        "FORM_TOKEN_REQUIRED": "false",
        "TRUSTED_PROXIES": "1",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "RATELIMIT_KEY_PREFIX": f"bench-{secrets.token_hex(4)}",
        "SUBMIT_RATE_LIMIT": "1000000 per minute",
        "SURGE_SUBMISSIONS": "0",
        "SURGE_SPAM": "0",
        "LOG_FORMAT": "text",
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=REPO_ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        one, two = (servers.ServerSpec(f"instance-{n}", "wsgi:app", "/healthz") for n in (1, 2))
        with (
            servers.serve(one, env, args.workers, workdir) as first,
            servers.serve(two, env, args.workers, workdir) as second,
        ):
            seed(first.base_url)
            statuses = wrk_runner.compose_script(workdir, "feed", None)
            submit = wrk_runner.compose_script(workdir, "submit", LUA / "submit.lua")
            report = {
                "feed": load_both([first, second], FEED_PATH, statuses, load),
                "submit": load_both([first, second], SUBMIT_PATH, submit, load),
            }
    finally:
        drop_database(admin_url, name)
    bad = 0
    print(f"{'scenario':10} {'instance':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for scenario, results in report.items():
        for index, result in enumerate(results, start=1):
            errors = sum(result.socket_errors.values())
            bad += errors + sum(n for status, n in result.statuses.items() if status >= 500)
            print(
                f"{scenario:10} {index:>8} {result.requests_per_s:>8,.0f} {result.p50_ms:>8.2f}"
                f" {result.p99_ms:>8.2f}  {result.statuses} socket errors {errors}"
            )
    print("OK: no errors, no 5xx" if not bad else f"FAILED: {bad} errors or 5xx responses")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
