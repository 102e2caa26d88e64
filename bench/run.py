"""Load benchmark: commentdesk under gunicorn on SQLite, measured with wrk against a ceiling.

    python bench/run.py [--duration 10] [--connections 16] [--threads 2] [--workers 4]

Seeds a fresh SQLite database (see seed.py), then for each server in turn (the bare Flask
ceiling first, then the service) starts gunicorn on 127.0.0.1, checks each scenario answers
as expected, warms it up, measures it with wrk, and stops gunicorn. Prints a table of
requests/s and p50/p99 latency, each compared with the ceiling, then the targets, and writes
everything to bench/results/latest.json.

To add a measurement, add a Scenario to SCENARIOS (and, if it needs the app configured
differently, a ServerSpec to SERVERS); to track a goal, add a Target to TARGETS.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import servers
import wrk_runner
from servers import REPO_ROOT, ServerSpec
from wrk_runner import LoadSettings, WrkResult

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_FILE = BENCH_DIR / "results" / "latest.json"
SEED_TIMEOUT_S = 300
HTTP_TIMEOUT_S = 10

SMALL_FEED = "/api/v1/articles/bench/small/comments"
LARGE_FEED = "/api/v1/articles/bench/large/comments"
SUBMIT_PATH = "/api/v1/articles/bench-submit/comments"
# The small article on three sites (seed.py: the default site and its OTHER_SITES), by the
# site paths: the same load as feed-20, spread over three sites' threads.
THREE_SITE_FEEDS = [
    f"/api/v1/sites/{site}/articles/bench/small/comments" for site in ("default", "north", "south")
]

# Read by the service outside service.ops.config.ENVIRONMENT, or by gunicorn.
OTHER_SERVICE_VARIABLES = {"INSTANCE_PATH", "BIND", "GUNICORN_CMD_ARGS"}


class BenchError(RuntimeError):
    """A scenario did not answer the way it must for its numbers to mean anything."""


# --- Talking to a server once, outside wrk -------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(
    url: str, method: str = "GET", headers: Mapping[str, str] | None = None, body: Any = None
) -> Reply:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:  # 3xx and 4xx/5xx alike
        return Reply(error.code, dict(error.headers), error.read())


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


# --- Preparing a scenario: check it answers as it must, then say how wrk should load it ---


@dataclass(frozen=True)
class Context:
    base_url: str
    # seed.py's report.
    seeded: Mapping[str, Any]
    workdir: Path


@dataclass(frozen=True)
class LoadPlan:
    # Sent with every request (wrk --header).
    headers: dict[str, str] = field(default_factory=dict)
    # Lua run before the scenario's script: data it needs, as globals.
    lua: str = ""


Prepare = Callable[[Context], LoadPlan]


def expect_constant(path: str) -> Prepare:
    def prepare(ctx: Context) -> LoadPlan:
        reply = fetch(ctx.base_url + path)
        expect(reply.status == 200 and reply.json() == {"ok": True}, f"{path}: {reply}")
        return LoadPlan()

    return prepare


def check_feed(url: str, count: int, comments: int) -> None:
    """The feed answers 200 for the seeded article, with its count and a full page."""
    reply = fetch(url)
    expect(reply.status == 200, f"{url} answered {reply.status}: {reply.body[:300]!r}")
    page = reply.json()
    expect(
        page["count"] == count and len(page["comments"]) == comments,
        f"{url}: count {page['count']} and {len(page['comments'])} comments on the page; "
        f"expected {count} and {comments}",
    )


def expect_feed(path: str, count: int, comments: int) -> Prepare:
    def prepare(ctx: Context) -> LoadPlan:
        check_feed(ctx.base_url + path, count, comments)
        return LoadPlan()

    return prepare


def random_pages(path: str, count: int, comments: int) -> Prepare:
    """Each request asks for the page after a random one of the article's comments (cursors
    from seed.py), so it is rarely one the service has answered before."""

    def prepare(ctx: Context) -> LoadPlan:
        cursors_file = Path(ctx.seeded["large_cursors_file"])
        cursors = cursors_file.read_text().split()
        check_feed(f"{ctx.base_url}{path}?cursor={cursors[0]}", count, comments)
        paths_file = ctx.workdir / "random-pages.txt"
        paths_file.write_text("".join(f"{path}?cursor={cursor}\n" for cursor in cursors))
        return LoadPlan(lua=f"paths_file = {json.dumps(str(paths_file))}\n")

    return prepare


def spread_over(paths: list[str], count: int, comments: int) -> Prepare:
    """Each request asks for one of `paths` at random (random_path.lua), each checked once."""

    def prepare(ctx: Context) -> LoadPlan:
        for path in paths:
            check_feed(ctx.base_url + path, count, comments)
        paths_file = ctx.workdir / f"spread-{len(paths)}.txt"
        paths_file.write_text("".join(f"{path}\n" for path in paths))
        return LoadPlan(lua=f"paths_file = {json.dumps(str(paths_file))}\n")

    return prepare


def revalidation(path: str) -> Prepare:
    """wrk sends the feed's current ETag back in If-None-Match; the feed must answer 304."""

    def prepare(ctx: Context) -> LoadPlan:
        etag = fetch(ctx.base_url + path).headers.get("ETag")
        expect(bool(etag), f"{path} sent no ETag")
        headers = {"If-None-Match": str(etag)}
        reply = fetch(ctx.base_url + path, headers=headers)
        expect(reply.status == 304, f"{path} with If-None-Match answered {reply.status}")
        return LoadPlan(headers=headers)

    return prepare


