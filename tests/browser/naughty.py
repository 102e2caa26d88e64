"""Hostile input for the browser tests: the Big List of Naughty Strings (tests/data/blns.json)
plus payloads aimed at our pages, how to submit them, and how to check a page stayed inert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from service.comments.rendering import ALLOWED_TAGS
from tests.conftest import VALID, form_token

BLNS = json.loads((Path(__file__).parent.parent / "data" / "blns.json").read_text())

# Aimed at this page: each would set window.__xss (or open a dialog) if it ever ran.
PAYLOADS = [
    '<script>window.__xss = "script"</script>',
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg onload=\"window.__xss='svg'\"></svg>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "[click me](javascript:window.__xss='md-link')",
    "<javascript:window.__xss='autolink'>",
    '![picture](x" onerror="window.__xss=1)',
    "[data](data:text/html,<script>parent.__xss=1</script>)",
    '"><script>window.__xss="attribute"</script>',
    "'><img src=x onerror=window.__xss='single-quote'>",
    '<a href="javascript:window.__xss=1">raw link</a>',
    "<details open ontoggle=\"window.__xss='toggle'\">",
    '<style>@import "https://evil.example/x.css";</style>',
    '</textarea></title></script><script>window.__xss="breakout"</script>',
    "<input autofocus onfocus=\"window.__xss='focus'\">",
    "`<script>window.__xss='code'</script>`",
    "{{ config }} {% print 7*7 %}",
]
WEBSITES = [
    'https://example.com/"><script>window.__xss=1</script>',
    "https://example.com/' onmouseover='window.__xss=1",
    "https://example.com/?q=<img src=x onerror=window.__xss=1>",
    "javascript:window.__xss=1",
    "data:text/html,<script>window.__xss=1</script>",
]
ARTICLES = [
    "xss/<img src=x onerror=window.__xss=1>",
    'xss/"><script>window.__xss=1</script>',
]

# Run in the page, with ALLOWED (the body tags the sanitizer allows) and TRUSTED (origins the
# page may load from besides its own) defined: everything that would mean injected markup made
# it into the DOM, looking inside open shadow roots too (the widget renders in one).
INSPECT_PAGE = """() => {
    const all = (selector) => {
        const found = [];
        const visit = (root) => {
            found.push(...root.querySelectorAll(selector));
            for (const element of root.querySelectorAll("*")) {
                if (element.shadowRoot) visit(element.shadowRoot);
            }
        };
        visit(document);
        return found;
    };
    const origin = location.origin;
    const handlers = [];
    for (const element of all("*")) {
        for (const attribute of element.attributes) {
            if (attribute.name.toLowerCase().startsWith("on")) {
                handlers.push(element.tagName + " " + attribute.name);
            }
        }
    }
    const badLinks = [];
    for (const element of all("[href], [src], [action], [formaction]")) {
        for (const name of ["href", "src", "action", "formaction"]) {
            const value = element.getAttribute(name);
            if (value === null || value === "data:,") continue;
            let url;
            try {
                url = new URL(value, location.href);
            } catch {
                continue; // not a URL at all: a click goes nowhere
            }
            const ok = url.origin === origin || TRUSTED.includes(url.origin)
                || ((url.protocol === "https:" || url.protocol === "http:") && name === "href")
                || url.protocol === "mailto:";
            if (!ok) badLinks.push(element.tagName + " " + name + "=" + value);
        }
    }
    const scripts = all("script").map((s) => s.getAttribute("src"));
    const foreignInBodies = all(".body *")
        .map((e) => e.tagName.toLowerCase())
        .filter((tag) => !ALLOWED.includes(tag));
    return {
        xss: window.__xss === undefined ? null : String(window.__xss),
        handlers, badLinks, scripts,
        foreignInBodies: Array.from(new Set(foreignInBodies)),
        styles: all("style").length,
        embeds: all("iframe, object, embed, img:not(.avatar), svg, math").length,
        rows: all("li.comment").length,
    };
}"""


def inspect_page(page: Any, trusted_origins: tuple[str, ...] = ()) -> dict[str, Any]:
    """What the page now shows of injected markup (see INSPECT_PAGE)."""
    return page.evaluate(
        f"(() => {{ const ALLOWED = {json.dumps(sorted(ALLOWED_TAGS))}; "
        f"const TRUSTED = {json.dumps(list(trusted_origins))}; "
        f"return ({INSPECT_PAGE})(); }})()"
    )


def post_json(client: Any, article: str, fields: dict[str, Any]) -> Any:
    # As the widget posts: with a valid form token (else held as no_form_token).
    fields = {"form_token": form_token(client.application)} | fields
    return client.post(f"/api/v1/articles/{quote(article, safe='/')}/comments", json=fields)


def submit_naughty(client: Any, article: str, n: int, text: str, website: str | None) -> set[str]:
    """Submit `text` as body and name (and `website`); fields the API refuses are replaced by
    harmless ones. Returns the fields that carried the hostile text."""
    fields = VALID | {"name": text, "body": text, "email": f"naughty{n}@example.org"}
    if website is not None:
        fields["website"] = website
    response = post_json(client, article, fields)
    if response.status_code == 201:
        return {"name", "body", "website"} & fields.keys()
    assert response.status_code == 422, (text, response.get_json())
    refused = set(response.get_json()["errors"])
    assert refused <= {"name", "body", "website"}, (text, refused)
    fallback = {"name": f"Naughty {n}", "body": f"Naughty string {n} (refused as text)."}
    for name in refused:
        if name == "website":
            del fields["website"]
        else:
            fields[name] = fallback[name]
    response = post_json(client, article, fields)
    assert response.status_code == 201, (text, response.get_json())
    return ({"name", "body", "website"} - refused) & fields.keys()
