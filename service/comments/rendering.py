"""Comment bodies: CommonMark (raw HTML off) rendered, then sanitized to a small allow-list."""

import re

import nh3
from markdown_it import MarkdownIt

from service.models import BodyFormat

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "s",  # markdown-it renders ~~strikethrough~~ as <s>
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": True}).enable(
    ["linkify", "strikethrough"]
)


def render_body(text: str) -> str:
    """Sanitized HTML for a comment body; the sanitizer runs even though raw HTML is off,
    because Markdown itself can produce links with any scheme."""
    return _sanitize(_markdown.render(text))


def _sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow ugc noopener",
    ).strip()


_BLOCK_TAG = re.compile(r"<(p|div|blockquote|pre|ul|ol|li|br)\b", re.IGNORECASE)


def render(text: str, body_format: BodyFormat) -> str:
    """Sanitized HTML for a stored body, in the format it is stored in."""
    return render_imported_html(text) if body_format == BodyFormat.HTML else render_body(text)


def render_imported_html(html: str) -> str:
    """Sanitized HTML for a comment imported as HTML (WordPress, Disqus), kept to the same
    allow-list as typed comments. WordPress stores line breaks rather than paragraphs (its
    `wpautop` adds them when displaying): blank lines become paragraphs, single ones <br>."""
    text = html.strip()
    if text and not _BLOCK_TAG.search(text):
        paragraphs = (p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")))
        text = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs if p)
    return _sanitize(text)
