"""Submissions under load, with the peer in the same run: Isso 0.14's `POST /new` against
commentdesk's submission with every check on, then the same on PostgreSQL, one instance and
two instances on one database, all into one hot article.

    python bench/submissions.py                  # ~4 min: 10 s a scenario, a 60 s burst
    python bench/submissions.py --duration 3 --burst 0 --no-postgres   # a quick check

Isso is installed from PyPI into a venv of its own (ISSO_CACHE, default
~/.cache/commentdesk-bench) the first time; no Isso code is in this repository. Both apps
run under gunicorn with the same number of workers, and wrk loads both with the same
connections, threads and duration. commentdesk's side has every check on: the TubeSpam-
trained classifier, 10,000 bans, hold/deny word and domain lists, a link limit, duplicate
detection, surge detection and pre-moderation; the per-IP rate limit and flood control are
off, since they would refuse one load generator (as Isso's guard is off). Everything runs on
127.0.0.1, in a temporary folder removed afterwards. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import servers
import wrk_runner
from run import REALISTIC_LISTS, base_environment
from seed_submissions import HOT_ARTICLE
from servers import REPO_ROOT, ServerSpec
from sqlalchemy import create_engine, make_url, text
from wrk_runner import LoadSettings, WrkResult

BENCH_DIR = Path(__file__).resolve().parent
ISSO_VERSION = "0.14.0"
ISSO_CACHE = Path(os.environ.get("ISSO_CACHE", Path.home() / ".cache" / "commentdesk-bench"))
SUBMIT_PATH = f"/api/v1/articles/{HOT_ARTICLE}/comments"
ISSO_THREAD = "/bench/hot-story"
READY_PATH = "/api/v1/counts?article=x"
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BULK_APPROVE = 500

# Every check on and none refusing wrk's one client (see the module docstring).
CHECKS_ON = {
    "MODERATION": "pre",
    "TRUSTED_PROXIES": "1",
    "RATELIMIT_ENABLED": "false",
    "FLOOD_SECONDS": "0",
    # Surge detection at its defaults (30 submissions or 10 spam in 10 minutes): the hot
    # article switches to pre-moderation within its first submissions, as in a real surge.
    **REALISTIC_LISTS,
}


@dataclass(frozen=True)
class Target:
    label: str
    value: float
    bound: float
    at_most: bool = False

    @property
    def met(self) -> bool:
        return self.value <= self.bound if self.at_most else self.value >= self.bound


def ensure_isso() -> Path:
    """The venv's bin folder, with Isso and gunicorn installed from PyPI."""
    venv = ISSO_CACHE / f"isso-{ISSO_VERSION}"
    gunicorn = venv / "bin" / "gunicorn"
    if not gunicorn.exists():
        print(f"installing Isso {ISSO_VERSION} from PyPI into {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"isso=={ISSO_VERSION}", "gunicorn"],
            check=True,
            timeout=600,
        )
    return venv / "bin"


@contextmanager
def serve_isso(workdir: Path, workers: int) -> Iterator[tuple[str, int]]:
    """Isso under its own gunicorn (moderation and the guard, its rate limits, off): its URL
    and the gunicorn master's pid."""
    bin_dir = ensure_isso()
    port = servers.free_port()
    base_url = f"http://{servers.HOST}:{port}"
    settings = workdir / "isso.cfg"
    # `host` is Isso itself, so its start-up reachability check stays on this machine.
    settings.write_text(
        "[general]\n"
        f"dbpath = {workdir / 'isso.db'}\n"
        f"host = {base_url}/\n"
        "[moderation]\nenabled = false\n"
        "[guard]\nenabled = false\n"
    )
    log = workdir / "isso.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                str(bin_dir / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"{servers.HOST}:{port}",
                "isso.run:application",
            ],
            # Not the repository: gunicorn would read its gunicorn.conf.py from there.
            cwd=workdir,
            env={**os.environ, "ISSO_SETTINGS": str(settings)},
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    spec = ServerSpec(name="isso", app="isso.run:application", ready_path="/info")
    server = servers.Server(spec, base_url, process, log)
    try:
        servers.wait_until_ready(server)
        yield base_url, process.pid
    finally:
        servers.stop(server)


