"""Moderators see only their sites. Two sites with comments of every kind, a moderator granted
only the first, and a walk over every moderation route of the app's url_map (web and API, every
method) with the parameters filled with the second site's ids, keys and slug: no answer may
carry anything of the second site, each answers exactly as it does for an object that does not
exist, and the second site's data is untouched afterwards. A route added without scoping fails
the walk; a path parameter the walk cannot fill fails it too, until the walk is taught."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter

from service.extensions import db
from service.models import (
    ApiToken,
    Article,
    Ban,
    Comment,
    CommenterNote,
    ModerationEvent,
    Moderator,
    Site,
    SiteGrant,
    SiteRole,
)
from service.moderation import accounts, commenters, waves
from service.ops.database import write_transaction
from service.privacy import vault
from service.sites import grants, registry
from tests.conftest import VALID, form_token
from tests.http.web.helpers import PASSWORD, csrf_token, sign_in

A_ORIGIN = "https://blog.example.com"  # the default site's, from the environment
B_ORIGIN = "https://bravo.example"
B_SLUG = "gazette-b"
B_NAME = "The Bravo Gazette"
B_KEY = "bravo/secret-story"
B_TITLE = "Bravo Exclusive"
B_EMAIL = "bravo.reader@example.org"
B_AUTHOR = "Bravo Reader"
# Every site-B comment's text has this word; nothing of site A has it.
B_WORD = "bravosecret"
B_NOTE = "bravonote about this reader"
B_BAN_REASON = "bravoreason for the ban"
B_MODERATOR = "bravomod"

# Routes that are global and for admins only: a site's moderator is refused them outright.
ADMIN_ONLY = {
    "admin.moderators",
    "admin.create_moderator",
    "admin.set_active",
    "admin.reset_password",
    "admin.end_sessions",
    "admin.tokens",
    "admin.create_token",
    "admin.revoke_token",
    "sites_api.Sites",
    "sites_api.OneSite",
    "sites_api.grants",
    "sites_api.Grant",
    "sites.index",
    "sites.add",
    "sites.edit",
    "sites.change",
    "sites.remove",
    "sites.grant",
    "sites.revoke",
}
# Not walked: signing in and out is the walk's own session.
NOT_WALKED = {"auth.login", "auth.logout"}
PREFIXES = ("/moderation", "/api/v1/moderation")


@dataclass
class Values:
    """What fills a request: site B's objects, or their ghosts (objects that do not exist)."""

    comments: list[int]
    article: str
    site: str
    ban: int
    commenter: str
    email: str
    batch: str
    fingerprint: str
    moderator: int
    token: int


@dataclass
class TwoSites:
    b: Values
    ghost: Values
    a_comment: int
    alfa_token: str