def expect_submission(path: str) -> Prepare:
    """Two comments from two forwarded client IPs are both created: the service takes the
    client IP from X-Forwarded-For, as submit.lua needs (else the flood check refuses)."""

    def prepare(ctx: Context) -> LoadPlan:
        # Random documentation-range addresses: an earlier run's probe may still count
        # against the flood check.
        for _ in range(2):
            client_ip = f"198.51.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
            tag = secrets.token_hex(8)
            comment = {"name": "Probe", "email": f"probe-{tag}@example.org", "body": f"Probe {tag}"}
            reply = fetch(
                ctx.base_url + path,
                method="POST",
                headers={"X-Forwarded-For": client_ip},
                body=comment,
            )
            expect(
                reply.status == 201,
                f"POST {path} from {client_ip} answered {reply.status}: {reply.body[:300]!r}",
            )
        return LoadPlan()

    return prepare


# --- What is measured ----------------------------------------------------------------------


SERVICE_READY = "/api/v1/counts?article=x"

# Word and domain lists of a realistic size, and a link limit: every check on a submission's
# text has work to do (bench/submissions.py uses them too).
REALISTIC_LISTS = {
    "LINK_LIMIT": "2",
    "HOLD_WORDS": ",".join(f"held{n}" for n in range(50)) + ",casino,viagra,crypto",
    "DENY_WORDS": ",".join(f"denied{n}" for n in range(25)),
    "DENY_DOMAINS": ",".join(f"spam{n}.example" for n in range(25)),
}

SERVERS = [
    ServerSpec(name="bare", app="bench.bare_app:app", ready_path="/"),
    ServerSpec(name="service", app="wsgi:app", ready_path=SERVICE_READY, env={"MODERATION": "pre"}),
    # The same service under gunicorn's gthread worker, the other candidate for the default
    # worker class (gunicorn.conf.py picks sync by these numbers).
    ServerSpec(
        name="service-gthread",
        app="wsgi:app",
        ready_path=SERVICE_READY,
        env={"MODERATION": "pre", "GUNICORN_WORKER_CLASS": "gthread"},
    ),
    # As behind one reverse proxy: submit.lua gives each comment a client IP of its own in
    # X-Forwarded-For, so the per-client limits (SUBMIT_RATE_LIMIT, FLOOD_SECONDS) see many
    # readers rather than wrk's one address, and every check of a submission runs.
    ServerSpec(
        name="checks-off",
        app="wsgi:app",
        ready_path=SERVICE_READY,
        env={
            "MODERATION": "off",
            "TRUSTED_PROXIES": "1",
            "RATELIMIT_ENABLED": "false",
            "SURGE_SUBMISSIONS": "0",
            "SURGE_SPAM": "0",
            "CLASSIFIER_ENABLED": "false",
        },
    ),
    # Every check runs and none refuses: limits high enough for wrk, word and domain lists
    # of a realistic size, the seeded classifier model, trusted mode's history lookup.
    ServerSpec(
        name="checks-on",
        app="wsgi:app",
        ready_path=SERVICE_READY,
        env={
            "MODERATION": "trusted",
            "TRUSTED_PROXIES": "1",
            "SUBMIT_RATE_LIMIT": "1000000 per minute",
            "FLOOD_SECONDS": "15",
            "SURGE_SUBMISSIONS": "1000000",
            "SURGE_SPAM": "1000000",
            **REALISTIC_LISTS,
        },
    ),
]


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    # A ServerSpec name.
    server: str
    path: str
    # Every response must have this status; any other is counted as unexpected.
    expected_status: int
    prepare: Prepare
    # For the report; wrk sends a plain GET unless `script` builds the request.
    method: str = "GET"
    # A file in bench/lua defining request() (and maybe init()).
    script: str | None = None


