"""The moderators' web pages through the Flask test client, on SQLite and PostgreSQL: who may
reach what, sign-in, sessions, CSRF, decisions that race a colleague, waves, admin pages."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.extensions import db
from service.http.web.auth import BAD_LOGIN
from service.models import ApiToken, Comment, ModerationEvent, Moderator
from service.moderation import accounts, decisions, waves
from service.privacy import vault
from tests.conftest import VALID, submit

PASSWORD = "correct horse battery staple"
NOOR_PASSWORD = "another long password"
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_FLASHES = re.compile(r'<div class="flash (flash-\w+)" role="status">(.*?)</div>', re.S)


def csrf_token(client: FlaskClient, **kwargs: Any) -> str:
    """The token a page hands out: the login page when signed out, the queue when in."""
    page = client.get("/moderation/login", follow_redirects=True, **kwargs)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)
    return match.group(1)


def sign_in(
    client: FlaskClient, username: str = "mia", password: str = PASSWORD, **kwargs: Any
) -> Any:
    data = {"csrf_token": csrf_token(client, **kwargs), "username": username, "password": password}
    # As a browser does; over HTTPS the CSRF check also wants the page the form came from.
    base = kwargs.get("base_url", "http://localhost")
    headers = {"Referer": f"{base}/moderation/login"}
    return client.post("/moderation/login", data=data, headers=headers, **kwargs)


def flashes(response: Any) -> list[tuple[str, str]]:
    """(category, text) of each flash message on a page."""
    return [
        (category, " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split()))
        for category, text in _FLASHES.findall(response.get_data(as_text=True))
    ]


def new_comment(client: FlaskClient, article: str = "posts/hello", **fields: Any) -> int:
    response = submit(client, article, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def moderator_id(app: Flask, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Moderator.id).where(Moderator.username == username))


def status_of(app: Flask, comment_id: int) -> str:
    with app.app_context():
        return db.session.get(Comment, comment_id).status.value


def event_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ModerationEvent))


def snapshot(app: Flask) -> list[tuple[str, list[Any]]]:
    """Every row of every table: whatever a moderation page or action could change."""
    with app.app_context():
        return [
            (table.name, db.session.execute(select(table).order_by(*table.primary_key)).all())
            for table in db.metadata.sorted_tables
        ]


@dataclass
class World:
    """A small moderation site: an admin (mia), a moderator (noor), a pending comment, a wave
    of three, an earlier decision of mia's that can be undone, and one of noor's tokens."""

    comment: int
    fingerprint: str
    batch: str
    mia: int
    noor: int
    token: int
    commenter: str


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> World:
    with app.app_context():
        mia = accounts.create_moderator("mia", PASSWORD, admin=True).id
        noor = accounts.create_moderator("noor", NOOR_PASSWORD).id
        accounts.create_api_token("noor", "script")
        token = db.session.scalar(select(ApiToken.id))
    comment = new_comment(client, body="A pending comment to decide.")
    decided = new_comment(client, body="Decided earlier, can be undone.")
    for n in range(3):
        new_comment(
            client,
            email=f"wave{n}@example.org",
            body=f"Cheap pills {n}!! https://pills.example/{n}",
        )
    with app.app_context():
        batch = decisions.decide_many([decided], "reject", mia).batch
        fingerprint = waves.waves(waves.Filters())[0]["fingerprint"]
        commenter = vault.vault().email_hash(VALID["email"])
    return World(comment, fingerprint, batch, mia, noor, token, commenter)


def action_data(world: World) -> dict[str, Any]:
    """Form fields that would make each action succeed for a signed-in admin."""
    return {
        f"seen-{world.comment}": "pending",
        "ids": str(world.comment),
        "action": "approve",
        "fingerprint": world.fingerprint,
        "batch": world.batch,
        "username": "mallory",
        "password": "a long enough password",
        "active": "0",
        "label": "stolen",
        "article": "posts/hello",
        "locked": "1",
        "moderation": "off",
        "do": "save",
        "hold_word": "moderation",
        "deny_domain": "blog.example.com",
        "kind": "email",
        "reason": "testing",
        "spam": "1",
        "target": "troll@example.org",
        "body": "a note",
        "email": VALID["email"],
        "mode": "delete",
    }


PAGES = [
    "/moderation/",
    "/moderation/?status=all",
    "/moderation/events",
    "/moderation/admin/moderators",
    "/moderation/admin/tokens",
    "/moderation/admin/rules",
    "/moderation/bans",
    "/moderation/commenters/{commenter}",
    "/moderation/admin/privacy",
]
ACTIONS = [
    "/moderation/logout",
    "/moderation/comments/{comment}/approve",
    "/moderation/comments/{comment}/reject",
    "/moderation/comments/{comment}/spam",
    "/moderation/comments/{comment}/delete",
    "/moderation/comments/{comment}/restore",
    "/moderation/bulk",
    "/moderation/waves",
    "/moderation/undo",
    "/moderation/articles/lock",
    "/moderation/articles/settings",
    "/moderation/comments/{comment}/ban",
    "/moderation/comments/{comment}/edit",
    "/moderation/comments/{comment}/pin",
    "/moderation/commenters/{commenter}/notes",
    "/moderation/bans",
    "/moderation/bans/1/lift",
    "/moderation/admin/moderators",
    "/moderation/admin/moderators/{noor}/active",
    "/moderation/admin/moderators/{noor}/password",
    "/moderation/admin/tokens",
    "/moderation/admin/tokens/{token}/revoke",
    "/moderation/admin/rules",
    "/moderation/admin/privacy/export",
    "/moderation/admin/privacy/erase",
]
ADMIN_PAGES = [path for path in PAGES if "/admin/" in path]
ADMIN_ACTIONS = [path for path in ACTIONS if "/admin/" in path]


def _path(template: str, world: World) -> str:
    return template.format(
        comment=world.comment, noor=world.noor, token=world.token, commenter=world.commenter
    )


def _redirects_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.location.startswith("/moderation/login?next=")


def test_route_lists_cover_every_moderation_endpoint(app):
    adapter = app.url_map.bind("localhost")
    ids = {"comment": 1, "noor": 1, "token": 1, "commenter": "a" * 64}
    covered = {adapter.match(p.split("?")[0].format(**ids), "GET")[0] for p in PAGES} | {
        adapter.match(p.format(**ids), "POST")[0] for p in ACTIONS
    }
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/moderation") and rule.endpoint != "auth.login"
    }
    assert covered == endpoints


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_pages_redirect_to_login(client, world, path):
    response = client.get(_path(path, world))
    assert _redirects_to_login(response)


@pytest.mark.parametrize("path", ACTIONS)
def test_signed_out_actions_redirect_to_login_and_change_nothing(app, client, world, path):
    before = snapshot(app)
    data = action_data(world) | {"csrf_token": csrf_token(client)}
    response = client.post(_path(path, world), data=data)
    assert _redirects_to_login(response)
    assert snapshot(app) == before


@pytest.mark.parametrize("path", PAGES)
def test_disabled_moderators_session_no_longer_opens_pages(app, client, world, path):
    assert sign_in(client).status_code == 302
    assert client.get(_path(path, world)).status_code == 200
    with app.app_context():
        accounts.set_active(world.mia, False)
    assert _redirects_to_login(client.get(_path(path, world)))


@pytest.mark.parametrize("path", ACTIONS)
def test_disabled_moderators_session_can_take_no_action(app, client, world, path):
    assert sign_in(client).status_code == 302
    token = csrf_token(client)
    with app.app_context():
        accounts.set_active(world.mia, False)
    before = snapshot(app)
    response = client.post(_path(path, world), data=action_data(world) | {"csrf_token": token})
    assert _redirects_to_login(response)
    assert snapshot(app) == before


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_forbidden_to_moderators(client, world, path):
    assert sign_in(client, "noor", NOOR_PASSWORD).status_code == 302
    response = client.get(path)
    assert response.status_code == 403
    assert "Your account cannot do that." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ADMIN_ACTIONS)
def test_admin_actions_are_forbidden_to_moderators(app, client, world, path):
    assert sign_in(client, "noor", NOOR_PASSWORD).status_code == 302
    before = snapshot(app)
    data = action_data(world) | {"csrf_token": csrf_token(client), "username": "noor"}
    response = client.post(_path(path, world), data=data)
    assert response.status_code == 403
    assert snapshot(app) == before


def test_moderators_do_not_see_links_to_admin_pages(client, world):
    sign_in(client, "noor", NOOR_PASSWORD)
    page = client.get("/moderation/").get_data(as_text=True)
    assert "/moderation/admin/" not in page


@pytest.mark.parametrize("path", ACTIONS)
def test_post_without_csrf_token_is_refused_and_changes_nothing(app, client, world, path):
    assert sign_in(client).status_code == 302
    before = snapshot(app)
    response = client.post(_path(path, world), data=action_data(world))
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_post_with_a_forged_csrf_token_is_refused(app, client, world):
    sign_in(client)
    before = snapshot(app)
    data = action_data(world) | {"csrf_token": "IjEyMyI.forged.token"}
    response = client.post(f"/moderation/comments/{world.comment}/approve", data=data)
    assert response.status_code == 400
    assert snapshot(app) == before


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/moderation/login", data={"username": "mia", "password": PASSWORD})
    assert response.status_code == 400
    assert _redirects_to_login(client.get("/moderation/"))


def test_signing_in_opens_the_queue_and_signing_out_closes_it(client, world):
    response = sign_in(client)
    assert response.status_code == 302 and response.location == "/moderation/"
    assert client.get("/moderation/").status_code == 200
    response = client.post("/moderation/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.location == "/moderation/login"
    assert _redirects_to_login(client.get("/moderation/"))


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/moderation/events", "/moderation/events"),
        ("https://evil.example/phish", "/moderation/"),
        ("//evil.example/phish", "/moderation/"),
        ("/\\evil.example", "/moderation/"),
        ("/\t/evil.example", "/moderation/"),
    ],
)
def test_login_returns_to_the_page_asked_for_but_never_off_site(client, world, next_url, lands_on):
    data = {"csrf_token": csrf_token(client), "username": "mia", "password": PASSWORD}
    response = client.post("/moderation/login", query_string={"next": next_url}, data=data)
    assert response.status_code == 302
    assert response.location == lands_on


def test_unknown_user_and_wrong_password_get_the_same_answer(app, client, world):
    with app.app_context():
        accounts.set_active(world.noor, False)
    answers = [
        sign_in(client, "nobody", PASSWORD),
        sign_in(client, "mia", "not the password"),
        sign_in(client, "noor", NOOR_PASSWORD),  # right password, disabled account
    ]
    for response in answers:
        assert response.status_code == 401
        page = response.get_data(as_text=True)
        assert f'<p class="error" role="alert">{html.escape(BAD_LOGIN)}</p>' in page
    pages = [_CSRF.sub("", r.get_data(as_text=True)) for r in answers]
    assert pages[0].replace("nobody", "?") == pages[1].replace("mia", "?") != ""
    assert _redirects_to_login(client.get("/moderation/"))


def test_empty_login_form_asks_for_username_and_password(client, world):
    response = sign_in(client, "", "")
    assert response.status_code == 401
    assert "Enter your username and password." in response.get_data(as_text=True)


def _attempt(client: FlaskClient, username: str, password: str, ip: str) -> Any:
    return sign_in(client, username, password, environ_base={"REMOTE_ADDR": ip})


def _is_rate_limited(response: Any) -> bool:
    page = response.get_data(as_text=True)
    return (
        response.status_code == 429
        and "Too many attempts. Please wait a minute and try again." in page
        and int(response.headers["Retry-After"]) > 0
    )


def test_login_is_rate_limited_per_account_across_addresses(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
        accounts.create_moderator("noor", NOOR_PASSWORD)
    client = app.test_client()
    for n in range(3):
        assert _attempt(client, "mia", "wrong guess", f"10.0.0.{n}").status_code == 401
    # Even the right password, from a fresh address: the account is resting.
    assert _is_rate_limited(_attempt(client, "mia", PASSWORD, "10.0.0.99"))
    assert _is_rate_limited(_attempt(client, " MIA ", PASSWORD, "10.0.0.98"))
    # Other accounts are not locked out by it.
    assert _attempt(app.test_client(), "noor", NOOR_PASSWORD, "10.0.0.50").status_code == 302


def test_login_is_rate_limited_per_address_across_accounts(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
    client = app.test_client()
    for name in ("ann", "bob", "cy"):
        assert _attempt(client, name, "guess", "192.0.2.7").status_code == 401
    assert _is_rate_limited(_attempt(client, "mia", PASSWORD, "192.0.2.7"))
    assert _attempt(app.test_client(), "mia", PASSWORD, "192.0.2.8").status_code == 302


def test_password_reset_ends_the_moderators_sessions(app, world):
    noor, other_tab = app.test_client(), app.test_client()
    sign_in(noor, "noor", NOOR_PASSWORD)
    sign_in(other_tab, "noor", NOOR_PASSWORD)
    assert noor.get("/moderation/").status_code == 200
    with app.app_context():
        accounts.reset_password(world.noor, "a brand new password")
    assert _redirects_to_login(noor.get("/moderation/"))
    assert _redirects_to_login(other_tab.get("/moderation/events"))
    assert sign_in(noor, "noor", NOOR_PASSWORD).status_code == 401
    assert sign_in(noor, "noor", "a brand new password").status_code == 302


def _set_cookie(response: Any, name: str = "session") -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert cookies, response.headers
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_lax_over_http(client, world):
    cookie = _set_cookie(sign_in(client))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(client, world):
    https = {"base_url": "https://localhost"}
    token = csrf_token(client, **https)
    no_referer = {"csrf_token": token, "username": "mia", "password": PASSWORD}
    assert client.post("/moderation/login", data=no_referer, **https).status_code == 400
    response = sign_in(client, **https)
    assert response.status_code == 302
    cookie = _set_cookie(response)
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/moderation/", **https).status_code == 200


def test_queue_page_shows_what_a_moderator_needs_to_decide(app, client, world):
    parent = new_comment(client, body="The parent, approved.", name="Tom Okafor")
    with app.app_context():
        decisions.decide(parent, "approve", world.mia)
    reply = new_comment(
        client,
        body="A reply with **bold** text.",
        name="Jin Park",
        email="jin@example.org",
        website="https://jin.example",
        parent_id=parent,
    )
    sign_in(client)
    page = client.get("/moderation/").get_data(as_text=True)
    row = re.search(rf'id="c{reply}".*?(?=<li class="comment|</ol>)', page, re.S).group(0)
    assert "Jin Park" in row and "jin@example.org" in row
    assert 'href="https://jin.example"' in row
    assert "<strong>bold</strong>" in row
    assert "In reply to <strong>Tom Okafor</strong>" in row
    assert "The site holds every comment until a moderator approves it." in row
    assert "history: 0 approved · 0 rejected · 0 spam" in row
    assert f'name="seen-{reply}" value="pending"' in row


def test_decision_with_a_click_redirects_back_with_an_undo_that_works(app, client, world):
    sign_in(client)
    token = csrf_token(client)
    response = client.post(
        f"/moderation/comments/{world.comment}/approve",
        data={"csrf_token": token, f"seen-{world.comment}": "pending", "note": "fine by me"},
        follow_redirects=True,
    )
    assert flashes(response) == [("flash-undo", "1 comment approved. Undo")]
    assert status_of(app, world.comment) == "approved"
    batch = re.search(r'name="batch" value="(\w+)"', response.get_data(as_text=True)).group(1)

    response = client.post(
        "/moderation/undo", data={"csrf_token": token, "batch": batch}, follow_redirects=True
    )
    assert flashes(response) == [("flash-info", "1 comment put back.")]
    assert status_of(app, world.comment) == "pending"
    response = client.post(
        "/moderation/undo", data={"csrf_token": token, "batch": batch}, follow_redirects=True
    )
    assert flashes(response)[0][0] == "flash-error"
    assert status_of(app, world.comment) == "pending"


def test_decision_asked_for_as_json_answers_json(app, client, world):
    sign_in(client)
    response = client.post(
        f"/moderation/comments/{world.comment}/spam",
        data={"csrf_token": csrf_token(client), f"seen-{world.comment}": "pending"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == "1 comment marked as spam."
    assert body["results"] == [{"id": world.comment, "status": "spam", "error": None}]
    assert body["batch"]
    assert status_of(app, world.comment) == "spam"


@pytest.mark.parametrize("how", ["one", "bulk"])
def test_decision_on_a_comment_someone_else_decided_meanwhile_is_refused(app, client, world, how):
    sign_in(client)
    page = client.get("/moderation/").get_data(as_text=True)
    seen = re.search(rf'name="seen-{world.comment}" value="(\w+)"', page).group(1)
    assert seen == "pending"
    # Noor approves it in her own tab while mia's page still says pending.
    with app.app_context():
        decisions.decide(world.comment, "approve", world.noor)
    events = event_count(app)

    data = {"csrf_token": csrf_token(client), f"seen-{world.comment}": seen}
    if how == "one":
        path = f"/moderation/comments/{world.comment}/reject"
    else:
        path, data = "/moderation/bulk", data | {"action": "reject", "ids": str(world.comment)}
    response = client.post(path, data=data, follow_redirects=True)

    assert flashes(response) == [
        (
            "flash-error",
            f"0 comments rejected. Not changed: Comment {world.comment} is now approved "
            "(it was pending when you looked); nothing was changed.",
        )
    ]
    assert status_of(app, world.comment) == "approved"
    assert event_count(app) == events


def test_bulk_without_a_selection_asks_for_one(app, client, world):
    sign_in(client)
    before = snapshot(app)
    response = client.post(
        "/moderation/bulk",
        data={"csrf_token": csrf_token(client), "action": "approve"},
        follow_redirects=True,
    )
    assert flashes(response) == [
        ("flash-error", "Select at least one comment, then choose an action.")
    ]
    assert snapshot(app) == before


def test_bulk_reports_each_comment_that_could_not_move(app, client, world):
    other = new_comment(client, body="Another pending one.")
    with app.app_context():
        decisions.decide(other, "reject", world.noor)
    sign_in(client)
    response = client.post(
        "/moderation/bulk",
        data={
            "csrf_token": csrf_token(client),
            "action": "reject",
            "ids": [str(world.comment), str(other), "999999"],
        },
        follow_redirects=True,
    )
    assert flashes(response) == [
        (
            "flash-undo",
            f"1 comment rejected. Not changed: Comment {other} is already rejected. "
            "There is no comment 999999. Undo",
        )
    ]
    assert status_of(app, world.comment) == "rejected"


SPAM_TEMPLATES = [
    "Earn ${n}00 a day from home!!! I started last month, see https://quick-cash.example/r/{n}",
    "EARN ${n}000 A DAY FROM HOME. I started last month... see https://quick-cash.example/{n}/x",
    "earn {n}$ a day, from home? i started last month; see https://Quick-Cash.example/?ref={n}",
    "Earn - ${n}99 - a day from home! I started last month: see https://quick-cash.example/p{n}",
]


def test_spam_wave_from_thirty_addresses_is_one_group_rejected_in_one_post(app, client, world):
    articles = [f"news/story-{n}" for n in range(5)]
    wave = [
        new_comment(
            client,
            articles[n % len(articles)],
            name=f"Winner {n}",
            email=f"winner{n}@mail{n % 4}.example",
            body=SPAM_TEMPLATES[n % len(SPAM_TEMPLATES)].format(n=n + 1),
        )
        for n in range(30)
    ]
    honest = [
        new_comment(client, articles[n], body=f"My honest opinion about story {n}, thanks.")
        for n in range(3)
    ]
    sign_in(client)
    page = client.get("/moderation/").get_data(as_text=True)

    groups = re.findall(r'<article class="wave card">(.*?)</article>', page, re.S)
    summaries = [" ".join(re.sub(r"<[^>]+>", " ", g).split()) for g in groups]
    big = [s for s in summaries if s.startswith("30 ")]
    assert len(big) == 1, summaries
    assert big[0].startswith("30 near-identical comments from 30 addresses on 5 articles")
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', groups[summaries.index(big[0])])
    events = event_count(app)

    response = client.post(
        "/moderation/waves",
        data={
            "csrf_token": csrf_token(client),
            "fingerprint": fingerprint.group(1),
            "action": "reject",
            "note": "quick-cash wave",
        },
        follow_redirects=True,
    )

    assert flashes(response) == [("flash-undo", "30 comments rejected. Undo")]
    assert [status_of(app, i) for i in wave] == ["rejected"] * 30
    assert [status_of(app, i) for i in honest] == ["pending"] * 3
    assert event_count(app) == events + 30
    with app.app_context():
        batches = db.session.execute(
            select(ModerationEvent.batch, ModerationEvent.note, func.count())
            .where(ModerationEvent.comment_id.in_(wave))
            .group_by(ModerationEvent.batch, ModerationEvent.note)
        ).all()
    assert len(batches) == 1 and batches[0][1:] == ("quick-cash wave", 30)
    assert "30 near-identical" not in response.get_data(as_text=True)


def test_wave_action_without_a_choice_is_refused(app, client, world):
    sign_in(client)
    before = snapshot(app)
    response = client.post(
        "/moderation/waves",
        data={"csrf_token": csrf_token(client), "fingerprint": world.fingerprint},
        follow_redirects=True,
    )
    assert flashes(response) == [("flash-error", "Choose what to do with the whole wave.")]
    assert snapshot(app) == before


def test_audit_log_page_lists_decisions_and_filters_them(app, client, world):
    sign_in(client)
    client.post(
        f"/moderation/comments/{world.comment}/spam",
        data={"csrf_token": csrf_token(client), "note": "link farm"},
    )
    page = client.get("/moderation/events").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td><time.*?</tr>", page, re.S)
    assert len(rows) == 2
    cells = re.findall(r"<td>(.*?)</td>", rows[0], re.S)
    assert cells[1:] == [
        "mia",
        "spam",
        f'<a href="/moderation/events?comment_id={world.comment}">#{world.comment}</a>',
        "pending → spam",
        "link farm",
    ]
    only = client.get(f"/moderation/events?comment_id={world.comment}").get_data(as_text=True)
    assert len(re.findall(r"<tr>\s*<td><time", only)) == 1
    nobody = client.get("/moderation/events?moderator=noor").get_data(as_text=True)
    assert "No decisions recorded yet." in nobody


def test_bad_page_links_start_again_from_the_first_page(client, world):
    sign_in(client)
    for path in ("/moderation/?cursor=garbage", "/moderation/events?cursor=garbage"):
        response = client.get(path)
        assert response.status_code == 200
        assert ("flash-error", "This page link is invalid; start again from the first page.") in (
            flashes(response)
        )


# Admin pages


def _admin_post(client: FlaskClient, path: str, **data: str) -> Any:
    data["csrf_token"] = csrf_token(client)
    return client.post(path, data=data, follow_redirects=True)


def test_admin_creates_a_moderator_who_can_then_sign_in(app, client, world):
    sign_in(client)
    response = _admin_post(
        client,
        "/moderation/admin/moderators",
        username="lee",
        password="lee's long password",
        role="moderator",
    )
    assert flashes(response) == [("flash-info", "Created moderator lee.")]
    assert "<td>lee</td>" in response.get_data(as_text=True)
    lee = app.test_client()
    assert sign_in(lee, "lee", "lee's long password").status_code == 302
    assert lee.get("/moderation/admin/moderators").status_code == 403


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("noor", "long enough password", "A moderator called 'noor' already exists."),
        ("lee", "short", "Choose a password of at least 10 characters."),
        ("", "long enough password", "A username has 1 to 80 printable characters."),
    ],
)
def test_admin_gets_a_clear_message_when_a_moderator_cannot_be_created(
    app, client, world, username, password, message
):
    sign_in(client)
    before = snapshot(app)
    response = _admin_post(
        client, "/moderation/admin/moderators", username=username, password=password
    )
    assert flashes(response) == [("flash-error", message)]
    assert snapshot(app) == before


def test_admin_disables_and_enables_a_moderator(app, client, world):
    sign_in(client)
    noor = app.test_client()
    sign_in(noor, "noor", NOOR_PASSWORD)
    path = f"/moderation/admin/moderators/{world.noor}/active"

    response = _admin_post(client, path, active="0")
    assert flashes(response) == [("flash-info", "noor is disabled.")]
    assert _redirects_to_login(noor.get("/moderation/"))
    assert sign_in(noor, "noor", NOOR_PASSWORD).status_code == 401

    response = _admin_post(client, path, active="1")
    assert flashes(response) == [("flash-info", "noor is enabled.")]
    assert sign_in(noor, "noor", NOOR_PASSWORD).status_code == 302


def test_admin_cannot_disable_their_own_account(app, client, world):
    sign_in(client)
    response = _admin_post(client, f"/moderation/admin/moderators/{world.mia}/active", active="0")
    assert flashes(response) == [("flash-error", "You cannot disable your own account.")]
    assert client.get("/moderation/").status_code == 200


def test_admin_resets_a_password_which_ends_that_moderators_session(app, client, world):
    sign_in(client)
    noor = app.test_client()
    sign_in(noor, "noor", NOOR_PASSWORD)
    path = f"/moderation/admin/moderators/{world.noor}/password"

    response = _admin_post(client, path, password="short")
    assert flashes(response) == [("flash-error", "Choose a password of at least 10 characters.")]
    assert noor.get("/moderation/").status_code == 200

    response = _admin_post(client, path, password="noor's new password")
    assert flashes(response) == [
        ("flash-info", "New password set for noor; their sessions have ended.")
    ]
    assert _redirects_to_login(noor.get("/moderation/"))
    assert sign_in(noor, "noor", "noor's new password").status_code == 302


def test_admin_creates_a_token_shown_once_that_works_until_revoked(app, client, world):
    sign_in(client)
    response = _admin_post(client, "/moderation/admin/tokens", username="noor", label="triage")
    page = response.get_data(as_text=True)
    token = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    assert token.startswith("cdk_")
    assert "Copy this token now; it will not be shown again." in page
    assert token not in client.get("/moderation/admin/tokens").get_data(as_text=True)

    headers = {"Authorization": f"Bearer {token}"}
    queue = client.get("/api/v1/moderation/comments", headers=headers)
    assert queue.status_code == 200
    assert world.comment in [c["id"] for c in queue.get_json()["comments"]]

    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.label == "triage"))
    response = _admin_post(client, f"/moderation/admin/tokens/{token_id}/revoke")
    assert flashes(response) == [("flash-info", "Token revoked.")]
    assert client.get("/api/v1/moderation/comments", headers=headers).status_code == 401


def test_admin_token_for_an_unknown_moderator_is_refused(app, client, world):
    sign_in(client)
    before = snapshot(app)
    response = _admin_post(client, "/moderation/admin/tokens", username="ghost", label="x")
    assert flashes(response) == [("flash-error", "There is no moderator called 'ghost'.")]
    assert snapshot(app) == before


def test_unknown_moderation_page_is_a_readable_404(client, world):
    sign_in(client)
    response = client.get("/moderation/nowhere")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)


def test_public_submission_is_unaffected_by_moderation_csrf(client):
    # The public API is for other sites' forms and scripts: no session, no CSRF token.
    response = client.post(
        "/api/v1/articles/posts/hello/comments",
        data=VALID,
        headers={"Referer": "https://blog.example.com/posts/hello"},
    )
    assert response.status_code == 303


# Input no page of ours sends: refused or ignored with a message, never a 500, nothing changed.


@pytest.mark.parametrize(
    "comment_id",
    ["abc", "\u00b2", "99999999999", "9" * 5000, "-3"],
    ids=["letters", "superscript", "beyond-int4", "thousands-of-digits", "negative"],
)
def test_audit_log_comment_filter_that_is_not_an_id_is_reported(client, world, comment_id):
    sign_in(client)
    response = client.get("/moderation/events", query_string={"comment_id": comment_id})
    assert response.status_code == 200
    assert flashes(response) == [("flash-error", "Enter a comment's number to see its history.")]


@pytest.mark.parametrize(
    "ids",
    [["\u00b2"], ["9" * 5000], ["99999999999"], ["-1", "1.5", "0x1"]],
    ids=["superscript", "thousands-of-digits", "beyond-int4", "not-integers"],
)
def test_bulk_ids_that_are_not_comment_ids_change_nothing(app, client, world, ids):
    sign_in(client)
    before = snapshot(app)
    response = client.post(
        "/moderation/bulk",
        data={"csrf_token": csrf_token(client), "action": "approve", "ids": ids},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert [category for category, _ in flashes(response)] == ["flash-error"]
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/moderation/admin/moderators/99999999999/active",
        "/moderation/admin/moderators/99999999999/password",
        "/moderation/admin/tokens/99999999999/revoke",
    ],
)
def test_admin_actions_on_ids_beyond_any_row_change_nothing(app, client, world, path):
    sign_in(client)
    before = snapshot(app)
    response = _admin_post(client, path, active="0", password="a long enough password")
    # Beyond any id the database can hold: no such page.
    assert response.status_code == 404
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/moderation/?article=%00", {}),
        ("GET", "/moderation/?q=a%00b", {}),
        ("GET", "/moderation/events?moderator=%00", {}),
        ("POST", "/moderation/bulk", {"action": "approve", "ids": "1", "seen-1": "\x00"}),
        ("POST", "/moderation/waves", {"action": "reject", "fingerprint": "\x00"}),
        ("POST", "/moderation/undo", {"batch": "\x00"}),
        ("POST", "/moderation/articles/lock", {"article": "posts/\x00", "locked": "1"}),
        ("POST", "/moderation/admin/moderators", {"username": "a\x00", "password": "x" * 12}),
        ("POST", "/moderation/admin/tokens", {"username": "mia", "label": "\x00"}),
    ],
)
def test_nul_characters_are_refused_before_the_database_sees_them(
    app, client, world, method, path, data
):
    sign_in(client)
    before = snapshot(app)
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data=data | {"csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert snapshot(app) == before


def test_login_with_a_nul_character_is_refused(client, world):
    data = {"csrf_token": csrf_token(client), "username": "mia\x00", "password": PASSWORD}
    assert client.post("/moderation/login", data=data).status_code == 400
    assert _redirects_to_login(client.get("/moderation/"))


@pytest.mark.parametrize(
    "last", ["abc", "\u00b2", "9" * 5000], ids=["letters", "superscript", "thousands-of-digits"]
)
def test_rules_simulation_over_a_count_that_is_not_a_number_is_reported(client, world, last):
    sign_in(client)
    response = _admin_post(
        client, "/moderation/admin/rules", do="simulate", hold_word="casino", last=last
    )
    assert response.status_code == 200
    assert flashes(response) == [
        ("flash-error", "Simulate over a whole number of recent comments, 1 to 10,000.")
    ]
