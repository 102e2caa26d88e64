"""No form gets a 500 (issue 15, item 3): every form route of the web pages (the no-JS comment
form, sign-in, the queue's actions, the admin and my-comments pages) and every page's query,
posted with arbitrary unicode text and numbers by hypothesis, as a signed-in admin with a valid
CSRF token, so that the requests get past the checks to the forms' schemas and use cases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.extensions import db
from service.models import Comment
from service.privacy import vault
from tests.conftest import VALID, form_token
from tests.http.web.helpers import World, csrf_token, redirects_to_login, sign_in

EXAMPLES = 20
FORM_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
TEMPLATES = Path(__file__).resolve().parents[3] / "service" / "templates"
# What an HTTP client can send: any text UTF-8 can encode (lone surrogates cannot be).
TEXT = st.characters(codec="utf-8")
# Every field name a page's form has: any of them may reach any route.
FIELDS = sorted(
    set(re.findall(r'name="([a-z_]+)"', "".join(p.read_text() for p in TEMPLATES.rglob("*.html"))))
    - {"csrf_token", "viewport", "robots", "referrer"}
)
# Ends sign-in for the rest of the run: fuzzed on its own at the end.
LAST = {"auth.logout"}
WEB_PREFIXES = ("/moderation", "/my-comments", "/articles", "/comments.atom")

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "⁰⁴⁵",
    "١٢",
    "1e3",
    "9" * 5000,
    "\ufffe",
    "\x00",
    "a" * 20_000,
    "approve",
    "pending",
    "all",
    "ip",
    "email",
    "on",
    "2024-13-45T25:61",
    "9999-12-31T23:59",
    "ada@example.org",
]
VALUES = st.one_of(
    st.text(TEXT, max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(NASTY),
)


def route_values(app: Flask, world: World) -> dict[str, st.SearchStrategy[str]]:
    """For each URL argument, sometimes a real thing (so the use case runs), sometimes not."""
    ids = st.integers(min_value=0, max_value=2**40)
    with app.app_context():
        last = db.session.query(Comment.id).order_by(Comment.id.desc()).limit(1).scalar()
    return {
        "comment_id": st.one_of(st.sampled_from([world.comment, last]), ids).map(str),
        "ban_id": st.one_of(st.just(1), ids).map(str),
        # Never the signed-in admin: ending mia's sessions would sign the run out midway.
        "moderator_id": st.one_of(st.just(world.noor), ids.filter(lambda i: i != world.mia)).map(
            str
        ),
        "token_id": st.one_of(st.just(world.token), ids).map(str),
        "email_hash": st.one_of(st.just(world.commenter), st.text(TEXT, min_size=1, max_size=70)),
        "article": st.sampled_from(["posts/hello", "x", "/2024/05/hi/", "ÿ\u0301"]),
        "token": st.text(TEXT, min_size=1, max_size=60),
        "slug": st.one_of(st.just("default"), st.text(TEXT, min_size=1, max_size=70)),
    }


def web_routes(app: Flask) -> list[Any]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(WEB_PREFIXES) or rule.endpoint == "public.ArticleComments"
    ]


def url_strategy(rule: Any, values: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[str]:
    parts: dict[str, st.SearchStrategy[str]] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if hasattr(converter, "items"):  # any(...): one of its words
            parts[name] = st.sampled_from(sorted(converter.items))
        else:
            parts[name] = values[name]
    template = re.sub(r"<(?:[^:>]+:)?(\w+)(?:\([^)]*\))?>", r"{\1}", rule.rule)
    return st.fixed_dictionaries(parts).map(lambda found: template.format_map(found))


def fuzz_route(client: FlaskClient, rule: Any, method: str, url: Any, fields: Any) -> None:
    token = csrf_token(client)

    @FORM_SETTINGS
    @given(url=url, data=fields)
    def no_server_error(url: str, data: dict[str, str]) -> None:
        if method == "GET":
            response = client.get(url, query_string=data)
        else:
            response = client.post(url, data=data | {"csrf_token": token})
        assert response.status_code < 500, (method, url, data)

    no_server_error()


def test_no_form_or_page_answers_any_text_or_number_with_a_5xx(app, client, world):
    assert sign_in(client).status_code == 302
    # And a commenter's my-comments link opened in the same browser, for its pages.
    with app.app_context():
        link = vault.vault().seal_address(vault.normalise_email(VALID["email"]))
    assert client.get(f"/my-comments/{link}").status_code == 302
    values = route_values(app, world)
    fields = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8)
    comment_fields = st.fixed_dictionaries(
        {"form_token": st.just(form_token(app))},
        optional={f: VALUES for f in FIELDS if f != "form_token"},
    )
    exercised: set[tuple[str, str]] = set()
    routes = sorted(web_routes(app), key=lambda rule: rule.endpoint in LAST)
    for rule in routes:
        for method in sorted(rule.methods & {"GET", "POST"}):
            url = url_strategy(rule, values)
            body = comment_fields if rule.endpoint == "public.ArticleComments" else fields
            fuzz_route(client, rule, method, url, body)
            exercised.add((method, rule.endpoint))
            if rule.endpoint not in LAST:
                # Still signed in, so every route's examples reached its form and use case.
                assert not redirects_to_login(client.get("/moderation/")), rule.endpoint
    # Signed out now: sign-in itself, with whatever is typed.
    fuzz_route(client, None, "POST", st.just("/moderation/login"), fields)

    assert {endpoint for _, endpoint in exercised} >= {
        "public.ArticleComments",
        "auth.login",
        "queue.decide",
        "queue.bulk",
        "people.add_ban",
        "rules.change",
        "my_comments.erase",
    }
    assert len(exercised) == sum(len(r.methods & {"GET", "POST"}) for r in routes)
