"""Content Security Policy in Chromium, both ways round: the widget works on a host page with a
strict CSP of its own (only the service's origin for scripts, connections and images), and
the moderation pages refuse inline script and being framed by another site."""

from __future__ import annotations

import pytest

from service.extensions import db
from service.models import Comment
from service.privacy import my_comments, vault
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import LAPTOP, article_page, start_api, watched_tab
from tests.browser.helpers import post_comment, sign_in, status_of
from tests.browser.widget_pages import fill_form, open_article, published

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

# Installed before any page script runs; Playwright's init scripts are not subject to the CSP.
RECORD_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) =>
  (window.cspViolations = window.cspViolations || []).push(
    event.violatedDirective + " " + event.blockedURI))"""
# A script of the host page's own, inline: the page's CSP must refuse it, which shows that
# the policy is in force while the widget works.
CANARY = '<script>document.documentElement.dataset.inline = "ran"</script>'
HOST_POLICIES = {
    "scripts and connections": "script-src {api}; connect-src {api}",
    # default-src 'none' also refuses inline styles: the widget's constructed style sheet
    # is not one. data: is the host page's own empty favicon.
    "nothing else": "default-src 'none'; script-src {api}; connect-src {api}; img-src {api} data:",
}


@pytest.mark.parametrize("policy", HOST_POLICIES.values(), ids=HOST_POLICIES.keys())
def test_the_widget_loads_shows_comments_and_submits_under_a_host_pages_strict_csp(
    host_site, serve, chromium, page_log, policy
):
    api = start_api(host_site, serve)
    published(api, name="Ada", body="Hello from before the CSP.")
    host_site.pages["/strict"] = article_page(api, body=CANARY)
    host_site.headers["/strict"] = {"Content-Security-Policy": policy.format(api=api.url)}

    with watched_tab(chromium, host_site.url, page_log, 10_000, viewport=LAPTOP) as tab:
        tab.add_init_script(RECORD_VIOLATIONS)
        root = open_article(tab, "/strict")
        expect(root.locator("h2").first).to_have_text("1 comment")
        expect(root.locator(".body")).to_have_text("Hello from before the CSP.")
        # Polled by Playwright, not by a string evaluated in the page (the CSP refuses eval).
        avatar = root.locator("img.avatar").first
        expect(avatar).to_have_js_property("complete", True)
        assert avatar.evaluate("img => img.naturalWidth") > 0  # loaded, not broken
        # The widget's own styles apply: the bot trap stays out of sight.
        assert root.locator(".hp").evaluate("el => getComputedStyle(el).position") == "absolute"

        fill_form(root, name="Grace", email="grace@example.org", body="Posted under a CSP.")
        root.get_by_role("button", name="Post comment").click()
        expect(root.locator("form [role=status]")).to_have_text(
            "Your comment is awaiting moderation."
        )
        assert tab.evaluate("document.documentElement.dataset.inline") is None
        assert tab.evaluate("window.cspViolations") == ["script-src-elem inline"]

    with api.app.app_context():
        assert db.session.query(Comment).filter_by(body="Posted under a CSP.").count() == 1
    assert [p for p in page_log.problems() if "Executing inline script" not in p] == []


def test_moderation_pages_run_no_injected_inline_script(live, page, page_log):
    sign_in(page)
    page.add_init_script(RECORD_VIOLATIONS)
    page.reload()
    injected = page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.head.append(script);
          return window.injected === true;
        }"""
    )
    assert injected is False
    # The violation event is queued as a task of its own: wait for it, then check it is the one.
    page.wait_for_function("() => (window.cspViolations || []).length > 0")
    assert page.evaluate("window.cspViolations") == ["script-src-elem inline"]
    page_log.console_errors.clear()  # the refusal itself, just asserted


def test_moderation_pages_cannot_be_framed_by_another_site(host_site, live, chromium, page_log):
    host_site.pages["/frames"] = f'<iframe src="{live.url}/moderation/login"></iframe>'
    with watched_tab(chromium, host_site.url, page_log, 10_000) as tab:
        tab.goto("/frames")  # waits for the frame's load, refused or not
        (framed,) = tab.main_frame.child_frames
        assert framed.url.startswith("chrome-error://")
        assert "Sign in" not in framed.content()


def test_over_https_the_private_pages_forms_pass_the_csrf_referrer_check(serve, chromium, page_log):
    """Over HTTPS the CSRF check wants the page a form came from in the Referer: the private
    pages' Referrer-Policy (same-origin) sends it to the service and to nobody else."""
    live = serve(https=True)
    comment = post_comment(live, email="ada@example.org", body="Mine, to take back.")
    with live.app.app_context():
        link = my_comments.PATH + vault.vault().seal_address("ada@example.org", None)
    with watched_tab(chromium, live.url, page_log, 10_000, ignore_https_errors=True) as tab:
        tab.goto(link)
        tab.get_by_role("button", name="Withdraw this comment").click()
        expect(tab.get_by_role("status")).to_have_text(
            "Your comment is withdrawn: nobody sees it any more."
        )
        sign_in(tab)
        expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
    assert status_of(live, comment) == "deleted"
    assert page_log.problems() == []
