"""The widget's weight and speed: widget.js raw and gzipped, and the time from the script
starting to the rendered thread of 50 comments, in headless Chromium (median of several runs).

    python bench/widget.py            # 15 cold and 15 warm page loads
    python bench/widget.py --runs 5

The service runs under gunicorn (the repository's gunicorn.conf.py, 2 workers) on a fresh
SQLite database with 50 approved comments (every fifth a reply); the article page comes from
a second server on another port, so every API call is a real cross-origin request. The
widget marks `commentdesk:start` when its file starts running and `commentdesk:rendered` when
the first page of the thread is in the DOM; the page adds `painted` at the next frame after.
"Cold" is a fresh browser profile per load (nothing cached); "warm" reloads the same tab.
Needs Chromium (/usr/bin/chromium or CHROMIUM_PATH) and Playwright for Python.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import flask_migrate
import servers
from playwright.sync_api import Page, sync_playwright
from servers import HOST, REPO_ROOT, ServerSpec

# The repository's service package, not an installed copy.
sys.path.insert(0, str(REPO_ROOT))
from service import create_app
from service.comments import submissions
from service.http.web.widget import widget_asset

ARTICLE = "bench/widget"
COMMENTS = 50
REPLY_EVERY = 5
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
TARGET_GZIP_BYTES = 12 * 1024
TARGET_RENDER_MS = 100

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Widget benchmark</title><link rel="icon" href="data:,"></head>
<body><h1>An article</h1><p>Some text.</p>
<div id="comments" data-article="{article}"></div>
<script>
document.getElementById("comments").addEventListener("commentdesk:rendered", () =>
  requestAnimationFrame(() => setTimeout(() => performance.mark("painted"))));
</script>
<script src="{api}/widget.js" async></script></body></html>"""

MEASURE = """() => {
    const mark = (name) => performance.getEntriesByName(name)[0].startTime;
    const script = performance.getEntriesByType("resource")
        .find((e) => e.name.includes("/widget.js"));
    const feed = performance.getEntriesByType("resource")
        .find((e) => e.name.includes("/comments"));
    return {
        feedStart: feed.startTime,
        feedEnd: feed.responseEnd,
        requested: script.startTime,
        start: mark("commentdesk:start"),
        rendered: mark("commentdesk:rendered"),
        painted: mark("painted"),
        comments: document.querySelector("#comments").shadowRoot
            .querySelectorAll("li.comment").length,
    };
}"""


def sizes() -> dict[str, int]:
    asset = widget_asset()
    return {"raw_bytes": len(asset.body), "gzip_bytes": len(asset.gzipped)}


def seed(database_url: str, secret: str) -> None:
    """50 approved comments through the real submission use case."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": secret,
            "MODERATION": "off",
            # Seeded through the use case, as a site's own backend would: no form token.
            "FORM_TOKEN_REQUIRED": False,
            "RATELIMIT_ENABLED": False,
            "FLOOD_SECONDS": 0,
            "SURGE_SUBMISSIONS": 0,
            "CLASSIFIER_ENABLED": False,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        last_top = None
        for n in range(COMMENTS):
            parent = last_top if n % REPLY_EVERY == REPLY_EVERY - 1 else None
            result = submissions.submit(
                submissions.NewComment(
                    article_key=ARTICLE,
                    name=f"Reader {n}",
                    email=f"reader{n}@example.org",
                    body=f"Comment {n}: a *thoughtful* paragraph, [with a link](https://example.org/{n}).",
                    website=f"https://reader{n}.example" if n % 3 == 0 else None,
                    parent_id=parent,
                ),
                submissions.ClientInfo(ip=f"192.0.2.{n % 250}", user_agent="bench"),
            )
            assert result.comment.status.value == "approved", result.comment.reasons
            if parent is None:
                last_top = result.comment.id


@contextmanager
def host_site(html: dict[str, str]) -> Iterator[str]:
    """The article page, served from another port (another origin)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html["page"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def load_times(page: Page) -> dict[str, float]:
    page.wait_for_function("performance.getEntriesByName('painted').length > 0")
    found = page.evaluate(MEASURE)
    if found["comments"] != COMMENTS:
        raise SystemExit(f"expected {COMMENTS} comments on the page, found {found['comments']}")
    return {
        "script_to_rendered_ms": found["rendered"] - found["start"],
        "request_to_rendered_ms": found["rendered"] - found["requested"],
        "script_to_painted_ms": found["painted"] - found["start"],
        "feed_request_ms": found["feedEnd"] - found["feedStart"],
        "feed_received_to_rendered_ms": found["rendered"] - found["feedEnd"],
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(run[key] for run in runs), 1) for key in runs[0]}


def measure(host: str, runs: int) -> dict[str, dict[str, float]]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            cold = []
            for _ in range(runs):
                context = browser.new_context()
                page = context.new_page()
                page.goto(host)
                cold.append(load_times(page))
                context.close()
            warm = []
            context = browser.new_context()
            page = context.new_page()
            page.goto(host)
            load_times(page)
            for _ in range(runs):
                page.reload()
                warm.append(load_times(page))
            context.close()
        finally:
            browser.close()
    return {"cold": median_of(cold), "warm": median_of(warm)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="page loads per kind (default 15)")
    options = parser.parse_args(argv)
    report: dict[str, Any] = {"widget": sizes()}
    with tempfile.TemporaryDirectory(prefix="commentdesk-widget-") as scratch:
        workdir = Path(scratch)
        database_url = f"sqlite:///{workdir / 'widget.db'}"
        secret = secrets.token_urlsafe(48)
        seed(database_url, secret)
        html: dict[str, str] = {}
        with host_site(html) as host:
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "SECRET_KEY": secret,
                "INSTANCE_PATH": str(workdir / "instance"),
                "ALLOWED_ORIGINS": host,
                "LOG_FORMAT": "text",
            }
            spec = ServerSpec(name="service", app="wsgi:app", ready_path="/healthz")
            with servers.serve(spec, env, workers=2, workdir=workdir) as api:
                html["page"] = PAGE.format(article=ARTICLE, api=api.base_url)
                report["render_50_comments"] = measure(host, options.runs)
    report["runs"] = options.runs
    widget, cold = report["widget"], report["render_50_comments"]["cold"]
    print(
        f"widget.js: {widget['raw_bytes']:,} bytes raw, {widget['gzip_bytes']:,} gzipped "
        f"(target < {TARGET_GZIP_BYTES:,})"
    )
    for kind, numbers in report["render_50_comments"].items():
        print(
            f"{kind:>4}: script start -> {COMMENTS} comments rendered "
            f"{numbers['script_to_rendered_ms']} ms (painted {numbers['script_to_painted_ms']} "
            f"ms); from the widget.js request {numbers['request_to_rendered_ms']} ms "
            f"[median of {options.runs}]"
        )
    fast = cold["script_to_rendered_ms"] < TARGET_RENDER_MS
    ok = widget["gzip_bytes"] < TARGET_GZIP_BYTES and fast
    print(json.dumps(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
