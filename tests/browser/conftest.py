"""Browser fixtures: the app served for real on a free port, and headless Chromium driving it.

SQLite only, to keep CI fast (the same use cases run on PostgreSQL in the other suites).
Every test here skips, with the reason, when Chromium or Playwright for Python is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from werkzeug.serving import generate_adhoc_ssl_context, make_server

from service import create_app
from service.extensions import db
from service.moderation import accounts
from tests.browser.chromium import CHROMIUM, LAUNCH_ARGS, playwright_or_skip
from tests.conftest import base_config
from tests.serving import serving_thread

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page

PASSWORD = "correct horse battery staple"
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    sync_api = playwright_or_skip()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture
def serve(tmp_path: Any) -> Iterator[Callable[..., LiveServer]]:
    """Start the app (on a fresh SQLite file) in a real WSGI server on 127.0.0.1."""
    started: list[tuple[Any, threading.Thread, Flask]] = []

    def start(*, https: bool = False, **overrides: Any) -> LiveServer:
        config = base_config(f"sqlite:///{tmp_path / f'browser{len(started)}.db'}") | {
            "SITE_URL": "https://blog.example.com/",
        }
        app = create_app(config | overrides)
        with app.app_context():
            db.create_all(bind_key=None)
            accounts.create_moderator("mia", PASSWORD, admin=True)
        # HTTPS with a throw-away self-signed certificate (contexts then need
        # ignore_https_errors): what the Secure cookie and the CSRF referrer check see.
        tls = generate_adhoc_ssl_context() if https else None
        server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=tls)
        thread = serving_thread(server)
        thread.start()
        started.append((server, thread, app))
        scheme = "https" if https else "http"
        return LiveServer(app, f"{scheme}://127.0.0.1:{server.server_port}")

    try:
        yield start
    finally:
        for server, thread, app in started:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def live(serve: Callable[..., LiveServer]) -> LiveServer:
    return serve()


@dataclass
class PageLog:
    """What a page did that it should not: dialogs (alert/confirm/prompt), uncaught
    exceptions and console errors."""

    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} at {message.location}")

    def problems(self) -> list[str]:
        return self.dialogs + self.page_errors + self.console_errors


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@contextmanager
def watched_tab(
    chromium: Browser, base_url: str, page_log: PageLog, timeout_ms: int, **options: Any
) -> Iterator[Page]:
    """A tab in a fresh browser context whose dialogs, console and errors land in page_log."""
    context = chromium.new_context(base_url=base_url, **options)
    context.set_default_timeout(timeout_ms)
    tab = context.new_page()
    tab.on("dialog", page_log.on_dialog)
    tab.on("console", page_log.on_console)
    tab.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(chromium: Browser, live: LiveServer, page_log: PageLog) -> Iterator[Page]:
    with watched_tab(chromium, live.url, page_log, 10_000, viewport=LAPTOP) as tab:
        yield tab


@dataclass
class HostSite:
    """Another origin's web site: pages (path -> HTML) served as they are set, with any
    extra response headers set for their path (say, the site's own CSP)."""

    url: str
    pages: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
def host_sites() -> Iterator[Callable[[], HostSite]]:
    """Start servers on other ports (so other origins) for pages that embed the widget."""
    started: list[tuple[Any, threading.Thread]] = []

    def start() -> HostSite:
        site = HostSite(url="")

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            html = site.pages.get(environ["PATH_INFO"])
            if html is None:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"not found"]
            extra = list(site.headers.get(environ["PATH_INFO"], {}).items())
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), *extra])
            return [html.encode()]

        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = serving_thread(server)
        thread.start()
        started.append((server, thread))
        site.url = f"http://127.0.0.1:{server.server_port}"
        return site

    try:
        yield start
    finally:
        for server, thread in started:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()


@pytest.fixture
def host_site(host_sites: Callable[[], HostSite]) -> HostSite:
    """A second server on another port (so another origin) for pages that embed the widget."""
    return host_sites()


# The widget's host site: an article page on another origin, embedding the API's widget.js.
ARTICLE = "blog/hello"


def article_page(
    api: LiveServer,
    article: str | None = ARTICLE,
    head: str = "",
    body: str = "",
    attributes: str = "",
    title: str = "Hello, world",
) -> str:
    """A host site's article page with the two embed lines (and whatever else it has)."""
    data_article = f' data-article="{article}"' if article is not None else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="data:,">{head}</head>
<body><main><h1>{title}</h1><p class="lede">An article on the host site.</p></main>{body}
<div id="comments"{data_article}{attributes}></div>
<script src="{api.url}/widget.js" async></script></body></html>"""


def start_api(host_site: HostSite, serve: Any, **overrides: Any) -> LiveServer:
    """The API allowing exactly the host site's origin, whose /article embeds the widget.
    Feeds are not cached and the form's time trap is off, so a test reads what it just did."""
    settings = {"FEED_MAX_AGE": 0, "FEED_STATE_SECONDS": 0, "MIN_FORM_SECONDS": 0}
    api = serve(**settings | overrides, ALLOWED_ORIGINS=(host_site.url,))
    host_site.pages["/article"] = article_page(api)
    return api


@pytest.fixture
def site(host_site: HostSite, serve: Any) -> tuple[HostSite, LiveServer]:
    return host_site, start_api(host_site, serve)


@pytest.fixture
def tab(chromium: Any, site: tuple[HostSite, LiveServer], page_log: Any) -> Any:
    with watched_tab(chromium, site[0].url, page_log, 10_000, viewport=LAPTOP) as page:
        yield page
