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
# No mailto: comment bodies are public, and a mailto link is what address harvesters look
# for; it would also turn an address typed about someone else into a one-click target. An
# address stays as the commenter typed it, as text (README, "Security: Links").
ALLOWED_URL_SCHEMES = {"http", "https"}
# Every public link (bodies, the commenter's website in the widget and the include): no
# ranking credit for spam, no window.opener, and no Referer leaking the article's address.
LINK_REL = "nofollow ugc noopener noreferrer"

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": True}).enable(
    ["linkify", "strikethrough"]
)
if _markdown.linkify is not None:
    # Bare addresses stay text instead of becoming (then losing) mailto links.
    _markdown.linkify.set({"fuzzy_email": False})


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
        link_rel=LINK_REL,
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
