"""What readers get without JavaScript: the thread as a server-side include with the plain
form, the pages that answer that form, and the Atom feeds."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser
import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from service import origins
from service.extensions import db
from service.models import Comment
from tests.conftest import VALID, approve, submit

SITE = "https://blog.example.com"
PAGE = f"{SITE}/posts/hello"
FORM_URL = "/api/v1/articles/posts/hello/comments"
NOTICE = "Your email address will not be published. Required fields are marked *"


class Elements(HTMLParser):
    """Every element's tag and attributes, and the page's text, as a browser would parse
    them (so an escaped payload shows up as text, never as an element)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            found
            for name, found in self.elements
            if name == tag and all(found.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def plain_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def published(client: FlaskClient, headers: dict[str, str], **fields: Any) -> int:
    created = submit(client, **fields)
    assert created.status_code == 201, created.get_json()
    approve(client, headers, created.get_json()["id"])
    return created.get_json()["id"]


def snippet(client: FlaskClient, query: str = "") -> Elements:
    response = client.get(f"/articles/posts/hello/comments.html{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return Elements(response.get_data(as_text=True))


# The server-side include -------------------------------------------------------------------


def test_snippet_renders_the_approved_thread_with_replies_nested(client, moderator_headers):
    first = published(client, moderator_headers, body="The *first* comment.")
    reply = published(client, moderator_headers, body="A reply.", parent_id=first)
    submit(client, body="Still waiting for a moderator.", email="wait@example.org")

    response = client.get("/articles/posts/hello/comments.html")
    html = response.get_data(as_text=True)
    page = Elements(html)

    assert [e["id"] for e in page.find("li") if e.get("id")] == [
        f"comment-{first}",
        f"comment-{reply}",
    ]
    assert "<p>The <em>first</em> comment.</p>" in html
    assert html.index(f'id="comment-{first}"') < html.index('class="commentdesk-replies"')
    assert html.index('class="commentdesk-replies"') < html.index(f'id="comment-{reply}"')
    assert "Still waiting" not in html
    assert "2 comments" in page.plain_text()
    assert VALID["email"] not in html


def test_snippet_shows_a_placeholder_for_a_removed_parent(client, moderator_headers):
    parent = published(client, moderator_headers, body="Soon removed.")
    reply = published(client, moderator_headers, body="The reply stays.", parent_id=parent)
    client.post(f"/api/v1/moderation/comments/{parent}/reject", headers=moderator_headers)

    page = snippet(client)

    assert "Soon removed." not in page.plain_text()
    text = page.plain_text()
    assert text.index("This comment has been removed.") < text.index("The reply stays.")
    assert page.find("li", id=f"comment-{reply}")


def test_snippet_escapes_names_and_websites(client, moderator_headers):
    published(
        client,
        moderator_headers,
        name='<img src=x onerror="alert(1)">',
        website='https://ada.example/"><script>alert(1)</script>',
        body="<script>alert(2)</script>",
    )

    page = snippet(client)

    assert not page.find("script")
    assert not [e for e in page.find("img") if "onerror" in e]
    [link] = page.find("a", rel="nofollow ugc noopener noreferrer")
    assert link["href"] == 'https://ada.example/"><script>alert(1)</script>'
    assert '<img src=x onerror="alert(1)">' in page.plain_text()


def test_snippet_has_the_plain_form_with_its_traps(client):
    page = snippet(client, "?return_to=" + PAGE)

    [form] = page.find("form")
    assert form["method"] == "post"
    assert form["action"] == FORM_URL
    assert NOTICE in page.plain_text()
    for field in ("name", "email", "body"):
        [control] = page.find("textarea" if field == "body" else "input", name=field)
        assert "required" in control
    [website] = page.find("input", name="website")
    assert "required" not in website
    [return_to] = page.find("input", name="return_to")
    assert return_to["value"] == PAGE
    [honeypot] = page.find("input", name="hp")
    assert honeypot["tabindex"] == "-1"
    [token] = page.find("input", name="form_token")
    assert token["value"]
    assert not page.find("input", name="parent_id")


def test_snippet_returns_to_the_site_url_page_by_default_and_never_off_site(make_app):
    client = make_app(SITE_URL=f"{SITE}/").test_client()
    [default] = snippet(client).find("input", name="return_to")
    assert default["value"] == PAGE
    [refused] = snippet(client, "?return_to=https://evil.example/").find("input", name="return_to")
    assert refused["value"] == PAGE


def test_snippet_replies_to_the_comment_named_in_the_query(client, moderator_headers):
    parent = published(client, moderator_headers, name="Grace")
    page = snippet(client, f"?reply_to={parent}")
    [hidden] = page.find("input", name="parent_id")
    assert hidden["value"] == str(parent)
    assert "Reply to Grace" in page.plain_text()
    assert not snippet(client, "?reply_to=99999").find("input", name="parent_id")
    assert not snippet(client, "?reply_to=not-a-number").find("input", name="parent_id")


def test_snippet_is_cached_with_an_etag_until_the_thread_changes(client, moderator_headers):
    published(client, moderator_headers)
    first = client.get("/articles/posts/hello/comments.html")
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    assert "Cookie" not in first.headers.get("Vary", "")

    again = client.get("/articles/posts/hello/comments.html", headers={"If-None-Match": etag})
    assert again.status_code == 304
    published(client, moderator_headers, body="Another one.")
    changed = client.get("/articles/posts/hello/comments.html", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Another one." in changed.get_data(as_text=True)


def test_snippet_of_a_closed_article_has_no_form(client, moderator_headers):
    published(client, moderator_headers)
    open_etag = client.get("/articles/posts/hello/comments.html").headers["ETag"]
    client.post("/api/v1/moderation/articles/posts/hello/lock", headers=moderator_headers)

    response = client.get(
        "/articles/posts/hello/comments.html", headers={"If-None-Match": open_etag}
    )

    assert response.status_code == 200
    page = Elements(response.get_data(as_text=True))
    assert not page.find("form")
    assert "Comments are closed." in page.plain_text()
    assert page.find("li", id="comment-1")


def test_snippet_marks_edited_comments(make_app):
    client = make_app(MODERATION="off").test_client()
    created = submit(client).get_json()
    client.patch(
        f"/api/v1/comments/{created['id']}",
        json={"body": "Better words."},
        headers={"X-Edit-Token": created["edit_token"]},
    )
    assert "Better words. " in snippet(client).plain_text()
    assert "(edited)" in snippet(client).plain_text()


def test_snippet_of_an_article_without_comments_is_just_the_form(client):
    page = snippet(client)
    assert "0 comments" in page.plain_text()
    assert page.find("form")


# Answers to the plain form -----------------------------------------------------------------


def post_form(client: FlaskClient, **fields: Any) -> Any:
    return client.post(FORM_URL, data=VALID | {"return_to": PAGE} | fields)


def test_form_post_goes_back_to_the_page_at_the_comment(app, client):
    response = post_form(client, return_to=PAGE + "?utm=x#respond")
    assert response.status_code == 303
    with app.app_context():
        [comment_id] = db.session.scalars(db.select(Comment.id)).all()
    assert response.location == f"{PAGE}?utm=x#comment-{comment_id}"


def test_invalid_form_post_gets_a_page_with_the_errors_and_the_form_refilled(
    client, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    response = post_form(
        client,
        name="Ada <3",
        email="ada@example",
        body="My <b>thoughts</b>",
        website="javascript:x",
    )

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    page = Elements(html)
    assert page.find("div", id="comments-form-error")
    assert "Email: That email address is not valid" in page.plain_text()
    assert "Website: Please enter a web address" in page.plain_text()
    [name] = page.find("input", name="name")
    assert name["value"] == "Ada <3"
    [email] = page.find("input", name="email")
    assert email["value"] == "ada@example"
    assert email["aria-invalid"] == "true"
    assert "My &lt;b&gt;thoughts&lt;/b&gt;</textarea>" in html
    [back] = [a for a in page.find("a") if a.get("href") == PAGE]
    assert back
    # The address is in its own field only, and in no log line.
    assert html.count("ada@example") == 1
    assert "ada@example" not in caplog.text


def test_form_post_reply_to_a_removed_comment_is_reported_on_the_page(client, moderator_headers):
    parent = published(client, moderator_headers)
    client.post(f"/api/v1/moderation/comments/{parent}/reject", headers=moderator_headers)

    response = post_form(client, parent_id=str(parent), body="A reply")

    assert response.status_code == 422
    assert (
        "Reply: The comment you are replying to"
        in Elements(response.get_data(as_text=True)).plain_text()
    )


def test_form_post_too_soon_gets_a_readable_page_with_the_wait(make_app):
    client = make_app(RATELIMIT_ENABLED=True, FLOOD_SECONDS=60).test_client()
    assert post_form(client).status_code == 303

    response = post_form(client, body="And another thing.", email="ada2@example.org")

    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    page = Elements(response.get_data(as_text=True))
    assert "Please wait" in page.plain_text()
    [body] = page.find("textarea", name="body")
    assert "And another thing." in response.get_data(as_text=True)
    assert body is not None


def test_form_post_over_the_rate_limit_gets_a_readable_page(make_app):
    client = make_app(RATELIMIT_ENABLED=True, FLOOD_SECONDS=0, SUBMIT_RATE_LIMIT="1 per minute")
    client = client.test_client()
    assert post_form(client).status_code == 303
    response = post_form(client, body="Second.")
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "too quickly" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers


def test_form_post_to_a_closed_article_gets_a_readable_page(client, moderator_headers):
    published(client, moderator_headers)
    locked = client.post("/api/v1/moderation/articles/posts/hello/lock", headers=moderator_headers)
    assert locked.status_code == 200, locked.get_json()

    response = post_form(client, body="Too late.")

    assert response.status_code == 403
    assert response.mimetype == "text/html"
    page = Elements(response.get_data(as_text=True))
    assert "closed" in page.plain_text()
    assert not page.find("form")


def test_json_clients_still_get_json_errors(client):
    response = client.post(FORM_URL, json=VALID | {"email": "x", "return_to": PAGE})
    assert response.status_code == 422
    assert response.is_json


# return_to: never an open redirect ---------------------------------------------------------

ALLOWED = ("https://blog.example.com", "http://localhost:8000")


@pytest.mark.parametrize(
    "url",
    [
        "https://blog.example.com/posts/hello",
        "https://BLOG.example.com/posts/hello?x=1#respond",
        "https://blog.example.com:443/posts/hello",
        "http://localhost:8000/",
    ],
)
def test_pages_on_the_site_are_places_to_return_to(url):
    assert origins.page_on_site(url, ALLOWED) == url


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "/posts/hello",
        "//evil.example/posts/hello",
        "///evil.example/",
        "https://evil.example/",
        "http://blog.example.com/posts/hello",
        "https://blog.example.com:8443/posts/hello",
        "https://blog.example.com.evil.example/",
        "https://blog.example.com@evil.example/",
        "https://user:pass@blog.example.com/",
        "https://evil.example#@blog.example.com/",
        "https://evil.example\\@blog.example.com/",
        "https:\\\\evil.example\\blog.example.com",
        "https://blog.example.com\\@evil.example/",
        "https:blog.example.com/posts",
        "https:///blog.example.com/posts",
        "javascript:alert(1)//https://blog.example.com",
        "JaVaScRiPt://blog.example.com/%0aalert(1)",
        "data:text/html,https://blog.example.com",
        "https://blog.example.com/posts/hello\r\nSet-Cookie: a=b",
        "https://blog.example.com/\tx",
        "https://blog.example.com/ x",
        "https://blog.example.com:99999/",
        "https://blog.example.com:-1/",
        "https://[blog.example.com/",
        "https://blog.example.com]/",
        "https://blog.example.com/" + "a" * 3000,
        "http://localhost:8001/",
    ],
)
def test_anything_else_is_never_returned_to(url):
    assert origins.page_on_site(url, ALLOWED) is None


@pytest.mark.parametrize("malformed", ["https://[blog.example.com/", "https://blog.example.com]/"])
def test_a_malformed_page_address_is_ignored_not_a_server_error(client, malformed):
    assert not snippet(client, "?return_to=" + malformed).find("input", name="return_to")
    headers = {"Origin": malformed, "Referer": malformed}
    sent = client.post(FORM_URL, json=VALID | {"article_url": malformed}, headers=headers)
    assert sent.status_code == 201
    posted = post_form(client, return_to=malformed, body="By form.")
    assert posted.status_code == 201
    assert "Location" not in posted.headers


def test_a_wildcard_origin_opens_cors_but_never_redirects():
    assert origins.page_on_site("https://evil.example/", ("*",)) is None


@pytest.mark.parametrize("return_to", ["//evil.example/x", "https://evil.example/", "javascript:x"])
def test_form_post_never_redirects_off_site_even_on_errors(client, return_to):
    posted = post_form(client, return_to=return_to)
    assert posted.status_code == 201
    assert "Location" not in posted.headers
    failed = post_form(client, return_to=return_to, name="")
    assert failed.status_code == 422
    assert failed.is_json


# Atom ---------------------------------------------------------------------------------------


def parsed(client: FlaskClient, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    document = feedparser.parse(response.get_data())
    assert not document.bozo, document.get("bozo_exception")
    assert document.version == "atom10"
    return response, document


def test_article_atom_feed_lists_the_approved_comments(make_app, moderator_headers):
    app = make_app(SITE_URL=f"{SITE}/")
    client = app.test_client()
    headers = moderator_headers
    first = published(client, headers, name="Ada", website="https://ada.example", body="*One*")
    second = published(client, headers, name="Grace", email="grace@example.org", body="Two")
    submit(client, body="Pending, not in the feed.", email="p@example.org")

    response, document = parsed(client, "/articles/posts/hello/comments.atom")

    assert [entry.link for entry in document.entries] == [
        f"{PAGE}#comment-{second}",
        f"{PAGE}#comment-{first}",
    ]
    assert [entry.author for entry in document.entries] == ["Grace", "Ada"]
    for entry in document.entries:
        assert set(entry.author_detail) == {"name"}
        assert entry.updated_parsed and entry.published_parsed
        assert entry.id.startswith("tag:blog.example.com,")
    assert document.entries[1].content[0].value == "<p><em>One</em></p>"
    assert document.feed.title == "Comments on posts/hello"
    links = {link.rel: link.href for link in document.feed.links}
    assert links == {
        "self": "/articles/posts/hello/comments.atom",
        "alternate": PAGE,
    }
    body = response.get_data(as_text=True)
    for address in ("ada@example.org", "grace@example.org", "p@example.org"):
        assert address not in body
    assert "Pending" not in body


def test_atom_entries_are_updated_when_edited(make_app):
    app = make_app(MODERATION="off")
    client = app.test_client()
    created = submit(client).get_json()
    edited = client.patch(
        f"/api/v1/comments/{created['id']}",
        json={"body": "Edited."},
        headers={"X-Edit-Token": created["edit_token"]},
    )
    assert edited.status_code == 200
    # Fixed times, to compare with what the feed says.
    with app.app_context():
        db.session.execute(
            update(Comment)
            .where(Comment.id == created["id"])
            .values(
                created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                edited_at=datetime(2024, 1, 2, 3, 10, 0, tzinfo=UTC),
            )
        )
        db.session.commit()

    _, document = parsed(client, "/comments.atom")

    [entry] = document.entries
    assert entry.published_parsed[:6] == (2024, 1, 2, 3, 4, 5)
    assert entry.updated_parsed[:6] == (2024, 1, 2, 3, 10, 0)
    assert document.feed.updated_parsed[:6] == (2024, 1, 2, 3, 10, 0)


def test_site_wide_atom_feed_spans_articles_without_emails(make_app):
    app = make_app(MODERATION="off")
    client = app.test_client()
    submit(client, "posts/one", body="On one.", email="one@example.org")
    submit(client, "posts/two", body="On two.", email="two@example.org")

    response, document = parsed(client, "/comments.atom")

    assert [entry.title for entry in document.entries] == [
        "Ada Lovelace on posts/two",
        "Ada Lovelace on posts/one",
    ]
    assert document.entries[0].link.endswith("/articles/posts/two/comments.html#comment-2")
    text = response.get_data(as_text=True)
    assert "one@example.org" not in text and "two@example.org" not in text


def test_atom_feed_of_an_article_without_comments_is_valid_and_empty(client):
    response, document = parsed(client, "/articles/no/comments/yet/comments.atom")
    assert document.entries == []
    etag = response.headers["ETag"]
    assert (
        client.get(
            "/articles/no/comments/yet/comments.atom", headers={"If-None-Match": etag}
        ).status_code
        == 304
    )


def test_atom_survives_characters_xml_cannot_carry(make_app):
    app = make_app(MODERATION="off")
    client = app.test_client()
    assert submit(client).status_code == 201
    # Input refuses them now (tests/http/test_ugly_input.py); older rows may still hold some.
    with app.app_context():
        db.session.execute(update(Comment).values(name="Odd \ufffe name", body="Body \uffff"))
        db.session.commit()
    _, document = parsed(client, "/comments.atom")
    assert document.entries[0].author == "Odd \ufffd name"