def post_json(url: str, body: dict[str, object], headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def server_cpu_s(pid: int) -> float:
    """User and system CPU time of a gunicorn master and its workers so far, in seconds."""
    total_ticks = 0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for process in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker that exited meanwhile
            continue
        # utime and stime: fields 14 and 15 of proc(5), counted after the command's ")".
        total_ticks += int(fields[11]) + int(fields[12])
    return total_ticks / os.sysconf("SC_CLK_TCK")


def load(
    url: str, script: str, settings: LoadSettings, server_pid: int, duration_s: int | None = None
) -> WrkResult:
    composed = wrk_runner.compose_script(
        Path(tempfile.gettempdir()), f"bench-{secrets.token_hex(4)}", BENCH_DIR / "lua" / script
    )
    try:
        cpu_before = server_cpu_s(server_pid)
        result = wrk_runner.run(url, settings, composed, duration_s=duration_s)
        cpu_ms = (server_cpu_s(server_pid) - cpu_before) * 1000
        return dataclasses.replace(result, server_cpu_ms=cpu_ms / max(1, result.requests))
    finally:
        composed.unlink(missing_ok=True)


@contextmanager
def isso_thread(workdir: Path, workers: int) -> Iterator[tuple[str, int]]:
    """Isso, serving, with its hot thread seeded; the URL its load posts to, and its pid."""
    with serve_isso(workdir, workers) as (base_url, pid):
        url = f"{base_url}/new?uri={ISSO_THREAD}"
        # The thread comes into being with its first comment; a title spares Isso the fetch.
        first = {"author": "Seed", "email": "seed@example.org", "text": "First!", "title": "Hot"}
        if post_json(url, first) != 201:
            raise SystemExit("Isso did not create the seed comment")
        yield url, pid


def seed_commentdesk(env: dict[str, str]) -> dict[str, object]:
    finished = subprocess.run(
        [sys.executable, str(BENCH_DIR / "seed_submissions.py")],
        cwd=REPO_ROOT,
        env={**env, "PYTHONPATH": f"{REPO_ROOT}:{BENCH_DIR}"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if finished.returncode != 0:
        raise SystemExit(f"seeding failed:\n{finished.stderr[-3000:]}")
    report: dict[str, object] = json.loads(finished.stdout.strip().splitlines()[-1])
    if not str(report.get("classifier", "")).startswith("trained"):
        # "Every check on" includes a trained classifier: without it the run measures less.
        raise SystemExit(f"seeding: {report.get('classifier')} (set TUBESPAM_DIR)")
    return report


def first_submissions_ms(base_url: str, count: int, tag: str = "") -> list[float]:
    """Latencies of the first submissions a freshly started service answers."""
    timings = []
    for index in range(count):
        email, text = f"first{tag}{index}@example.org", f"Hello {tag}{index}"
        body = {"name": "First", "email": email, "body": text}
        began = time.perf_counter()
        status = post_json(base_url + SUBMIT_PATH, body, {"X-Forwarded-For": f"192.0.2.{index}"})
        timings.append((time.perf_counter() - began) * 1000)
        if status != 201:
            raise SystemExit(f"a first submission answered {status}")
    return timings


@dataclass(frozen=True)
class Stored:
    rows: int
    # Rows whose body another row of the article has too: each load comment is unique, so
    # any is a comment stored twice.
    duplicates: int


# The longest stored_comments waits for the count to settle.
SETTLE_S = 10


def stored_comments(database_url: str) -> Stored:
    """The hot article's comments once the server has finished what wrk left in flight: read
    until two reads half a second apart agree. Counted at once, a request still committing
    when wrk stopped landed in the next scenario's count instead (17 rows for 16 connections
    in one burst on a slow machine)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            seen, deadline = None, time.monotonic() + SETTLE_S
            while True:
                rows, distinct = connection.execute(
                    text(
                        "SELECT count(*), count(DISTINCT body) FROM comments JOIN articles "
                        "ON articles.id = comments.article_id WHERE articles.key = :key"
                    ),
                    {"key": HOT_ARTICLE},
                ).one()
                connection.rollback()
                stored = Stored(int(rows), int(rows) - int(distinct))
                if stored == seen or time.monotonic() > deadline:
                    return stored
                seen = stored
                time.sleep(0.5)
    finally:
        engine.dispose()


def stored_once(before: Stored, after: Stored, results: list[WrkResult], connections: int) -> bool:
    """Every 201 is one row, and no row is there twice. wrk stops with up to one request per
    connection in flight, and gives up on a request after its timeout: those may be stored
    without their 201 having been seen."""
    added = after.rows - before.rows
    created = sum(r.statuses.get(201, 0) for r in results)
    unseen = connections + sum(r.socket_errors.get("timeout", 0) for r in results)
    return after.duplicates == 0 and created <= added <= created + unseen


def bulk_approve_ms(base_url: str, token: str) -> float:
    """Submit BULK_APPROVE comments to a quiet article, then approve them in one request."""
    ids = []
    for index in range(BULK_APPROVE):
        body = {"name": "Queued", "email": f"queued{index}@example.org", "body": f"Queued {index}"}
        request = urllib.request.Request(
            base_url + "/api/v1/articles/bench/queue/comments",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-Forwarded-For": "192.0.2.200"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            ids.append(json.load(response)["id"])
    began = time.perf_counter()
    status = post_json(
        base_url + "/api/v1/moderation/actions",
        {"action": "approve", "ids": ids},
        {"Authorization": f"Bearer {token}"},
    )
    elapsed = (time.perf_counter() - began) * 1000
    if status != 200:
        raise SystemExit(f"the bulk approve answered {status}")
    return elapsed


def scratch_postgres() -> str | None:
    name = f"commentdesk_subbench_{secrets.token_hex(4)}"
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as error:
        print(f"PostgreSQL skipped: {error.__class__.__name__}: {error}")
        return None
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def service_spec(name: str) -> ServerSpec:
    return ServerSpec(name=name, app="wsgi:app", ready_path=READY_PATH, env=CHECKS_ON)


def sqlite_run(
    workdir: Path, workers: int, settings: LoadSettings, burst_s: int
) -> dict[str, object]:
    env = base_environment(workdir)
    seeded = seed_commentdesk(env)
    database_url = env["DATABASE_URL"]
    out: dict[str, object] = {}
    with servers.serve(service_spec("sqlite"), env, workers, workdir) as server:
        out["first_ms"] = first_submissions_ms(server.base_url, 2 * workers)
        before = stored_comments(database_url)
        result = load(server.base_url + SUBMIT_PATH, "submit.lua", settings, server.process.pid)
        out["load"] = result
        out["stored_exactly_once"] = stored_once(
            before, stored_comments(database_url), [result], settings.connections
        )
        if burst_s:
            before = stored_comments(database_url)
            burst = load(
                server.base_url + SUBMIT_PATH, "submit.lua", settings, server.process.pid, burst_s
            )
            after = stored_comments(database_url)
            out["burst"] = burst
            out["burst_stored"] = after.rows - before.rows
            out["burst_stored_once"] = stored_once(before, after, [burst], settings.connections)
        out["bulk_approve_ms"] = bulk_approve_ms(server.base_url, str(seeded["token"]))
    # The same load under gthread workers (4 threads each), the other worker class: how much
    # the repository's sync default gains or costs on this path.
    gthread = ServerSpec(
        name="sqlite-gthread",
        app="wsgi:app",
        ready_path=READY_PATH,
        env=CHECKS_ON | {"GUNICORN_WORKER_CLASS": "gthread"},
    )
    with servers.serve(gthread, env, workers, workdir) as server:
        out["load_gthread"] = load(
            server.base_url + SUBMIT_PATH, "submit.lua", settings, server.process.pid
        )
    return out


RSS_WORKERS = 5


def worker_rss_mb(server: servers.Server) -> list[float]:
    """Resident memory of each of gunicorn's workers (the master's children), in MB."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    sizes = []
    for child in children:
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def rss_run(workdir: Path) -> dict[str, list[float]]:
    """RSS of RSS_WORKERS workers without the classifier and with it (loaded at the worker's
    start, see gunicorn.conf.py), each after a few submissions have gone through them."""
    workdir.mkdir()
    env = base_environment(workdir)
    seed_commentdesk(env)
    out: dict[str, list[float]] = {}
    for label, extra in (("without model", {"CLASSIFIER_ENABLED": "false"}), ("with model", {})):
        spec = ServerSpec(
            name=f"rss-{label}", app="wsgi:app", ready_path=READY_PATH, env=CHECKS_ON | extra
        )
        with servers.serve(spec, env, RSS_WORKERS, workdir) as server:
            first_submissions_ms(server.base_url, 4 * RSS_WORKERS, tag=label.replace(" ", "-"))
            out[label] = worker_rss_mb(server)
    return out


def postgres_run(workdir: Path, workers: int, settings: LoadSettings) -> dict[str, object] | None:
    url = scratch_postgres()
    if url is None:
        return None
    try:
        env = {**base_environment(workdir), "DATABASE_URL": url}
        seed_commentdesk(env)
        out: dict[str, object] = {}
        with servers.serve(service_spec("pg-1"), env, workers, workdir) as server:
            out["one"] = load(
                server.base_url + SUBMIT_PATH, "submit.lua", settings, server.process.pid
            )
        with (
            servers.serve(service_spec("pg-a"), env, workers, workdir) as first,
            servers.serve(service_spec("pg-b"), env, workers, workdir) as second,
        ):
            before = stored_comments(url)
            results: dict[str, WrkResult] = {}
            threads = [
                threading.Thread(
                    target=lambda s=s: results.__setitem__(
                        s.spec.name,
                        load(s.base_url + SUBMIT_PATH, "submit.lua", settings, s.process.pid),
                    )
                )
                for s in (first, second)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            out["two"] = results
            out["two_stored_exactly_once"] = stored_once(
                before, stored_comments(url), list(results.values()), 2 * settings.connections
            )
        return out
    finally:
        drop_postgres(url)


def non_2xx(result: WrkResult) -> int:
    return sum(n for status, n in result.statuses.items() if not 200 <= status < 300)


def row(label: str, result: WrkResult, isso_rps: float) -> str:
    cpu_ms = result.server_cpu_ms or 0
    # Cores kept busy: fewer than the machine has beside wrk means the server waited.
    cores = result.requests_per_s * cpu_ms / 1000
    return (
        f"{label:<50} {result.requests_per_s:>8.0f} {result.p50_ms:>8.1f} {result.p99_ms:>8.1f} "
        f"{non_2xx(result):>7} {result.requests_per_s / isso_rps:>8.2f}x "
        f"{cpu_ms:>8.2f} {cores:>6.2f}"
    )


def _mbs(sizes: list[float]) -> str:
    return ", ".join(f"{size:.0f}" for size in sizes)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class Baseline:
    """Isso's figure for a comparison: the mean of its runs just before and just after, so
    a machine whose load changes during the run tilts neither side."""

    requests_per_s: float


def baseline(*runs: WrkResult) -> Baseline:
    return Baseline(sum(r.requests_per_s for r in runs) / len(runs))


def report(
    isso_runs: list[WrkResult], lite: dict[str, object], pg: dict[str, object] | None
) -> int:
    print(
        f"\n{'scenario':<50} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>7} {'vs Isso':>9}"
        f" {'CPU ms':>8} {'cores':>6}"
    )
    isso = baseline(*isso_runs[:2])
    for when, run in zip(("before", "after SQLite", "after PostgreSQL"), isso_runs, strict=False):
        print(row(f"Isso {ISSO_VERSION} POST /new (SQLite), {when}", run, isso.requests_per_s))
    print(f"Isso's figure for SQLite: {isso.requests_per_s:.0f} req/s (mean of before and after)")
    sqlite_load = lite["load"]
    assert isinstance(sqlite_load, WrkResult)
    print(row("commentdesk, every check on (SQLite)", sqlite_load, isso.requests_per_s))
    gthread_load = lite["load_gthread"]
    assert isinstance(gthread_load, WrkResult)
    print(row("commentdesk, the same, gthread workers (SQLite)", gthread_load, isso.requests_per_s))
    targets = [
        Target("SQLite: >= 3x Isso", sqlite_load.requests_per_s / isso.requests_per_s, 3.0),
        Target("SQLite: p99 <= 50 ms", sqlite_load.p99_ms, 50.0, at_most=True),
        Target("SQLite: no non-2xx", non_2xx(sqlite_load), 0, at_most=True),
        Target("SQLite: every 201 stored once", float(bool(lite["stored_exactly_once"])), 1.0),
    ]
    first_ms = lite["first_ms"]
    assert isinstance(first_ms, list)
    print(f"first submissions after start (ms): {', '.join(f'{t:.1f}' for t in first_ms)}")
    targets.append(Target("first submission < 50 ms", max(first_ms), 50.0, at_most=True))
    if "burst" in lite:
        burst = lite["burst"]
        assert isinstance(burst, WrkResult)
        print(row("burst into one article (SQLite)", burst, isso.requests_per_s))
        created = burst.statuses.get(201, 0)
        print(f"burst: {created} answered 201, {lite['burst_stored']} rows stored")
        targets.append(
            Target("burst: every 201 stored once", float(bool(lite["burst_stored_once"])), 1.0)
        )
        targets.append(
            Target("burst: no 5xx", sum(n for s, n in burst.statuses.items() if s >= 500), 0, True)
        )
    rss = lite.get("rss")
    if isinstance(rss, dict):
        without, with_model = (sorted(rss[k]) for k in ("without model", "with model"))
        print(f"RSS per worker ({RSS_WORKERS} workers), MB, without the model: {_mbs(without)}")
        print(f"RSS per worker ({RSS_WORKERS} workers), MB, model loaded: {_mbs(with_model)}")
        added = _median(with_model) - _median(without)
        print(f"the classifier adds {added:.1f} MB per worker (medians)")
        targets.append(Target("classifier adds <= 20 MB per worker", added, 20.0, at_most=True))
    bulk = lite["bulk_approve_ms"]
    assert isinstance(bulk, float)
    print(f"bulk approve of {BULK_APPROVE}: {bulk:.0f} ms")
    targets.append(Target(f"bulk approve of {BULK_APPROVE} < 300 ms", bulk, 300.0, at_most=True))
    if pg is not None:
        isso = baseline(*isso_runs[1:])
        print(f"Isso's figure for PostgreSQL: {isso.requests_per_s:.0f} req/s (mean around it)")
        one = pg["one"]
        two = pg["two"]
        assert isinstance(one, WrkResult) and isinstance(two, dict)
        print(row("commentdesk, PostgreSQL, one instance", one, isso.requests_per_s))
        for name, result in two.items():
            print(
                row(f"commentdesk, PostgreSQL, two instances: {name}", result, isso.requests_per_s)
            )
        together = sum(r.requests_per_s for r in two.values())
        print(
            f"two instances together: {together:.0f} req/s ({together / isso.requests_per_s:.2f}x)"
        )
        targets += [
            Target(
                "PostgreSQL one instance: >= 2x Isso", one.requests_per_s / isso.requests_per_s, 2.0
            ),
            Target("PostgreSQL two instances: >= 3x Isso", together / isso.requests_per_s, 3.0),
            Target("PostgreSQL one instance: p99 <= 100 ms", one.p99_ms, 100.0, at_most=True),
            Target(
                "PostgreSQL two instances: p99 <= 100 ms",
                max(r.p99_ms for r in two.values()),
                100.0,
                True,
            ),
            Target(
                "PostgreSQL: every 201 stored once", float(bool(pg["two_stored_exactly_once"])), 1.0
            ),
        ]
    print("\ntargets:")
    for target in targets:
        sign = "<=" if target.at_most else ">="
        verdict = "PASS" if target.met else "FAIL"
        print(f"  {verdict}  {target.label}: {target.value:.2f} ({sign} {target.bound:g})")
    return 0 if all(t.met for t in targets) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--burst", type=int, default=60, help="seconds of the burst (0: none)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for each app")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-rss", action="store_true", help="skip the RSS measurement")
    args = parser.parse_args()
    settings = LoadSettings(args.duration, args.connections, args.threads, timeout_s=5)
    print(
        f"{wrk_runner.version()}; {args.workers} workers, {args.connections} connections, "
        f"{args.duration} s a scenario",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="commentdesk-subbench-") as tmp:
        workdir = Path(tmp)
        # Isso stays up (idle) through the run and is measured before and after each
        # commentdesk run it is compared with.
        with isso_thread(workdir, args.workers) as (isso_url, isso_pid):
            print("measuring Isso ...", flush=True)
            isso_runs = [load(isso_url, "isso_new.lua", settings, isso_pid)]
            print("measuring commentdesk on SQLite ...", flush=True)
            lite = sqlite_run(workdir, args.workers, settings, args.burst)
            print("measuring Isso again ...", flush=True)
            isso_runs.append(load(isso_url, "isso_new.lua", settings, isso_pid))
            pg = None
            if not args.no_postgres:
                print("measuring commentdesk on PostgreSQL ...", flush=True)
                pg = postgres_run(workdir, args.workers, settings)
                print("measuring Isso again ...", flush=True)
                isso_runs.append(load(isso_url, "isso_new.lua", settings, isso_pid))
        if not args.no_rss:
            print(f"measuring RSS with {RSS_WORKERS} workers ...", flush=True)
            lite["rss"] = rss_run(workdir / "rss")
    return report(isso_runs, lite, pg)


if __name__ == "__main__":
    sys.exit(main())
