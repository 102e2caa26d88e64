"""The comment form with JavaScript off, in Chromium: an article page on another origin
includes the server-rendered thread and form (fetched and inlined as a server-side include
would), the reader posts the plain form and lands back on the article at the new comment;
a mistake gets the error page with the form as they filled it in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import LAPTOP, LiveServer, PageLog, watched_tab
from tests.serving import serving_thread

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

ARTICLE = "posts/hello"
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello, world</title>
<link rel="icon" href="data:,">
<style>body { font-family: Georgia, serif; color: rgb(20, 40, 60); }</style></head>
<body><article><h1>Hello, world</h1><p>The article itself.</p></article>
{include}
</body></html>"""


class HostSite:
    """The blog: serves its article page, with the comments snippet included server-side."""

    def __init__(self) -> None:
        self.api = ""
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path != f"/{ARTICLE}":
            return Response("not found", 404)(environ, start_response)
        # What an SSI directive does: fetch the fragment, passing the page's query on.
        params = {"return_to": f"{self.url}/{ARTICLE}", **request.args}
        fragment = requests.get(
            f"{self.api}/articles/{quote(ARTICLE)}/comments.html", params=params, timeout=10
        )
        fragment.raise_for_status()
        page = HOST_PAGE.replace("{include}", fragment.text)
        return Response(page, mimetype="text/html")(environ, start_response)


@pytest.fixture
def site(serve: Callable[..., LiveServer]) -> Iterator[tuple[HostSite, LiveServer]]:
    host = HostSite()
    thread = serving_thread(host.server)
    thread.start()
    # Published at once, and no minimum time on the form: the test types faster than people.
    live = serve(ALLOWED_ORIGINS=(host.url,), MODERATION="off", MIN_FORM_SECONDS=0)
    # The include is shown on another site, so its form and avatars need PUBLIC_URL (never
    # the request's Host); known once the server has its port.
    live.app.config["PUBLIC_URL"] = host.api = live.url
    try:
        yield host, live
    finally:
        host.server.shutdown()
        thread.join(timeout=10)
        host.server.server_close()


@pytest.fixture
def no_js_page(chromium: Browser, site: tuple[HostSite, LiveServer], page_log: PageLog) -> Any:
    host, _ = site
    with watched_tab(
        chromium, host.url, page_log, 10_000, viewport=LAPTOP, java_script_enabled=False
    ) as tab:
        yield tab


def fill_form(page: Page, name: str, email: str, body: str, website: str = "") -> None:
    page.get_by_role("textbox", name="Comment").fill(body)
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Website").fill(website)


def post(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Post comment").click()


def test_plain_form_posts_and_lands_on_the_new_comment(no_js_page, site, page_log):
    host, _ = site
    page = no_js_page
    page.goto(f"/{ARTICLE}")
    expect(page.get_by_text("Your email address will not be published.")).to_be_visible()

    fill_form(page, "Ada", "ada@example.org", "Works *without* JavaScript.")
    post(page)

    match = re.fullmatch(rf"{re.escape(host.url)}/{ARTICLE}#comment-(\d+)", page.url)
    assert match, page.url
    comment = page.locator(f"#comment-{match.group(1)}")
    expect(comment).to_contain_text("Works without JavaScript.")
    expect(comment.locator("em")).to_have_text("without")
    expect(page.get_by_role("heading", name="1 comment")).to_be_visible()
    assert "ada@example.org" not in page.content()

    # A reply, through the thread's own reply link.
    comment.get_by_role("link", name="Reply to Ada").click()
    expect(page.get_by_role("heading", name="Reply to Ada")).to_be_visible()
    fill_form(page, "Grace", "grace@example.org", "A reply, also without JavaScript.")
    post(page)
    reply_id = page.url.rsplit("#comment-", 1)[1]
    expect(comment.locator(f".commentdesk-replies #comment-{reply_id}")).to_contain_text(
        "A reply, also without JavaScript."
    )
    assert page_log.problems() == []


def test_invalid_email_gets_the_error_page_with_the_form_refilled(no_js_page, site, page_log):
    host, live = site
    page = no_js_page
    page.goto(f"/{ARTICLE}")
    # Passes the browser's own check of type=email, fails the server's.
    fill_form(page, "Ada", "ada@example", "My first thoughts.", "ada.example.org")
    post(page)

    assert page.url == f"{live.url}/api/v1/articles/{ARTICLE}/comments"
    expect(page.get_by_role("heading", name="Your comment could not be posted")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Email: That email address is not valid")
    expect(page.locator("#commentdesk-email-error")).to_be_visible()
    expect(page.get_by_role("textbox", name="Name")).to_have_value("Ada")
    expect(page.get_by_role("textbox", name="Email")).to_have_value("ada@example")
    expect(page.get_by_role("textbox", name="Comment")).to_have_value("My first thoughts.")
    expect(page.get_by_role("textbox", name="Website")).to_have_value("ada.example.org")
    expect(page.get_by_role("link", name="Back to the article")).to_have_attribute(
        "href", f"{host.url}/{ARTICLE}"
    )

    page.get_by_role("textbox", name="Email").fill("ada@example.org")
    post(page)

    assert re.fullmatch(rf"{re.escape(host.url)}/{ARTICLE}#comment-\d+", page.url), page.url
    expect(page.locator(".commentdesk-comment")).to_contain_text("My first thoughts.")
    # The 422 itself is the only thing the browser complains about.
    [refused] = page_log.problems()
    assert "status of 422" in refused