CEILING = "ceiling"
SMALL = "feed-20"

SCENARIOS = [
    Scenario(CEILING, "bare Flask constant (ceiling)", "bare", "/", 200, expect_constant("/")),
    Scenario(
        SMALL, "feed, 20 comments", "service", SMALL_FEED, 200, expect_feed(SMALL_FEED, 20, 20)
    ),
    Scenario(
        "feed-10k-page1",
        "feed, 10,000 comments, first page",
        "service",
        LARGE_FEED,
        200,
        expect_feed(LARGE_FEED, 10_000, 50),
    ),
    # Not a target: the same 20 rows as feed-20, from the 10,000-comment article. It tells
    # the cost of the thread's size apart from the cost of the page's size.
    Scenario(
        "feed-10k-page1-limit20",
        "feed, 10,000 comments, first 20",
        "service",
        LARGE_FEED + "?limit=20",
        200,
        expect_feed(LARGE_FEED + "?limit=20", 10_000, 20),
    ),
    # Not a target either: with rendered pages kept per worker, the scenarios above mostly
    # measure the cache. Here nearly every request reads and renders a page.
    Scenario(
        "feed-10k-random-page",
        "feed, 10,000 comments, a random page",
        "service",
        LARGE_FEED,
        200,
        random_pages(LARGE_FEED, 10_000, 50),
        script="random_path.lua",
    ),
    Scenario(
        "revalidate-304",
        "feed, 20 comments, If-None-Match",
        "service",
        SMALL_FEED,
        304,
        revalidation(SMALL_FEED),
    ),
    # Sites: the same feed load on one site (today's path) and spread over three sites (their
    # site paths), with the same wrk script, so that the two differ only by the sites.
    Scenario(
        "feed-20-one-site",
        "feed, 20 comments, one site",
        "service",
        SMALL_FEED,
        200,
        spread_over([SMALL_FEED], 20, 20),
        script="random_path.lua",
    ),
    Scenario(
        "feed-20-three-sites",
        "feed, 20 comments, three sites",
        "service",
        THREE_SITE_FEEDS[0],
        200,
        spread_over(THREE_SITE_FEEDS, 20, 20),
        script="random_path.lua",
    ),
    # Not targets: the worker-class comparison. A cheap answer (the cached feed) and an
    # expensive one (a page rendered per request) under gthread workers, beside the sync
    # rows above.
    Scenario(
        "feed-20-gthread",
        "feed, 20 comments, gthread workers",
        "service-gthread",
        SMALL_FEED,
        200,
        expect_feed(SMALL_FEED, 20, 20),
    ),
    Scenario(
        "feed-10k-random-page-gthread",
        "feed, 10,000 comments, a random page, gthread workers",
        "service-gthread",
        LARGE_FEED,
        200,
        random_pages(LARGE_FEED, 10_000, 50),
        script="random_path.lua",
    ),
    # Last, on a server of its own: it writes, and nothing after it should read a database
    # it grew.
    Scenario(
        "submit-checks-off",
        "submit a comment, every check off",
        "checks-off",
        SUBMIT_PATH,
        201,
        expect_submission(SUBMIT_PATH),
        method="POST",
        script="submit.lua",
    ),
    Scenario(
        "submit",
        "submit a comment, every check on",
        "checks-on",
        SUBMIT_PATH,
        201,
        expect_submission(SUBMIT_PATH),
        method="POST",
        script="submit.lua",
    ),
]


