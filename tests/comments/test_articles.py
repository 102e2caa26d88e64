"""Articles as things moderators manage: title and URL from the site's own pages (never
fetched), lock, close date, per-article moderation mode, pending counts; audited."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from service.extensions import db
from service.models import Article, ModerationEvent, utcnow
from service.moderation import accounts
from tests.conftest import VALID, approve, form_token, run_cli
from tests.http.web.helpers import csrf_token, flashes, sign_in
from tests.screening import helpers as screening

API = "/api/v1/moderation"
SITE = "https://blog.example.com"
_serial = itertools.count(1)


def post(client: FlaskClient, article: str = "posts/a", headers: Any = None, **fields: Any):
    fields.setdefault("body", f"Comment number {next(_serial)}")
    fields.setdefault("form_token", form_token(client.application))
    return client.post(
        f"/api/v1/articles/{article}/comments", json=VALID | fields, headers=headers or {}
    )


def settings(client: FlaskClient, headers: dict[str, str], article: str = "posts/a") -> Any:
    response = client.get(f"{API}/articles/{article}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def change(client: FlaskClient, headers: dict[str, str], article: str = "posts/a", **fields):
    return client.patch(f"{API}/articles/{article}", json=fields, headers=headers)


@pytest.fixture
def admin_headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        accounts.create_moderator("ada", "correct horse battery staple", admin=True)
        token = accounts.create_api_token("ada", "tests")
    return {"Authorization": f"Bearer {token}"}


PAGE = {"article_title": "Hello,\tworld \x00 — a post", "article_url": f"{SITE}/posts/a"}


@pytest.mark.parametrize(
    "sender", [{"Origin": SITE}, {"Referer": f"{SITE}/posts/a?utm=x"}], ids=["origin", "referer"]
)
def test_title_and_url_from_the_sites_own_page_are_kept(client, moderator_headers, sender):
    assert post(client, headers=sender, **PAGE).status_code == 201
    article = settings(client, moderator_headers)
    assert (article["title"], article["url"]) == ("Hello, world — a post", f"{SITE}/posts/a")


@pytest.mark.parametrize(
    ("sender", "fields"),
    [
        ({"Origin": "https://evil.example"}, PAGE),
        ({"Referer": "https://evil.example/posts/a"}, PAGE),
        ({}, PAGE),
        ({"Origin": "null"}, PAGE),
        ({"Origin": "https://blog.example.com.evil.example"}, PAGE),
    ],
)
def test_title_and_url_from_anywhere_else_are_ignored(client, moderator_headers, sender, fields):
    assert post(client, headers=sender, **fields).status_code == 201
    article = settings(client, moderator_headers)
    assert (article["title"], article["url"]) == (None, None)


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/posts/a", "javascript:alert(1)", f"{SITE}/a\nb", "not a url"],
)
def test_a_url_off_the_site_is_ignored_even_from_the_sites_page(client, moderator_headers, url):
    sent = post(client, headers={"Origin": SITE}, article_title="Fine", article_url=url)
    assert sent.status_code == 201
    assert (
        settings(client, moderator_headers)["title"],
        settings(client, moderator_headers)["url"],
    ) == ("Fine", None)


def test_the_first_report_is_kept_and_later_ones_do_not_overwrite_it(client, moderator_headers):
    post(client, headers={"Origin": SITE}, **PAGE)
    post(client, headers={"Origin": SITE}, article_title="Changed", article_url=f"{SITE}/x")
    article = settings(client, moderator_headers)
    assert (article["title"], article["url"]) == ("Hello, world — a post", f"{SITE}/posts/a")


def test_admins_edit_title_and_url_and_moderators_may_not(client, moderator_headers, admin_headers):
    post(client)
    refused = change(client, moderator_headers, title="Mine")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "not_allowed"

    edited = change(client, admin_headers, title="Proper title", url=f"{SITE}/proper")

    assert edited.status_code == 200
    assert (edited.get_json()["title"], edited.get_json()["url"]) == (
        "Proper title",
        f"{SITE}/proper",
    )
    post(client, headers={"Origin": SITE}, **PAGE)
    assert settings(client, moderator_headers)["title"] == "Proper title"
    events = client.get(f"{API}/events", headers=moderator_headers).get_json()["events"]
    assert [(e["action"], e["article"], e["moderator"]) for e in events] == [
        ("article_settings", "posts/a", "ada")
    ]
    assert events[0]["data"]["changes"]["title"] == [None, "Proper title"]


def test_a_locked_article_refuses_comments(client, moderator_headers):
    post(client)
    client.post(f"{API}/articles/posts/a/lock", headers=moderator_headers)
    refused = post(client)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "comments_closed"
    assert settings(client, moderator_headers)["locked"] is True


def test_a_close_date_closes_the_article_when_it_comes(app, client, moderator_headers):
    post(client)
    closes = datetime.now(UTC) + timedelta(days=1)
    changed = change(client, moderator_headers, closes_at=closes.isoformat())
    assert changed.status_code == 200
    assert post(client).status_code == 201

    with app.app_context():
        db.session.execute(
            update(Article).values(closes_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()
    refused = post(client)

    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "comments_closed"
    assert "Comments on this article closed on" in refused.get_json()["error"]["message"]
    assert post(client, article="posts/other").status_code == 201
    reopened = change(client, moderator_headers, closes_at=None)
    assert reopened.get_json()["closes_at"] is None
    assert post(client).status_code == 201


def test_an_articles_moderation_mode_overrides_the_sites(make_app):
    app = make_app(MODERATION="off")
    client = app.test_client()
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")
        headers = {"Authorization": f"Bearer {accounts.create_api_token('mia')}"}
    post(client, article="posts/heated")
    assert change(client, headers, "posts/heated", moderation="pre").status_code == 200

    held = post(client, article="posts/heated").get_json()
    calm = post(client, article="posts/calm").get_json()

    assert (held["status"], calm["status"]) == ("pending", "approved")
    assert change(client, headers, "posts/heated", moderation=None).status_code == 200
    assert post(client, article="posts/heated").get_json()["status"] == "approved"


def test_articles_are_listed_with_their_pending_counts(client, moderator_headers):
    for article, n in (("posts/a", 1), ("posts/b", 3), ("posts/c", 0)):
        for _ in range(n):
            post(client, article=article)
    post(client, article="posts/c", headers={"Origin": SITE}, article_title="Quiet one")
    client.post(f"{API}/comments/4/approve", headers=moderator_headers)

    listed = client.get(f"{API}/articles", headers=moderator_headers).get_json()["articles"]
    found = client.get(f"{API}/articles?q=quiet", headers=moderator_headers).get_json()

    assert [(a["article"], a["pending_count"]) for a in listed] == [
        ("posts/b", 2),
        ("posts/c", 1),
        ("posts/a", 1),
    ]
    assert [a["article"] for a in found["articles"]] == ["posts/c"]


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({}, 422),
        ({"moderation": "sometimes"}, 422),
        ({"url": "javascript:alert(1)"}, 422),
        ({"closes_at": "tomorrow"}, 422),
        ({"closes_at": "2030-01-01T00:00:00"}, 422),
        ({"closes_at": "9999-12-31T23:59:59-05:00"}, 422),
        ({"closes_at": "0001-01-01T00:00:00+05:00"}, 422),
        ({"title": "bad\x00title"}, 422),
        ({"locked": True}, 422),
    ],
)
def test_bad_setting_changes_get_a_clear_answer(client, admin_headers, fields, status):
    post(client)
    response = change(client, admin_headers, **fields)
    assert response.status_code == status, response.get_json()


def test_unknown_articles_are_not_found(client, admin_headers):
    assert client.get(f"{API}/articles/posts/nope", headers=admin_headers).status_code == 404


def prepare_events(app: Flask) -> list[tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(Article.key, ModerationEvent.moderator_id)
            .join(Article, Article.id == ModerationEvent.article_id)
            .where(ModerationEvent.action == "prepare_article")
        )
        return [tuple(row) for row in rows]


def test_a_story_locked_before_its_first_comment_refuses_that_comment(
    app, client, moderator_headers
):
    locked = client.post(f"{API}/articles/news/embargoed/lock", headers=moderator_headers)

    assert locked.status_code == 200, locked.get_json()
    assert locked.get_json() == {"article": "news/embargoed", "locked": True}
    refused = post(client, article="news/embargoed")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "comments_closed"
    assert settings(client, moderator_headers, "news/embargoed")["locked"] is True
    assert [key for key, _ in prepare_events(app)] == ["news/embargoed"]


def test_a_story_set_to_pre_moderation_before_its_first_comment_holds_it(make_app):
    app = make_app(MODERATION="off")
    client = app.test_client()
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")
        headers = {"Authorization": f"Bearer {accounts.create_api_token('mia')}"}

    prepared = change(client, headers, "news/sensitive", moderation="pre")

    assert prepared.status_code == 200, prepared.get_json()
    assert prepared.get_json()["moderation"] == "pre"
    assert post(client, article="news/sensitive").get_json()["status"] == "pending"
    assert post(client, article="news/calm").get_json()["status"] == "approved"
    assert len(prepare_events(app)) == 1


def test_a_close_date_set_before_the_first_comment_holds(app, client, moderator_headers):
    closes = datetime.now(UTC) + timedelta(days=1)
    assert (
        change(client, moderator_headers, "news/x", closes_at=closes.isoformat()).status_code == 200
    )
    assert post(client, article="news/x").status_code == 201
    with app.app_context():
        db.session.execute(
            update(Article).values(closes_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()
    assert post(client, article="news/x").get_json()["error"]["code"] == "comments_closed"


def test_an_article_prepared_long_before_its_first_comment_closes_by_age_from_that_comment(
    make_app,
):
    app = make_app(CLOSE_AFTER_DAYS=7)
    client = app.test_client()
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")
        headers = {"Authorization": f"Bearer {accounts.create_api_token('mia')}"}
    assert change(client, headers, "news/later", moderation="pre").status_code == 200
    backdate(app, days=30)

    assert post(client, article="news/later").status_code == 201
    assert post(client, article="news/later").status_code == 201
    backdate(app, days=8)
    refused = post(client, article="news/later")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "comments_closed"


def backdate(app: Flask, days: int) -> None:
    with app.app_context():
        db.session.execute(
            update(Article).values(created_at=datetime.now(UTC) - timedelta(days=days))
        )
        db.session.commit()


def test_reopening_an_unknown_article_is_refused_and_creates_nothing(
    app, client, moderator_headers
):
    refused = client.post(f"{API}/articles/news/never/unlock", headers=moderator_headers)

    assert refused.status_code == 409
    assert prepare_events(app) == []
    assert client.get(f"{API}/articles/news/never", headers=moderator_headers).status_code == 404


def test_an_unknown_article_is_prepared_from_the_queue(app, client):
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")
    sign_in(client)
    page = client.get("/moderation/?article=news/launch").get_data(as_text=True)
    assert "no comments yet" in page
    assert 'action="/moderation/articles/settings"' in page

    saved = client.post(
        "/moderation/articles/settings",
        data={"csrf_token": csrf_token(client), "article": "news/launch", "moderation": "pre"},
        follow_redirects=True,
    )
    closed = client.post(
        "/moderation/articles/lock",
        data={"csrf_token": csrf_token(client), "article": "news/launch", "locked": "1"},
        follow_redirects=True,
    )

    assert flashes(saved) == [("flash-info", "Settings of news/launch saved.")]
    assert flashes(closed) == [("flash-info", "Comments on news/launch are closed.")]
    assert post(client, article="news/launch").get_json()["error"]["code"] == "comments_closed"
    assert [key for key, _ in prepare_events(app)] == ["news/launch"]


@pytest.mark.parametrize("key", ["bad\x01key", "x" * 256])
def test_an_article_is_prepared_only_under_a_valid_key(app, client, moderator_headers, key):
    response = change(client, moderator_headers, key, moderation="pre")

    assert response.status_code in (404, 422), response.get_json()
    assert prepare_events(app) == []


def test_the_queue_groups_pending_by_article_and_edits_its_settings(app, client):
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple", admin=True)
    post(client, article="posts/a", headers={"Origin": SITE}, article_title="<b>Bold</b> title")
    post(client, article="posts/a")
    post(client, article="posts/b")
    sign_in(client)

    queue = client.get("/moderation/").get_data(as_text=True)
    assert 'aria-label="Pending by article"' in queue
    assert '&lt;b&gt;Bold&lt;/b&gt; title <span class="count">2</span>' in queue
    saved = client.post(
        "/moderation/articles/settings",
        data={
            "csrf_token": csrf_token(client),
            "article": "posts/a",
            "title": "Plain title",
            "url": f"{SITE}/posts/a",
            "closes_at": "2099-01-01T12:00",
            "moderation": "trusted",
            "next": "/moderation/?article=posts/a",
        },
        follow_redirects=True,
    )

    assert flashes(saved) == [("flash-info", "Settings of posts/a saved.")]
    page = saved.get_data(as_text=True)
    assert (
        "closes 01 Jan 2099, 12:00 UTC" in page and "moderation: <strong>trusted</strong>" in page
    )
    assert "2 pending" in page
    bad = client.post(
        "/moderation/articles/settings",
        data={"csrf_token": csrf_token(client), "article": "posts/a", "url": "javascript:x"},
        follow_redirects=True,
    )
    assert flashes(bad) == [("flash-error", "Enter the page's full http or https address.")]


def test_the_command_line_lists_articles_and_changes_settings(app, client, moderator_headers):
    post(client, article="posts/a")

    refused = run_cli(app, "articles", "set", "posts/a", "--title", "T", "--moderator", "mia")
    changed = run_cli(
        app,
        "articles",
        "set",
        "posts/a",
        "--mode",
        "off",
        "--closes-at",
        "2099-01-01T00:00",
        "--moderator",
        "mia",
    )
    listed = run_cli(app, "articles", "list")
    bad = run_cli(app, "articles", "set", "posts/a", "--closes-at", "soon", "--moderator", "mia")

    assert refused.exit_code != 0 and "Only admins" in refused.output
    assert changed.exit_code == 0, changed.output
    assert "1 pending  posts/a  [closes 2099-01-01 00:00, moderation off]" in listed.output
    assert bad.exit_code != 0 and "Not a valid datetime" in bad.output


def test_the_queue_groups_a_page_by_article_with_pending_counts(app, client):
    with app.app_context():
        accounts.create_moderator("mia", "correct horse battery staple")
    first_b = post(client, article="posts/b").get_json()["id"]
    first_a = post(client, article="posts/a").get_json()["id"]
    second_b = post(client, article="posts/b").get_json()["id"]
    sign_in(client)

    page = client.get("/moderation/?group=article").get_data(as_text=True)
    plain = client.get("/moderation/").get_data(as_text=True)

    order = [page.index(marker) for marker in (">posts/a</a> <span", f'id="c{first_a}"')]
    order += [page.index(marker) for marker in (">posts/b</a> <span", f'id="c{first_b}"')]
    order.append(page.index(f'id="c{second_b}"'))
    assert order == sorted(order)
    assert "2 pending</span>" in page and "1 pending</span>" in page
    assert 'class="group-heading"' not in plain
    assert plain.index(f'id="c{first_b}"') < plain.index(f'id="c{first_a}"')


# Locking and closing, through the HTTP API as the widget and a moderator's script see it.


def test_locked_article_refuses_new_comments_until_unlocked(app, client):
    headers = screening.token_headers(app)
    assert screening.post(client, body="Before the lock.").status_code == 201
    lock = client.post(
        "/api/v1/moderation/articles/posts/hello/lock",
        json={"note": "Heated thread"},
        headers=headers,
    )
    assert lock.status_code == 200
    assert lock.get_json() == {"article": "posts/hello", "locked": True}

    refused = screening.post(client, body="After the lock.", email="bea@example.org")
    assert refused.status_code == 403
    assert refused.get_json()["error"] == {
        "code": "comments_closed",
        "message": "Comments on this article have been closed by the moderators.",
    }
    # Other articles are open.
    assert screening.post(client, "posts/other", body="Elsewhere.").status_code == 201

    unlock = client.post("/api/v1/moderation/articles/posts/hello/unlock", headers=headers)
    assert unlock.get_json() == {"article": "posts/hello", "locked": False}
    assert (
        screening.post(client, body="After the unlock.", email="bea@example.org").status_code == 201
    )


def test_lock_and_unlock_are_in_the_audit_log(app, client):
    headers = screening.token_headers(app)
    screening.post(client, body="Hi.")
    client.post(
        "/api/v1/moderation/articles/posts/hello/lock", json={"note": "Heated"}, headers=headers
    )
    client.post("/api/v1/moderation/articles/posts/hello/unlock", headers=headers)
    unlock, lock = screening.events(client, headers)[:2]
    assert {k: v for k, v in lock.items() if k not in ("id", "created_at")} == {
        "comment_id": None,
        "article": "posts/hello",
        "moderator": "mia",
        "actor": "moderator",
        "action": "lock",
        "from_status": None,
        "to_status": None,
        "note": "Heated",
        "ban_id": None,
        "commenter_hash": None,
        "data": None,
    }
    assert (unlock["action"], unlock["article"], unlock["note"]) == ("unlock", "posts/hello", None)


def test_decisions_in_the_audit_log_name_the_comments_article(app, client):
    headers = screening.token_headers(app)
    comment_id = screening.post(client, "posts/deep/path", body="Hi.").get_json()["id"]
    approve(client, headers, comment_id)
    [event] = screening.events(client, headers)
    assert (event["comment_id"], event["article"], event["action"]) == (
        comment_id,
        "posts/deep/path",
        "approve",
    )


def test_locking_twice_or_reopening_an_unknown_article_is_refused(app, client):
    headers = screening.token_headers(app)
    screening.post(client, body="Hi.")
    path = "/api/v1/moderation/articles/posts/hello"
    assert client.post(f"{path}/unlock", headers=headers).status_code == 409
    assert client.post(f"{path}/lock", headers=headers).status_code == 200
    again = client.post(f"{path}/lock", headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["message"] == "Article 'posts/hello' is already locked."
    # An unknown article has nothing to reopen; locking one prepares it (issue 16, item 13).
    missing = client.post("/api/v1/moderation/articles/posts/nowhere/unlock", headers=headers)
    assert missing.status_code == 409
    assert missing.get_json()["error"]["message"] == "Article 'posts/nowhere' is already open."


def test_locking_needs_a_moderator_token(app, client):
    screening.post(client, body="Hi.")
    assert client.post("/api/v1/moderation/articles/posts/hello/lock").status_code == 401
    assert screening.post(client, body="Still open.", email="bea@example.org").status_code == 201


@pytest.mark.parametrize(
    ("age_days", "open_"), [(0, True), (6.9, True), (7.1, False), (400, False)]
)
def test_articles_close_some_days_after_their_first_comment(make_app, age_days, open_):
    app = make_app(CLOSE_AFTER_DAYS=7)
    client = app.test_client()
    assert screening.post(client, body="First.").status_code == 201
    with app.app_context():
        db.session.execute(update(Article).values(created_at=utcnow() - timedelta(days=age_days)))
        db.session.commit()
    response = screening.post(client, body="Later.", email="bea@example.org")
    if open_:
        assert response.status_code == 201
    else:
        assert response.status_code == 403
        assert response.get_json()["error"] == {
            "code": "comments_closed",
            "message": "Comments on this article closed 7 days after the first one.",
        }


def test_articles_never_close_by_age_by_default(app, client):
    screening.post(client, body="First.")
    with app.app_context():
        db.session.execute(update(Article).values(created_at=utcnow() - timedelta(days=3650)))
        db.session.commit()
    assert screening.post(client, body="Ten years on.", email="bea@example.org").status_code == 201