def _submit(client: FlaskClient, origin: str, article: str, **fields: Any) -> int:
    body = VALID | {"form_token": form_token(client.application)} | fields
    response = client.post(
        f"/api/v1/articles/{article}/comments", json=body, headers={"Origin": origin}
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def _b_comment(client: FlaskClient, n: int, **fields: Any) -> int:
    fields = {"name": B_AUTHOR, "email": B_EMAIL, "body": f"{B_WORD} number {n}."} | fields
    return _submit(client, B_ORIGIN, B_KEY, **fields)


def _decide(client: FlaskClient, token: str, comment_id: int, action: str) -> str:
    response = client.post(
        f"/api/v1/moderation/comments/{comment_id}/{action}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    return str(response.get_json().get("batch"))


def make_two_sites(app: Flask, client: FlaskClient) -> TwoSites:
    """Site A (the default site) with a comment; site B with pending, approved and spam
    comments, a wave, audit events of an admin's, an edit, a lock, a ban, a note, and its own
    moderator; `alfa`, a moderator granted only site A."""
    with app.app_context(), write_transaction() as session:
        session.add(Site(slug=B_SLUG, name=B_NAME, origins=[B_ORIGIN]))
        registry.changed(session)
    with app.app_context():
        admin = accounts.create_moderator("boss", PASSWORD, admin=True)
        admin_token = accounts.create_api_token("boss", "setup")
        alfa = accounts.create_moderator("alfa", PASSWORD)
        alfa_token = accounts.create_api_token("alfa", "walk")
        bravo = accounts.create_moderator(B_MODERATOR, PASSWORD)
        accounts.create_api_token(B_MODERATOR, "theirs")
        site_b = registry.by_slug(B_SLUG)
        with write_transaction() as session:
            session.execute(delete(SiteGrant).where(SiteGrant.moderator_id == bravo.id))
            grants.grant(session, bravo.id, site_b.id, SiteRole.SITE_ADMIN)
        assert grants.site_ids(alfa) == {registry.default().id}

    a_comment = _submit(client, A_ORIGIN, "news/shared", name="Alfa Reader", body="From A.")
    pending = _b_comment(client, 1)
    approved = _b_comment(client, 2)
    spam = _b_comment(client, 3)
    _b_comment(client, 4, body=f"{B_WORD} on a shared key.")
    _submit(client, B_ORIGIN, "news/shared", name=B_AUTHOR, email=B_EMAIL, body=f"{B_WORD} 5")
    for n in range(3):
        _b_comment(
            client,
            10 + n,
            email=f"bravo{n}@example.org",
            body=f"{B_WORD} pills https://p.example/{n}",
        )
    _decide(client, admin_token, approved, "approve")
    batch = _decide(client, admin_token, spam, "spam")
    headers = {"Authorization": f"Bearer {admin_token}"}
    edited = client.patch(
        f"/api/v1/moderation/comments/{approved}",
        json={"body": f"{B_WORD} edited by the admin"},
        headers=headers,
    )
    assert edited.status_code == 200, edited.get_json()
    pinned = client.post(f"/api/v1/moderation/comments/{approved}/pin", headers=headers)
    assert pinned.status_code == 200, pinned.get_json()
    locked = client.post(
        f"/api/v1/moderation/articles/{B_KEY}/lock", query_string={"site": B_SLUG}, headers=headers
    )
    assert locked.status_code == 200, locked.get_json()
    banned = client.post(
        "/api/v1/moderation/bans",
        json={"kind": "email", "email": "bravo2@example.org", "reason": B_BAN_REASON},
        headers=headers,
    )
    assert banned.status_code == 201, banned.get_json()

    with app.app_context():
        ban_id = banned.get_json()["ban"]["id"]
        with write_transaction() as session:
            session.execute(update(Ban).where(Ban.id == ban_id).values(site_id=site_b.id))
            session.execute(update(Article).where(Article.key == B_KEY).values(title=B_TITLE))
        commenter = vault.vault().email_hash(B_EMAIL)
        commenters.add_note(commenter, B_NOTE, db.session.get(Moderator, bravo.id))
        [wave] = waves.waves(waves.Filters(site=B_SLUG), None)
        b = Values(
            comments=[pending, approved, spam],
            article=B_KEY,
            site=B_SLUG,
            ban=ban_id,
            commenter=commenter,
            email=B_EMAIL,
            batch=batch,
            fingerprint=wave["fingerprint"],
            moderator=bravo.id,
            token=db.session.scalar(select(ApiToken.id).where(ApiToken.moderator_id == bravo.id)),
        )
        ghost = Values(
            comments=[999_991, 999_992, 999_993],
            article="ghost/no-such-story",
            site="no-such-site",
            ban=999_998,
            commenter=vault.vault().email_hash("ghost@example.org"),
            email="ghost@example.org",
            batch="0" * 32,
            fingerprint="f" * 16,
            moderator=999_997,
            token=999_996,
        )
        del admin
    return TwoSites(b, ghost, a_comment, alfa_token)


def site_b_state(app: Flask) -> list[Any]:
    """Every row of site B that a moderator's action could change."""
    with app.app_context():
        site_b = registry.by_slug(B_SLUG).id
        b_articles = select(Article.id).where(Article.site_id == site_b)
        b_comments = select(Comment.id).where(Comment.article_id.in_(b_articles))
        rows: list[Any] = []
        for stmt in (
            select(Article).where(Article.site_id == site_b).order_by(Article.id),
            select(Comment).where(Comment.article_id.in_(b_articles)).order_by(Comment.id),
            select(Ban).where(Ban.site_id == site_b).order_by(Ban.id),
            select(CommenterNote).order_by(CommenterNote.id),
            select(ModerationEvent)
            .where(
                ModerationEvent.comment_id.in_(b_comments)
                | ModerationEvent.article_id.in_(b_articles)
            )
            .order_by(ModerationEvent.id),
            select(Moderator).where(Moderator.username == B_MODERATOR),
        ):
            for row in db.session.scalars(stmt):
                rows.append(
                    {c.key: getattr(row, c.key) for c in row.__table__.columns}  # type: ignore[attr-defined]
                )
        return rows


# Filling a route's parameters


def _fill(rule: Rule, values: Values) -> Iterator[dict[str, Any]]:
    """Every way to fill the rule's path with these values (each option of an any())."""
    choices: dict[str, list[Any]] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            choices[name] = list(converter.items)
        elif name == "comment_id":
            choices[name] = values.comments
        elif name == "article":
            choices[name] = [values.article]
        elif name in ("site", "slug"):
            choices[name] = [values.site]
        elif name == "ban_id":
            choices[name] = [values.ban]
        elif name == "email_hash":
            choices[name] = [values.commenter]
        elif name == "moderator_id":
            choices[name] = [values.moderator]
        elif name == "token_id":
            choices[name] = [values.token]
        else:
            pytest.fail(f"The walk cannot fill <{name}> of {rule.rule}: teach it (_fill).")
    names = list(choices)
    for combination in itertools.product(*(choices[n] for n in names)):
        yield dict(zip(names, combination, strict=True))


def _queries(values: Values, has_path_values: bool) -> list[dict[str, Any]]:
    """The query strings a GET is walked with: filters naming site B's things."""
    if has_path_values:
        return [{}, {"site": values.site}]
    word = B_WORD if values.site == B_SLUG else "ghostword"
    return [
        {},
        {"site": values.site},
        {"article": values.article},
        {"article": values.article, "site": values.site},
        {"q": word},
        {"status": "all", "q": word},
        {"comment_id": values.comments[0]},
        {"status": "all"},
        {"status": "spam"},
    ]


def _bodies(rule: Rule, values: Values) -> list[dict[str, Any]]:
    """What a form or an API call is walked with, naming site B's things: every field any
    of them reads (forms ignore the others), and, since the API refuses fields it does not
    know, each API call's shape on its own too."""
    c = values.comments[0]
    every: dict[str, Any] = {
        "ids": values.comments,
        "action": "spam",
        "note": "walked",
        "batch": values.batch,
        "body": "Rewritten by the walk.",
        "fingerprint": values.fingerprint,
        "article": values.article,
        "site": values.site,
        "kind": "email",
        "comment_id": c,
        "reason": "walked",
        "days": 1,
        "locked": "1",
        "moderation": "pre",
        "closes_at": None,
    }
    # An address only where an address is what is asked about: a moderator may ban any
    # address on their own site, which would show its hash on their pages afterwards.
    person = {"email": values.email, "mode": "delete"} if "privacy" in rule.rule else {}
    if not rule.rule.startswith("/api/"):
        return [every | person]
    return [
        every | person,
        {},
        {"note": "walked"},
        {"batch": values.batch},
        {"body": "Rewritten by the walk."},
        {"ids": values.comments, "action": "spam"},
        {"moderation": "pre", "closes_at": None},
        {"title": "Walked", "url": "https://walk.example/"},
        {"kind": "email", "comment_id": c, "reason": "walked"},
        {"body": "A walked note."},
        *([person] if person else []),
    ]


def _form(body: dict[str, Any], token: str) -> dict[str, Any]:
    """A body as a browser posts it (and the queue's script, which asks for JSON back)."""
    form = {k: ("" if v is None else v) for k, v in body.items() if k != "closes_at"}
    return form | {"csrf_token": token}


# Comparing an answer about site B with the answer about a ghost


def _texts(values: Values) -> list[tuple[str, str]]:
    """The values a request may send, each with its stand-in: B's and the ghost's answers
    must be the same with these in place."""
    word = B_WORD if values.site == B_SLUG else "ghostword"
    return [
        (values.article, "<article>"),
        (values.commenter, "<commenter>"),
        (values.email, "<email>"),
        (values.batch, "<batch>"),
        (values.fingerprint, "<fingerprint>"),
        (values.site, "<site>"),
        (word, "<word>"),
    ]


def _numbers(sent: dict[str, Any]) -> set[int]:
    """The ids a request sent (in its path, query or body)."""
    found: set[int] = set()
    for key, value in sent.items():
        if isinstance(value, dict):
            found |= _numbers(value)
        elif key in _ID_KEYS:
            values = value if isinstance(value, list) else [value]
            found |= {v for v in values if isinstance(v, int)}
    return found


_ID_KEYS = {"id", "comment_id", "ids", "ban_id", "moderator_id", "token_id"}


def _normal_json(node: Any, numbers: set[int], texts: list[tuple[str, str]], key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _normal_json(v, numbers, texts, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_normal_json(v, numbers, texts, key) for v in node]
    if isinstance(node, int) and key in _ID_KEYS and node in numbers:
        return "<n>"
    if isinstance(node, str):
        if key == "batch":
            return "<any batch>"
        for value, placeholder in texts:
            node = node.replace(value, placeholder)
        if key == "message":
            for number in numbers:
                node = re.sub(rf"\b{number}\b", "<n>", node)
        return node
    return node


def _normal(response: Any, values: Values, sent: dict[str, Any]) -> tuple[int, Any, str]:
    texts, numbers = _texts(values), _numbers(sent)
    location = response.headers.get("Location", "")
    for value, placeholder in texts:
        location = location.replace(value, placeholder)
    for number in numbers:
        location = re.sub(rf"\b{number}\b", "<n>", location)
    if response.is_json:
        return response.status_code, _normal_json(response.get_json(), numbers, texts), location
    return response.status_code, None, location


LEAKS = [B_WORD, B_KEY, B_TITLE, B_NAME, B_SLUG, B_EMAIL, B_AUTHOR, B_NOTE, B_BAN_REASON]


def _leaks(text: str, values: Values, echoed: dict[str, int]) -> list[str]:
    """Site B's words in an answer, beyond those the request itself sent (`echoed`: how often
    the ghost's answer has the ghost's stand-in for them)."""
    found = []
    for word in [*LEAKS, values.commenter, B_MODERATOR]:
        if text.count(word) > echoed.get(word, 0):
            found.append(word)
    for comment_id in values.comments:
        if re.search(rf'(data-id="{comment_id}"|id="c{comment_id}")', text):
            found.append(f"comment {comment_id}")
    return found


def _ghost_counts(text: str, b: Values, ghost: Values) -> dict[str, int]:
    """How often the ghost's answer echoes each of the ghost's values: site B's answer may
    echo site B's as often, and no more."""
    stand_ins = {
        b.article: ghost.article,
        b.site: ghost.site,
        b.email: ghost.email,
        b.commenter: ghost.commenter,
        B_WORD: "ghostword",
    }
    return {word: text.count(stand_in) for word, stand_in in stand_ins.items()}


def _id_leaks(node: Any, b_ids: set[int], sent: set[int], key: str = "") -> list[int]:
    """Site B's ids in a JSON answer, other than those the request named itself."""
    if isinstance(node, dict):
        return [i for k, v in node.items() for i in _id_leaks(v, b_ids, sent, k)]
    if isinstance(node, list):
        return [i for v in node for i in _id_leaks(v, b_ids, sent, key)]
    if isinstance(node, int) and key in _ID_KEYS and node in b_ids and node not in sent:
        return [node]
    return []


def _routes(app: Flask) -> list[tuple[Rule, str]]:
    walked = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIXES) or rule.endpoint in NOT_WALKED:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            walked.append((rule, method))
    return sorted(walked, key=lambda rm: (rm[0].rule, rm[1]))


def _requests(
    client: FlaskClient,
    rule: Rule,
    method: str,
    path: dict[str, Any],
    values: Values,
    headers: dict[str, str],
    csrf: str,
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Each request the walk makes of one route and method, with what it sent."""
    built = rule.build(path, append_unknown=False)
    assert built is not None
    url = built[1]
    api = rule.rule.startswith("/api/")
    if method == "GET":
        for query in _queries(values, bool(path)):
            answer = client.get(url, query_string=query, headers=headers if api else {})
            yield {"path": path, **query}, answer
        return
    for body in _bodies(rule, values):
        if api:
            yield (
                {"path": path, **body},
                client.open(
                    url,
                    method=method,
                    json=body,
                    headers=headers,
                    query_string={"site": values.site},
                ),
            )
        else:
            yield (
                {"path": path, **body},
                client.open(
                    url,
                    method=method,
                    data=_form(body, csrf),
                    headers={
                        "Accept": "application/json",
                        "Referer": "http://localhost/moderation/",
                    },
                ),
            )


# The routes of the people side (bans, commenters, privacy requests), walked as a half of
# their own so that a leak says which side it is on.
PEOPLE_SIDE = {
    "people.list_bans",
    "people.add_ban",
    "people.lift_ban",
    "people.commenter",
    "people.add_note",
    "people.ban_author",
    "admin.privacy",
    "admin.privacy_erase",
    "admin.privacy_export",
    "moderation_api.Bans",
    "moderation_api.lift_ban",
    "moderation_api.commenter",
    "moderation_api.add_commenter_note",
    "moderation_api.privacy_export",
    "moderation_api.privacy_erase",
}


@pytest.mark.parametrize(
    "people_side",
    [
        pytest.param(False, id="queue-side"),
        pytest.param(True, id="people-side"),
    ],
)
def test_a_moderator_of_site_a_sees_nothing_of_site_b_on_any_moderation_route(
    app: Flask, client: FlaskClient, people_side: bool
) -> None:
    world = make_two_sites(app, client)
    sign_in(client, "alfa")
    bearer = {"Authorization": f"Bearer {world.alfa_token}"}
    # The walk is signed in, and sees its own site: the control that it tests anything.
    queue = client.get("/api/v1/moderation/comments", headers=bearer).get_json()
    assert [c["id"] for c in queue["comments"]] == [world.a_comment]
    assert f'id="c{world.a_comment}"' in client.get("/moderation/").get_data(as_text=True)
    csrf = csrf_token(client)
    before = site_b_state(app)

    leaks: list[str] = []
    walked = 0
    not_found: set[str] = set()
    for rule, method in _routes(app):
        if (rule.endpoint in PEOPLE_SIDE) != people_side:
            continue
        for b_path, ghost_path in zip(_fill(rule, world.b), _fill(rule, world.ghost), strict=True):
            b_requests = _requests(client, rule, method, b_path, world.b, bearer, csrf)
            ghost_requests = _requests(client, rule, method, ghost_path, world.ghost, bearer, csrf)
            for (sent, b_answer), (ghost_sent, ghost_answer) in zip(
                b_requests, ghost_requests, strict=True
            ):
                walked += 1
                where = f"{method} {rule.rule} {sent}"
                assert b_answer.status_code not in (401, 500), where
                assert not (b_answer.status_code == 302 and "/login" in b_answer.location), where
                leaks += [
                    f"{where}: {wrong}"
                    for wrong in _wrong(b_answer, sent, ghost_answer, ghost_sent, world)
                ]
                # An admin's API may refuse a body no endpoint could read (400, 415, 422)
                # before it asks who is calling: the schema is public, and the answer is the
                # ghost's (checked above), so it says nothing of site B.
                refusals = (
                    (400, 403, 404, 415, 422) if rule.rule.startswith("/api/") else (403, 404)
                )
                if rule.endpoint in ADMIN_ONLY and b_answer.status_code not in refusals:
                    leaks.append(f"{where}: an admin's route answered {b_answer.status_code}")
                if b_answer.status_code == 404:
                    not_found.add(f"{method} {rule.rule}")

    assert walked > (20 if people_side else 100)
    assert leaks == [], "\n".join(leaks)
    # Each API route that names an object answered 404 for site B's (beyond its refusals of
    # the walk's other bodies, which it answers as for a ghost).
    naming = {
        f"{method} {rule.rule}"
        for rule, method in _routes(app)
        if rule.rule.startswith("/api/")
        and (rule.endpoint in PEOPLE_SIDE) == people_side
        and _names_b(rule)
    }
    assert naming - not_found == set()
    assert site_b_state(app) == before


def _wrong(
    b_answer: Any,
    sent: dict[str, Any],
    ghost_answer: Any,
    ghost_sent: dict[str, Any],
    world: TwoSites,
) -> list[str]:
    """What is wrong with site B's answer, against the ghost's."""
    wrong = []
    text = b_answer.get_data(as_text=True)
    echoed = _ghost_counts(ghost_answer.get_data(as_text=True), world.b, world.ghost)
    if found := _leaks(text, world.b, echoed):
        wrong.append(f"shows {found}")
    # An answer may name the ids its request sent (a bulk lists each id it was sent).
    if b_answer.is_json and (
        ids := _id_leaks(b_answer.get_json(), set(world.b.comments), _numbers(sent))
    ):
        wrong.append(f"shows ids {ids}")
    if _normal(b_answer, world.b, sent) != _normal(ghost_answer, world.ghost, ghost_sent):
        wrong.append(
            f"answers {b_answer.status_code} {text[:300]!r}, not as for nothing: "
            f"{ghost_answer.status_code} {ghost_answer.get_data(as_text=True)[:300]!r}"
        )
    return wrong


def _names_b(rule: Rule) -> bool:
    """Whether the route's path names an object of a site."""
    return bool(rule.arguments & {"comment_id", "article", "ban_id", "email_hash", "site"})


def test_json_of_the_walk_is_plain(app: Flask) -> None:
    # The walk's normalisation keeps JSON as JSON (a guard against a silent no-op compare).
    assert json.loads(json.dumps(_normal_json({"id": 5}, {5}, []))) == {"id": "<n>"}


# The queue side, one behaviour at a time


def _api(client: FlaskClient, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _token(app: Flask, username: str) -> str:
    with app.app_context():
        return accounts.create_api_token(username, "test")


def test_the_queue_shows_each_comments_site_and_filters_by_site(app, client):
    world = make_two_sites(app, client)
    with app.app_context(), write_transaction() as session:
        session.execute(
            update(Site).where(Site.slug == B_SLUG).values(public_url="https://bravo.example/")
        )
        registry.changed(session)
    headers = _api(client, _token(app, "boss"))

    every = client.get("/api/v1/moderation/comments", headers=headers).get_json()["comments"]
    only_b = client.get(
        "/api/v1/moderation/comments", query_string={"site": B_SLUG}, headers=headers
    ).get_json()["comments"]
    unknown = client.get(
        "/api/v1/moderation/comments", query_string={"site": "nowhere"}, headers=headers
    )

    assert {c["site"] for c in every} == {"default", B_SLUG}
    assert world.a_comment in [c["id"] for c in every]
    assert world.b.comments[0] in [c["id"] for c in only_b]
    assert {c["site"] for c in only_b} == {B_SLUG}
    # An article's page is on its own site.
    assert {c["article_url"] for c in only_b if c["article"] == B_KEY} == {
        f"https://bravo.example/{B_KEY}"
    }
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["message"] == "There is no site 'nowhere'."

    sign_in(client, "boss")
    page = client.get("/moderation/").get_data(as_text=True)
    filtered = client.get(f"/moderation/?site={B_SLUG}").get_data(as_text=True)
    assert f'<span class="badge site" title="site">{B_SLUG}</span>' in page
    assert f'<option value="{B_SLUG}" >{B_NAME}</option>' in page
    assert f'id="c{world.a_comment}"' in page and f'id="c{world.a_comment}"' not in filtered
    assert f'id="c{world.b.comments[0]}"' in filtered


def test_one_site_moderator_sees_no_site_column(app, client):
    world = make_two_sites(app, client)
    sign_in(client, "alfa")

    page = client.get("/moderation/").get_data(as_text=True)

    assert f'id="c{world.a_comment}"' in page
    assert 'class="badge site"' not in page and 'name="site"' not in page.split("</form>")[0]


def test_the_same_key_on_two_sites_is_two_articles_for_moderators(app, client):
    make_two_sites(app, client)
    headers = _api(client, _token(app, "boss"))

    on_a = client.get("/api/v1/moderation/articles/news/shared", headers=headers)
    on_b = client.get(
        "/api/v1/moderation/articles/news/shared", query_string={"site": B_SLUG}, headers=headers
    )
    closed = client.post(
        "/api/v1/moderation/articles/news/shared/lock",
        query_string={"site": B_SLUG},
        headers=headers,
    )
    listed = client.get(
        "/api/v1/moderation/articles", query_string={"q": "news/shared"}, headers=headers
    ).get_json()["articles"]

    assert (on_a.get_json()["site"], on_a.get_json()["pending_count"]) == ("default", 1)
    assert (on_b.get_json()["site"], on_b.get_json()["pending_count"]) == (B_SLUG, 1)
    assert closed.status_code == 200, closed.get_json()
    assert sorted((a["site"], a["locked"]) for a in listed) == [("default", False), (B_SLUG, True)]


def test_a_bulk_action_moves_only_the_comments_of_the_moderators_sites(app, client):
    world = make_two_sites(app, client)
    headers = _api(client, world.alfa_token)
    b_pending = world.b.comments[0]
    before = site_b_state(app)

    response = client.post(
        "/api/v1/moderation/actions",
        json={"action": "approve", "ids": [world.a_comment, b_pending, 999_999]},
        headers=headers,
    )

    results = {r["id"]: r for r in response.get_json()["results"]}
    assert results[world.a_comment]["status"] == "approved"
    # Site B's comment is reported exactly as one that does not exist.
    assert results[b_pending]["error"] == {
        "code": "comment_not_found",
        "message": f"There is no comment {b_pending}.",
    }
    assert {k: v for k, v in results[b_pending].items() if k != "error"} == {
        "id": b_pending,
        "status": None,
    }
    assert site_b_state(app) == before


def test_a_wave_of_another_site_is_not_decided(app, client):
    world = make_two_sites(app, client)
    sign_in(client, "alfa")
    before = site_b_state(app)

    response = client.post(
        "/moderation/waves",
        data={
            "csrf_token": csrf_token(client),
            "fingerprint": world.b.fingerprint,
            "action": "spam",
        },
        headers={"Accept": "application/json"},
    )

    assert response.get_json()["results"] == []
    assert site_b_state(app) == before


def test_a_site_admin_may_change_an_articles_title_on_their_site_only(app, client):
    make_two_sites(app, client)
    bravo = _api(client, _token(app, B_MODERATOR))
    alfa = _api(client, _token(app, "alfa"))
    retitle = {"title": "A better title"}

    own = client.patch(
        f"/api/v1/moderation/articles/{B_KEY}",
        query_string={"site": B_SLUG},
        json=retitle,
        headers=bravo,
    )
    # Without a site named, a moderator of one site other than the default one means theirs.
    implied = client.get(f"/api/v1/moderation/articles/{B_KEY}", headers=bravo)
    elsewhere = client.patch(
        "/api/v1/moderation/articles/news/shared",
        query_string={"site": "default"},
        json=retitle,
        headers=bravo,
    )
    moderator = client.patch("/api/v1/moderation/articles/news/shared", json=retitle, headers=alfa)
    mode = client.patch(
        "/api/v1/moderation/articles/news/shared", json={"moderation": "off"}, headers=alfa
    )

    assert own.status_code == 200 and own.get_json()["title"] == "A better title"
    assert implied.status_code == 200 and implied.get_json()["site"] == B_SLUG
    assert elsewhere.status_code == 404
    assert elsewhere.get_json()["error"]["message"] == "There is no site 'default'."
    assert moderator.status_code == 403
    assert mode.status_code == 200 and mode.get_json()["moderation"] == "off"


def test_a_moderator_of_two_sites_works_on_both(app, client):
    world = make_two_sites(app, client)
    with app.app_context(), write_transaction() as session:
        alfa = session.scalars(select(Moderator).where(Moderator.username == "alfa")).one()
        grants.grant(session, alfa.id, registry.by_slug(B_SLUG).id, SiteRole.MODERATOR)
    headers = _api(client, world.alfa_token)

    queue = client.get("/api/v1/moderation/comments", headers=headers).get_json()["comments"]
    decided = client.post(
        f"/api/v1/moderation/comments/{world.b.comments[0]}/approve", headers=headers
    )
    events = client.get("/api/v1/moderation/events", headers=headers).get_json()["events"]

    assert {c["site"] for c in queue} == {"default", B_SLUG}
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["site"] == B_SLUG
    assert world.b.comments[0] in {e["comment_id"] for e in events}
    # The admin's events on site B are theirs to read now too.
    assert world.b.comments[2] in {e["comment_id"] for e in events}


def test_an_article_filter_without_a_site_shows_the_queue_to_a_moderator_of_several(app, client):
    make_two_sites(app, client)
    with app.app_context(), write_transaction() as session:
        third = Site(slug="charlie", name="Charlie", origins=["https://charlie.example"])
        session.add(third)
        session.flush()
        bravo = session.scalars(select(Moderator).where(Moderator.username == B_MODERATOR)).one()
        grants.grant(session, bravo.id, third.id, SiteRole.MODERATOR)
        registry.changed(session)
    sign_in(client, B_MODERATOR)

    vague = client.get("/moderation/?article=news/shared")
    named = client.get(f"/moderation/?article=news/shared&site={B_SLUG}")

    # Which of their sites' news/shared is meant is not known: the queue, without its bar.
    assert vague.status_code == 200
    assert 'aria-label="Article"' not in vague.get_data(as_text=True)
    assert 'aria-label="Article"' in named.get_data(as_text=True)