@dataclass(frozen=True)
class Target:
    """`scenario`'s metric divided by `baseline`'s must be at least (or at most) `bound`."""

    label: str
    scenario: str
    baseline: str
    metric: Literal["requests_per_s", "p50_ms"]
    direction: Literal["at_least", "at_most"]
    bound: float


TARGETS = [
    Target(
        "feed-20 on three sites req/s >= 95% of one site",
        "feed-20-three-sites",
        "feed-20-one-site",
        "requests_per_s",
        "at_least",
        0.95,
    ),
    Target("feed-20 req/s >= 50% of ceiling", SMALL, CEILING, "requests_per_s", "at_least", 0.5),
    Target(
        "feed-10k-page1 p50 <= 1.3x feed-20 p50",
        "feed-10k-page1",
        SMALL,
        "p50_ms",
        "at_most",
        1.3,
    ),
    Target(
        "submit (all checks) p50 <= 1.5x submit-checks-off p50",
        "submit",
        "submit-checks-off",
        "p50_ms",
        "at_most",
        1.5,
    ),
    Target(
        "revalidate-304 req/s >= 80% of ceiling",
        "revalidate-304",
        CEILING,
        "requests_per_s",
        "at_least",
        0.8,
    ),
]


# --- Running -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    scenario: Scenario
    result: WrkResult

    @property
    def unexpected(self) -> int:
        return self.result.unexpected(self.scenario.expected_status)

    @property
    def socket_errors(self) -> int:
        return sum(self.result.socket_errors.values())

    @property
    def valid(self) -> bool:
        return self.result.requests > 0 and self.unexpected == 0 and self.socket_errors == 0


