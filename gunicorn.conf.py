"""gunicorn settings for commentdesk, read by `gunicorn --config gunicorn.conf.py` (the
container's entrypoint) and by `flask --app wsgi serve`. Every value can be overridden by
the environment variable named next to it; options on the command line win over this file
(that is how `flask serve` keeps its own `--bind`)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import sys
from typing import Any


def _workers() -> int:
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        return max(1, int(configured))
    # gunicorn's rule of thumb, capped: each sync worker holds its own caches and database
    # connections, and more than 8 rarely helps a single container.
    return min(2 * multiprocessing.cpu_count() + 1, 8)


# Inside a container the service must listen on every interface; `flask serve` passes
# --bind itself (default 127.0.0.1:8000), which takes precedence over this.
bind = os.environ.get("BIND", "").strip() or "0.0.0.0:8000"
workers = _workers()
# sync by default, chosen by measurement (2026-12-05, a quiet 2-core machine, both classes in
# the same run): the cached feed answered 7,562 req/s under 2 sync workers against 3,588
# under gthread (6,683 against 3,000 with 4 workers; bench/run.py), pages rendered per request
# 584 against 568, and submissions 638-666 against 270-542 (bench/submissions.py, three runs).
# An earlier run had gthread ahead on the cached feed (8,631 against 7,110); it did not hold.
# A sync worker serves one request at a time, so a client that sends slowly holds a whole
# worker: compose puts nginx in front, which reads each request whole (README, "Slow
# clients"). GUNICORN_WORKER_CLASS=gthread gives each worker threads instead.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "").strip() or "sync"
# gunicorn turns a sync worker with more than one thread into gthread: only gthread gets 4.
threads = int(
    os.environ.get("GUNICORN_THREADS", "").strip() or ("4" if worker_class == "gthread" else "1")
)

# Workers' heartbeat files: in memory when possible, as a container's /tmp may sit on a
# slow overlay filesystem where a stalled write gets healthy workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The service logs each request itself, as one JSON line with its request id
# (service/ops/observability.py); gunicorn's own access log would repeat every line.
accesslog = None
errorlog = "-"
# A SIGTERM lets in-flight requests finish for this long before workers are killed.
graceful_timeout = 30
timeout = 30
# Recycle workers now and then (jittered so they do not all restart at once), which bounds
# the damage of any slow leak in a dependency. Not often: a restart costs a worker about
# 0.45 s of CPU, which at 1,000 requests tripled the CPU per cached-feed request (measured
# with bench/run.py's setup: 650 µs against 200 µs); at 50,000 it adds under 10 µs.
max_requests = 50_000
max_requests_jitter = 5_000
# gunicorn 27's control socket is a Unix socket in $HOME; nothing here uses it, and in a
# container the home folder may not be writable. Older versions ignore this name.
control_socket_disable = True

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):

    def child_exit(server: Any, worker: Any) -> None:
        """Drop a dead worker's live gauges from the multiprocess metrics directory."""
        try:
            from prometheus_client import multiprocess
        except ImportError:  # metrics are optional; nothing to clean up without them
            return
        multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """Remove the metrics folder `flask serve` made for this run (and only that one)."""
    folder = os.environ.get("COMMENTDESK_OWN_METRICS_DIR")
    if folder and folder == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shutil.rmtree(folder, ignore_errors=True)


def post_worker_init(worker: Any) -> None:
    """Load the classifier model, the bans, the rules and the caches, and run the submission
    schemas and renderer once, before this worker takes a request: its first submission is
    then as fast as its hundredth (bench/submissions.py measures it). Then put all of that
    out of the garbage collector's way, and checkpoint SQLite's write-ahead log from a thread
    rather than in the commits of requests."""
    from flask import Flask

    app = worker.wsgi
    # bench/run.py starts its bare comparison app with this file too: nothing to warm there.
    if isinstance(app, Flask) and app.import_name == "service":
        from service.http.warmup import warm_worker

        warm_worker(app)
        from service.ops.database import checkpoint_in_background

        checkpoint_in_background(app)
        # What is loaded by now lives as long as the worker, yet each full collection walked
        # it all (180,000 objects): an 80 ms stop every few thousand requests, which every
        # request queued behind it waited out (submissions under load: p99 85 ms, 36 ms with
        # this). Garbage first, so none of it is kept for good.
        gc.collect()
        gc.freeze()


def on_starting(server: Any) -> None:
    """Refuse a configuration mistake with one line before any worker starts: a worker that
    fails to boot makes gunicorn print its own traceback after ours."""
    from service import create_app
    from service.ops.config import ConfigError

    try:
        create_app()
    except ConfigError as error:
        print(f"commentdesk: {error}", file=sys.stderr)
        raise SystemExit(1) from None
