"""Comment bodies: Markdown rendered to a small, safe subset of HTML; the raw text kept."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from service.comments.rendering import render_body
from tests.conftest import approve, submit

SAFE_SCHEMES = {"", "http", "https"}


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    @property
    def tags(self) -> set[str]:
        return {tag for tag, _ in self.found}

    @property
    def links(self) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.found if tag == "a"]


def link_scheme(href: str) -> str:
    # Browsers drop tabs and newlines anywhere in a URL and ignore surrounding spaces.
    cleaned = "".join(ch for ch in href if ch not in "\t\n\r").strip()
    return urlsplit(cleaned).scheme.lower()


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<iframe src=https://evil.example></iframe>",
        '<a href="https://example.com" onclick="steal()">raw link</a>',
        "<style>body { display: none }</style>",
        '<div style="position:fixed">overlay</div>',
        "<b>bold</b> and <em>em</em>",
        "<!-- hidden --> visible",
        "<svg><script>alert(1)</script></svg>",
    ],
)
def test_raw_html_is_shown_as_text_never_rendered(text):
    html = render_body(text)

    elements = Elements(html)
    assert elements.tags <= {"p", "a"}  # a URL inside the text may still be linkified
    assert "&lt;" in html
    for _, attrs in elements.found:
        assert not any(name.startswith("on") or name == "style" for name in attrs)


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](<javascript:alert(1)>)",
        "[click](&#106;avascript:alert(1))",
        "[click](java&#x09;script:alert(1))",
        "[click](javascript&colon;alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](vbscript:msgbox(1))",
        "[click](file:///etc/passwd)",
        # markdown-it lets these through; the sanitizer's scheme allow-list must not.
        "[click](data:image/png;base64,iVBORw0KGgo=)",
        "[click](ftp://example.com/file)",
        "[click](intent://scan#Intent;scheme=zxing;end)",
        "<ftp://example.com/file>",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
        "<javascript:alert(1)>",
        "javascript:alert(1)",
    ],
)
def test_links_only_point_to_web_or_mail_addresses(text):
    html = render_body(text)

    for link in Elements(html).links:
        assert link_scheme(link.get("href") or "") in SAFE_SCHEMES, html


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("[a link](https://example.com/a?b=1&c=2)", "https://example.com/a?b=1&c=2"),
        ("<https://example.com/auto>", "https://example.com/auto"),
        ("see https://example.com/bare for more", "https://example.com/bare"),
        ("see www.example.org too", "http://www.example.org"),
        ("[relative](/posts/other)", "/posts/other"),
    ],
    ids=["markdown", "autolink", "bare-url", "www", "relative"],
)
def test_every_link_is_marked_nofollow_ugc_noopener_noreferrer(text, href):
    [link] = Elements(render_body(text)).links

    assert link["href"] == href
    assert link["rel"] == "nofollow ugc noopener noreferrer"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("write to ada@example.org", "write to ada@example.org"),
        ("write to <mailto:ada@example.org>", "mailto:ada@example.org"),
        ("write to [Ada](mailto:ada@example.org)", "Ada"),
        ("write to [Ada](MAILTO:ada@example.org)", "Ada"),
    ],
    ids=["bare", "autolink", "markdown", "upper-case"],
)
def test_an_address_in_a_body_is_never_a_mailto_link(text, kept):
    html = render_body(text)

    assert 'href="mailto:' not in html.lower()
    assert not any(link.get("href") for link in Elements(html).links)
    assert kept in html


def test_images_are_not_rendered():
    html = render_body("![a tracking pixel](https://evil.example/pixel.png) after")

    assert "img" not in Elements(html).tags
    assert "evil.example" not in html
    assert "after" in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*emphasis*", "<p><em>emphasis</em></p>"),
        ("**strong**", "<p><strong>strong</strong></p>"),
        ("~~struck~~", "<p><s>struck</s></p>"),
        ("`a < b`", "<p><code>a &lt; b</code></p>"),
        ("```\n<b>x</b>\n```", "<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>"),
        ("    indented code", "<pre><code>indented code\n</code></pre>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("3. three\n4. four", '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>'),
        ("> quoted\n> text", "<blockquote>\n<p>quoted\ntext</p>\n</blockquote>"),
        ("first  \nsecond", "<p>first<br>\nsecond</p>"),
        ("above\n\n---\n\nbelow", "<p>above</p>\n<hr>\n<p>below</p>"),
        ("one\n\ntwo", "<p>one</p>\n<p>two</p>"),
    ],
    ids=[
        "em",
        "strong",
        "strikethrough",
        "code",
        "fenced-code",
        "indented-code",
        "bullets",
        "numbered",
        "blockquote",
        "hard-break",
        "rule",
        "paragraphs",
    ],
)
def test_everyday_markdown_is_kept(text, expected):
    assert render_body(text) == expected


@pytest.mark.parametrize("text", ["# A heading", "###### small heading"])
def test_elements_outside_the_allow_list_keep_only_their_text(text):
    html = render_body(text)

    assert Elements(html).tags == set()
    assert "heading" in html


def test_text_is_escaped_not_interpreted():
    html = render_body('Tom & Jerry say "5 > 3" & <3')

    assert html == '<p>Tom &amp; Jerry say "5 &gt; 3" &amp; &lt;3</p>'


def test_submitted_body_is_stored_as_typed_and_served_sanitized(client, moderator_headers):
    body = (
        "Hi <script>alert('x')</script> **there**!\n\n"
        "[bad](javascript:alert(1)) and https://example.com\n"
        "  trailing spaces and a tab\there  "
    )

    created = submit(client, body=body)
    approve(client, moderator_headers, created.get_json()["id"])

    queue = client.get("/api/v1/moderation/comments?status=all", headers=moderator_headers)
    [item] = queue.get_json()["comments"]
    assert item["body"] == body
    [public] = client.get("/api/v1/articles/posts/hello/comments").get_json()["comments"]
    assert public["body_html"] == created.get_json()["body_html"] == render_body(body)
    elements = Elements(public["body_html"])
    assert elements.tags <= {"p", "strong", "a"}
    assert "<strong>there</strong>" in public["body_html"]
    for link in elements.links:
        assert link_scheme(link["href"] or "") in SAFE_SCHEMES
        assert link["rel"] == "nofollow ugc noopener noreferrer"


def test_windows_line_endings_from_forms_are_stored_as_newlines(client, moderator_headers):
    response = client.post(
        "/api/v1/articles/posts/hello/comments",
        data={"name": "Ada", "email": "ada@example.org", "body": "line one\r\nline two"},
    )

    assert response.status_code == 201
    queue = client.get("/api/v1/moderation/comments", headers=moderator_headers).get_json()
    assert queue["comments"][0]["body"] == "line one\nline two"