def service_variables() -> set[str]:
    """Every environment variable the service reads. None is inherited from the caller's
    shell (an AKISMET_API_KEY or a NOTIFY_WEBHOOK_URL there would have each submission call
    out), so a run measures the defaults plus exactly what SERVERS says."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    service_config = importlib.import_module("service.ops.config")
    return set(service_config.ENVIRONMENT) | OTHER_SERVICE_VARIABLES


def base_environment(workdir: Path) -> dict[str, str]:
    excluded = service_variables()
    env = {name: value for name, value in os.environ.items() if name not in excluded}
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        SECRET_KEY=secrets.token_urlsafe(48),
        INSTANCE_PATH=str(workdir / "instance"),
    )
    return env


def seed(env: Mapping[str, str], workdir: Path) -> dict[str, Any]:
    """Run seed.py with moderation off (so its comments are approved); its JSON report."""
    cursors_file = workdir / "large-cursors.txt"
    finished = subprocess.run(
        [sys.executable, str(BENCH_DIR / "seed.py"), "--cursors-file", str(cursors_file)],
        cwd=REPO_ROOT,
        # The seeder posts as the site's own backend would: without a form token.
        env={
            **env,
            "MODERATION": "off",
            "FORM_TOKEN_REQUIRED": "false",
            "PYTHONPATH": str(REPO_ROOT),
        },
        capture_output=True,
        text=True,
        timeout=SEED_TIMEOUT_S,
        check=False,
    )
    if finished.returncode != 0:
        raise BenchError(f"seeding failed:\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def measure(
    scenario: Scenario, server: servers.Server, ctx: Context, load: LoadSettings, warmup_s: int
) -> Measurement:
    plan = scenario.prepare(ctx)
    script_file = BENCH_DIR / "lua" / scenario.script if scenario.script else None
    script = wrk_runner.compose_script(ctx.workdir, scenario.name, script_file, plan.lua)
    url = server.base_url + scenario.path
    if warmup_s > 0:
        wrk_runner.run(url, load, script, plan.headers, duration_s=warmup_s)
    result = wrk_runner.run(url, load, script, plan.headers)
    return Measurement(scenario, result)


@dataclass
class Run:
    measurements: dict[str, Measurement] = field(default_factory=dict)
    # Scenario name: why it produced no numbers.
    failures: dict[str, str] = field(default_factory=dict)

    def keep_best(self, measured: Measurement) -> None:
        """A scenario's best round: a busy machine only ever slows a round down. A valid
        round beats an invalid one whatever its speed."""
        name = measured.scenario.name
        kept = self.measurements.get(name)
        rank = (measured.valid, measured.result.requests_per_s)
        if kept is None or rank > (kept.valid, kept.result.requests_per_s):
            self.measurements[name] = measured


def run_server(
    spec: ServerSpec,
    scenarios: list[Scenario],
    env: Mapping[str, str],
    seeded: Mapping[str, Any],
    options: argparse.Namespace,
    workdir: Path,
    run: Run,
) -> None:
    load = LoadSettings(options.duration, options.connections, options.threads, options.timeout)
    with servers.serve(spec, env, options.workers, workdir) as server:
        ctx = Context(server.base_url, seeded, workdir)
        # Rounds alternate the scenarios, so that a neighbour's burst of load lands on each.
        for round_number in range(1, options.rounds + 1):
            for scenario in scenarios:
                if scenario.name in run.failures:
                    continue
                nth = f", round {round_number}" if options.rounds > 1 else ""
                print(f"  measuring {scenario.name} ({load.duration_s}s{nth}) ...", flush=True)
                try:
                    measured = measure(scenario, server, ctx, load, options.warmup)
                except (BenchError, wrk_runner.WrkError) as error:
                    run.failures[scenario.name] = str(error)
                    continue
                run.keep_best(measured)


def run_all(
    selected: list[Scenario],
    env: Mapping[str, str],
    seeded: Mapping[str, Any],
    options: argparse.Namespace,
    workdir: Path,
) -> Run:
    """Each server in SERVERS order, alone on the machine while its scenarios run. A scenario
    that fails is reported and the others still run."""
    run = Run()
    for spec in SERVERS:
        scenarios = [s for s in selected if s.server == spec.name]
        if not scenarios:
            continue
        try:
            run_server(spec, scenarios, env, seeded, options, workdir, run)
        except servers.ServerError as error:
            for scenario in scenarios:
                run.failures.setdefault(scenario.name, str(error))
    return run


# --- Reporting -----------------------------------------------------------------------------


def ratio(value: float, baseline: float) -> float | None:
    return value / baseline if baseline else None


def target_outcome(target: Target, measurements: Mapping[str, Measurement]) -> dict[str, Any]:
    subject, baseline = measurements.get(target.scenario), measurements.get(target.baseline)
    value = None
    if subject and baseline:
        value = ratio(
            getattr(subject.result, target.metric), getattr(baseline.result, target.metric)
        )
    if value is None or subject is None or baseline is None:
        verdict = "NOT RUN"
    elif not (subject.valid and baseline.valid):
        verdict = "INVALID"  # errors or unexpected statuses: the ratio means nothing
    elif target.direction == "at_least":
        verdict = "PASS" if value >= target.bound else "MISS"
    else:
        verdict = "PASS" if value <= target.bound else "MISS"
    return {
        "target": target.label,
        "ratio": value,
        "direction": target.direction,
        "bound": target.bound,
        "verdict": verdict,
    }


def format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table_rows(measurements: Mapping[str, Measurement]) -> list[list[str]]:
    ceiling = measurements.get(CEILING)
    small = measurements.get(SMALL)
    rows = []
    for name, m in measurements.items():
        r = m.result
        rows.append(
            [
                name,
                f"{r.requests_per_s:,.0f}",
                f"{r.p50_ms:.2f}",
                f"{r.p99_ms:.2f}",
                f"{r.requests:,}",
                f"{m.unexpected:,}",
                f"{m.socket_errors:,}",
                format_ratio(ratio(r.requests_per_s, ceiling.result.requests_per_s))
                if ceiling
                else "-",
                format_ratio(ratio(r.p50_ms, small.result.p50_ms))
                if small and name != CEILING
                else "-",
            ]
        )
    return rows


HEADER = [
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "requests",
    "unexpected",
    "sock err",
    "req/s vs ceiling",
    "p50 vs feed-20",
]


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    print(line(HEADER))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def print_report(run: Run, outcomes: list[dict[str, Any]]) -> None:
    print()
    print_table(table_rows(run.measurements))
    print()
    print("unexpected: responses whose status is not the scenario's (200, 304 or 201);")
    print("sock err: wrk's connect/read/write/timeout errors. Either makes a row INVALID.")
    for name, m in run.measurements.items():
        if not m.valid:
            print(f"  {name}: statuses {m.result.statuses}, socket errors {m.result.socket_errors}")
    for name, reason in run.failures.items():
        print(f"\nFAILED {name}: {reason}")
    print()
    print("Targets (reported, not asserted):")
    for outcome in outcomes:
        sign = ">=" if outcome["direction"] == "at_least" else "<="
        print(
            f"  {outcome['verdict']:<8} {outcome['target']:<42} "
            f"ratio {format_ratio(outcome['ratio'])} (target {sign} {outcome['bound']:.2f})"
        )


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def warn_if_busy() -> float:
    """The 1-minute load average before the run; other work on the machine skews every row."""
    load = load_average()
    cpus = os.cpu_count() or 1
    if load > cpus / 2:
        print(
            f"warning: load average {load} on {cpus} CPUs before the run: something else is "
            "busy, and the numbers will be noisy (compare ratios, and rerun when it is quiet)"
        )
    return load


def machine(load_before: float) -> dict[str, Any]:
    return {
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "gunicorn": metadata.version("gunicorn"),
        "flask": metadata.version("flask"),
        "wrk": wrk_runner.version(),
    }


def write_results(report: dict[str, Any]) -> None:
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(report, indent=2) + "\n")


def report_json(
    args: argparse.Namespace,
    seeded: dict[str, Any],
    run: Run,
    outcomes: list[dict[str, Any]],
    load_before: float,
) -> dict[str, Any]:
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": vars(args),
        "machine": machine(load_before),
        "seeded": seeded,
        "scenarios": {
            name: {
                "label": m.scenario.label,
                "method": m.scenario.method,
                "path": m.scenario.path,
                "expected_status": m.scenario.expected_status,
                "unexpected": m.unexpected,
                "valid": m.valid,
                **m.result.as_json(),
            }
            for name, m in run.measurements.items()
        },
        "failures": run.failures,
        "targets": outcomes,
    }


# --- Command line --------------------------------------------------------------------------


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=positive, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=positive, default=16, help="wrk connections")
    parser.add_argument("--threads", type=positive, default=2, help="wrk threads")
    parser.add_argument("--workers", type=positive, default=4, help="gunicorn workers")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of unmeasured load before each scenario"
    )
    parser.add_argument("--timeout", type=positive, default=5, help="wrk's per-request timeout")
    parser.add_argument(
        "--rounds",
        type=positive,
        default=1,
        help="measure each scenario this many times, alternating, and keep its best round",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=[s.name for s in SCENARIOS],
        help="run only this scenario (repeatable); the ceiling always runs",
    )
    parser.add_argument(
        "--keep-workdir", action="store_true", help="keep the database and gunicorn logs"
    )
    args = parser.parse_args(argv)
    if args.threads > args.connections:
        parser.error("--threads cannot exceed --connections (each thread needs a connection)")
    return args


def selected(args: argparse.Namespace) -> list[Scenario]:
    wanted = set(args.scenario or [s.name for s in SCENARIOS]) | {CEILING}
    return [s for s in SCENARIOS if s.name in wanted]


def stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl-C does: through the finally blocks that stop gunicorn."""

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    for tool in ("wrk", "gunicorn"):
        if shutil.which(tool) is None:
            print(f"{tool} is not on PATH", file=sys.stderr)
            return 2
    workdir = Path(tempfile.mkdtemp(prefix="commentdesk-bench-"))
    began = time.monotonic()
    load_before = warn_if_busy()
    try:
        env = base_environment(workdir)
        print(f"seeding {workdir / 'bench.db'} ...", flush=True)
        seeded = seed(env, workdir)
        print(f"  seeded in {seeded['seconds']}s: {seeded['articles']}", flush=True)
        run = run_all(selected(args), env, seeded, args, workdir)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep_workdir:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    outcomes = [target_outcome(t, run.measurements) for t in TARGETS]
    print_report(run, outcomes)
    write_results(report_json(args, seeded, run, outcomes, load_before))
    print(f"\nwrote {RESULTS_FILE.relative_to(REPO_ROOT)} ({time.monotonic() - began:.0f}s run)")
    # The targets are only reported; a scenario that could not be measured is an error.
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
