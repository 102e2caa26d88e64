"""The moderation JSON API: the queue, decisions, bulk actions, the audit trail and tokens."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from service.extensions import db
from service.models import ApiToken, Comment, ModerationEvent, Moderator
from service.moderation import accounts
from service.ops.database import write_transaction
from service.privacy import vault
from tests.conftest import approve, submit

API = "/api/v1/moderation"
MODERATION_KEYS = {
    "id",
    "article",
    "parent_id",
    "status",
    "name",
    "email",
    "email_hash",
    "website",
    "body",
    "body_html",
    "reasons",
    "ip_hash",
    "user_agent",
    "created_at",
    "updated_at",
}
EVENT_KEYS = {
    "id",
    "comment_id",
    "moderator",
    "actor",
    "action",
    "from_status",
    "to_status",
    "note",
    "created_at",
}
STATES = ["pending", "approved", "rejected", "spam"]
# The decision that moves a pending comment into each state.
INTO = {"approved": "approve", "rejected": "reject", "spam": "spam", "deleted": "delete"}
# Distinct bodies by default: the same text twice would be a double-submit, not a new comment.
_serial = itertools.count(1)


def new_comment(client: FlaskClient, article: str = "posts/hello", **fields: Any) -> int:
    fields.setdefault("body", f"Comment number {next(_serial)}")
    response = submit(client, article, **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def act(
    client: FlaskClient,
    headers: dict[str, str],
    comment_id: int,
    action: str,
    note: str | None = None,
) -> Any:
    body = {"note": note} if note is not None else None
    if action == "delete":
        return client.delete(f"{API}/comments/{comment_id}", headers=headers, json=body)
    return client.post(f"{API}/comments/{comment_id}/{action}", headers=headers, json=body)


def comment_in(client: FlaskClient, headers: dict[str, str], state: str) -> int:
    """A fresh comment moved (by a moderator) into `state`."""
    comment_id = new_comment(client)
    if state != "pending":
        response = act(client, headers, comment_id, INTO[state])
        assert response.status_code == 200, response.get_json()
    return comment_id


def queue(client: FlaskClient, headers: dict[str, str], **params: Any) -> Any:
    response = client.get(f"{API}/comments", headers=headers, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def events(client: FlaskClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/events", headers=headers, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["events"]


def stored_status(app: Flask, comment_id: int) -> str:
    with app.app_context():
        return db.session.get(Comment, comment_id).status.value


def event_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ModerationEvent))


def public_count(client: FlaskClient, article: str = "posts/hello") -> int:
    return client.get("/api/v1/counts", query_string={"article": article}).get_json()["counts"][
        article
    ]


def headers_for(app: Flask, username: str) -> dict[str, str]:
    with app.app_context():
        accounts.create_moderator(username, "another long password")
        return {"Authorization": f"Bearer {accounts.create_api_token(username)}"}


# --- the queue --------------------------------------------------------------------------


def test_queue_shows_pending_comments_oldest_first_with_private_fields(
    app, client, moderator_headers
):
    first = new_comment(client, name="Ada", email="Ada.Lovelace@Example.org", body="One")
    second = new_comment(client, name="Bob", email="bob@example.org", body="Two", website="b.io")
    comment_in(client, moderator_headers, "approved")

    page = queue(client, moderator_headers)

    assert set(page) == {"comments", "next_cursor"}
    assert page["next_cursor"] is None
    assert [c["id"] for c in page["comments"]] == [first, second]
    ada, bob = page["comments"]
    assert set(ada) >= MODERATION_KEYS
    assert ada["email"] == "Ada.Lovelace@example.org"
    assert bob["email"] == "bob@example.org"
    assert bob["website"] == "https://b.io"
    assert ada["status"] == "pending"
    assert ada["article"] == "posts/hello"
    assert ada["body"] == "One"
    with app.app_context():
        assert ada["ip_hash"] == vault.vault().ip_hash("127.0.0.1")
    assert [r["code"] for r in ada["reasons"]] == ["pre_moderation"]
    assert all(r["message"] for r in ada["reasons"])


@pytest.mark.parametrize("status", [*STATES, "deleted", "all"])
def test_queue_filters_by_status(client, moderator_headers, status):
    ids = {state: comment_in(client, moderator_headers, state) for state in [*STATES, "deleted"]}

    shown = [c["id"] for c in queue(client, moderator_headers, status=status)["comments"]]

    assert shown == (sorted(ids.values()) if status == "all" else [ids[status]])


def test_queue_filters_by_article(client, moderator_headers):
    mine = new_comment(client, "posts/2024/mine", body="Here")
    new_comment(client, "posts/2024", body="Elsewhere")
    new_comment(client, "posts/2024/mine/not", body="Elsewhere too")

    page = queue(client, moderator_headers, article="posts/2024/mine")

    assert [c["id"] for c in page["comments"]] == [mine]
    assert queue(client, moderator_headers, article="unknown")["comments"] == []


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("hopper", ["grace"]),
        ("GRACE", ["grace"]),
        ("Compilers", ["grace", "snake"]),
        ("%", ["percent"]),
        ("100%", ["percent"]),
        ("_", ["snake"]),
        ("e_c", ["snake"]),
        ("n%t", []),
        ("nobody at all", []),
    ],
    ids=[
        "name-lowercase",
        "name-uppercase",
        "body-any-case",
        "percent",
        "text-with-percent",
        "underscore",
        "text-with-underscore",
        "percent-between-letters",
        "no-match",
    ],
)
def test_queue_search_is_case_insensitive_over_name_and_body_with_literal_wildcards(
    client, moderator_headers, q, expected
):
    ids = {
        "grace": new_comment(client, name="Grace Hopper", body="I wrote compilers."),
        "percent": new_comment(client, name="Percy", body="I am 100% sure."),
        "snake": new_comment(client, name="Sam", body="snake_case COMPILERS"),
        "plain": new_comment(client, name="Nat", body="Nothing special: nXt, eXc, 100 percent"),
    }

    found = [c["id"] for c in queue(client, moderator_headers, q=q)["comments"]]

    assert found == [ids[name] for name in expected]


def test_queue_pages_through_comments_with_identical_timestamps(app, client, moderator_headers):
    ids = [new_comment(client, body=f"Same moment {n}") for n in range(7)]
    with app.app_context(), write_transaction() as session:
        # Everyone at once, except the newest, which moves first in time.
        same = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
        session.execute(update(Comment).values(created_at=same))
        session.execute(
            update(Comment)
            .where(Comment.id == ids[-1])
            .values(created_at=datetime(2024, 5, 1, 9, 29, tzinfo=UTC))
        )

    seen: list[int] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = queue(client, moderator_headers, **params)
        seen += [c["id"] for c in page["comments"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]

    assert seen == [ids[-1], *ids[:-1]]


def encoded(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"status": "PENDING"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"q": "x" * 201}, "q"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": encoded("2024-01-01T00:00:00+00:00|" + "9" * 25)}, "cursor"),
        ({"cursor": encoded("0001-01-01T00:00:00+05:00|1")}, "cursor"),
    ],
    ids=[
        "status-unknown",
        "status-uppercase",
        "limit-zero",
        "limit-201",
        "limit-text",
        "q-too-long",
        "cursor-garbage",
        "cursor-id-huge",
        "cursor-time-out-of-range",
    ],
)
def test_bad_queue_parameters_are_422(client, moderator_headers, params, field):
    new_comment(client)

    response = client.get(f"{API}/comments", headers=moderator_headers, query_string=params)

    assert response.status_code == 422
    assert response.get_json()["errors"][field]


# --- one decision -----------------------------------------------------------------------


@pytest.mark.parametrize("start", STATES)
@pytest.mark.parametrize("action", ["approve", "reject", "spam"])
def test_decisions_move_between_states_and_refuse_the_state_it_already_has(
    app, client, moderator_headers, start, action
):
    comment_id = comment_in(client, moderator_headers, start)
    target = {"approve": "approved", "reject": "rejected", "spam": "spam"}[action]
    events_before = event_count(app)

    response = act(client, moderator_headers, comment_id, action)

    if target == start:
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "invalid_transition"
        assert f"already {target}" in response.get_json()["error"]["message"]
        assert event_count(app) == events_before
    else:
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == target
        assert response.get_json()["id"] == comment_id
        assert event_count(app) == events_before + 1
    assert stored_status(app, comment_id) == target


@pytest.mark.parametrize("start", STATES)
def test_delete_and_restore_return_a_comment_to_the_state_it_had(
    app, client, moderator_headers, start
):
    comment_id = comment_in(client, moderator_headers, start)

    deleted = act(client, moderator_headers, comment_id, "delete")
    restored = act(client, moderator_headers, comment_id, "restore")

    assert deleted.status_code == 200
    assert deleted.get_json()["status"] == "deleted"
    assert restored.status_code == 200
    assert restored.get_json()["status"] == start
    assert stored_status(app, comment_id) == start
    trail = events(client, moderator_headers, comment_id=comment_id)
    assert [(e["action"], e["from_status"], e["to_status"]) for e in trail[:2]] == [
        ("restore", "deleted", start),
        ("delete", start, "deleted"),
    ]


@pytest.mark.parametrize("action", ["approve", "reject", "spam", "delete"])
def test_a_deleted_comment_only_leaves_through_restore(app, client, moderator_headers, action):
    comment_id = comment_in(client, moderator_headers, "deleted")
    events_before = event_count(app)

    response = act(client, moderator_headers, comment_id, action)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "invalid_transition"
    assert stored_status(app, comment_id) == "deleted"
    assert event_count(app) == events_before


@pytest.mark.parametrize("start", STATES)
def test_restoring_a_comment_that_is_not_deleted_is_409(app, client, moderator_headers, start):
    comment_id = comment_in(client, moderator_headers, start)

    response = act(client, moderator_headers, comment_id, "restore")

    assert response.status_code == 409
    assert "nothing to restore" in response.get_json()["error"]["message"]
    assert stored_status(app, comment_id) == start


@pytest.mark.parametrize("action", ["approve", "reject", "spam", "restore", "delete"])
@pytest.mark.parametrize("comment_id", [999, 2**31 - 1])
def test_unknown_comment_is_404(app, client, moderator_headers, action, comment_id):
    new_comment(client)

    response = act(client, moderator_headers, comment_id, action)

    assert response.status_code == 404
    assert response.get_json() == {
        "error": {"code": "comment_not_found", "message": f"There is no comment {comment_id}."}
    }
    assert event_count(app) == 0


@pytest.mark.parametrize("action", ["approve", "reject", "spam", "restore", "delete"])
@pytest.mark.parametrize("comment_id", [2**31, 10**30])
def test_an_id_beyond_any_stored_one_is_no_such_address(
    app, client, moderator_headers, action, comment_id
):
    new_comment(client)

    response = act(client, moderator_headers, comment_id, action)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert event_count(app) == 0


@pytest.mark.parametrize("note", ["nul \x00 byte", "bell \x07"])
def test_a_note_with_control_characters_is_422_and_nothing_changes(
    app, client, moderator_headers, note
):
    comment_id = new_comment(client)

    decided = act(client, moderator_headers, comment_id, "approve", note=note)
    edited = client.patch(
        f"/api/v1/moderation/comments/{comment_id}",
        headers=moderator_headers,
        json={"body": "Fixed a typo.", "note": note},
    )

    for response in (decided, edited):
        assert response.status_code == 422, response.get_json()
        assert "control characters" in str(response.get_json()["errors"])
    assert stored_status(app, comment_id) == "pending"
    assert event_count(app) == 0


def test_every_decision_writes_one_audit_event_with_moderator_and_note(client, moderator_headers):
    comment_id = new_comment(client)

    act(client, moderator_headers, comment_id, "approve", note="Kind and on topic")
    act(client, moderator_headers, comment_id, "approve", note="Refused, so not recorded")
    act(client, moderator_headers, comment_id, "spam")

    trail = events(client, moderator_headers, comment_id=comment_id)
    assert len(trail) == 2
    assert all(set(e) >= EVENT_KEYS for e in trail)
    spam, approval = trail
    assert approval["comment_id"] == comment_id
    assert approval["moderator"] == "mia"
    assert approval["actor"] == "moderator"
    assert approval["action"] == "approve"
    assert (approval["from_status"], approval["to_status"]) == ("pending", "approved")
    assert approval["note"] == "Kind and on topic"
    assert datetime.fromisoformat(approval["created_at"]).tzinfo is not None
    assert (spam["action"], spam["from_status"], spam["to_status"]) == ("spam", "approved", "spam")
    assert spam["note"] is None


def test_decisions_keep_the_public_count_right(client, moderator_headers):
    comment_id = new_comment(client)
    steps = [("approve", 1), ("spam", 0), ("approve", 1), ("delete", 0), ("restore", 1)]

    counts = []
    for action, _ in steps:
        assert act(client, moderator_headers, comment_id, action).status_code == 200
        counts.append(public_count(client))

    assert counts == [expected for _, expected in steps]


@pytest.mark.parametrize(
    "body",
    [{"note": 5}, {"note": "x" * 2001}],
    ids=["note-not-text", "note-too-long"],
)
def test_bad_decision_body_is_422_and_changes_nothing(app, client, moderator_headers, body):
    comment_id = new_comment(client)

    response = client.post(
        f"{API}/comments/{comment_id}/approve", headers=moderator_headers, json=body
    )

    assert response.status_code == 422
    assert response.get_json()["errors"]["note"]
    assert stored_status(app, comment_id) == "pending"


def test_decision_with_invalid_json_is_400(client, moderator_headers):
    comment_id = new_comment(client)

    response = client.post(
        f"{API}/comments/{comment_id}/approve",
        headers=moderator_headers,
        data="{not json",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "The request body is not valid JSON."


# --- bulk -------------------------------------------------------------------------------


def bulk(client: FlaskClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"{API}/actions", headers=headers, json=body)


def test_bulk_action_reports_each_id_and_applies_the_ones_that_can_move(
    app, client, moderator_headers
):
    first = new_comment(client, body="first")
    already = comment_in(client, moderator_headers, "approved")
    second = new_comment(client, body="second")
    gone = comment_in(client, moderator_headers, "deleted")
    events_before = event_count(app)

    response = bulk(
        client,
        moderator_headers,
        action="approve",
        ids=[first, already, 4040, second, gone, 10**30],
        note="Batch of the morning",
    )

    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        (first, "approved"),
        (already, "approved"),
        (4040, None),
        (second, "approved"),
        (gone, "deleted"),
        (10**30, None),
    ]
    errors = {r["id"]: r["error"] and r["error"]["code"] for r in results}
    assert errors == {
        first: None,
        already: "invalid_transition",
        4040: "comment_not_found",
        second: None,
        gone: "invalid_transition",
        10**30: "comment_not_found",
    }
    assert all(r["error"]["message"] for r in results if r["error"])
    assert public_count(client) == 3
    assert event_count(app) == events_before + 2
    trail = events(client, moderator_headers, limit=2)
    assert {e["comment_id"] for e in trail} == {first, second}
    assert {e["note"] for e in trail} == {"Batch of the morning"}


@pytest.mark.parametrize("action", ["approve", "reject", "spam", "delete"])
def test_bulk_applies_every_action(app, client, moderator_headers, action):
    ids = [new_comment(client, body=f"bulk {n}") for n in range(3)]

    response = bulk(client, moderator_headers, action=action, ids=ids)

    expected = {"approve": "approved", "reject": "rejected", "spam": "spam", "delete": "deleted"}
    assert [r["status"] for r in response.get_json()["results"]] == [expected[action]] * 3
    assert [stored_status(app, i) for i in ids] == [expected[action]] * 3
    assert event_count(app) == 3


def test_bulk_restore_returns_each_comment_to_its_own_state(app, client, moderator_headers):
    states = ["pending", "approved", "spam"]
    ids = [comment_in(client, moderator_headers, state) for state in states]
    bulk(client, moderator_headers, action="delete", ids=ids)

    response = bulk(client, moderator_headers, action="restore", ids=ids)

    assert [r["status"] for r in response.get_json()["results"]] == states
    assert public_count(client) == 1


def test_bulk_decides_a_repeated_id_once(app, client, moderator_headers):
    comment_id = new_comment(client)

    response = bulk(client, moderator_headers, action="approve", ids=[comment_id, comment_id])

    assert response.get_json()["results"] == [
        {"id": comment_id, "status": "approved", "error": None}
    ]
    assert event_count(app) == 1
    assert public_count(client) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": [1]}, "action"),
        ({"action": "publish", "ids": [1]}, "action"),
        ({"action": "approve"}, "ids"),
        ({"action": "approve", "ids": []}, "ids"),
        ({"action": "approve", "ids": "1"}, "ids"),
        ({"action": "approve", "ids": ["1"]}, "ids"),
        ({"action": "approve", "ids": [1.5]}, "ids"),
        ({"action": "approve", "ids": [True]}, "ids"),
        ({"action": "approve", "ids": list(range(1, 502))}, "ids"),
        ({"action": "approve", "ids": [1], "note": "x" * 2001}, "note"),
        ([1], "_schema"),
    ],
    ids=[
        "no-action",
        "unknown-action",
        "no-ids",
        "empty-ids",
        "ids-not-a-list",
        "id-as-text",
        "id-fraction",
        "id-boolean",
        "501-ids",
        "note-too-long",
        "not-an-object",
    ],
)
def test_bad_bulk_request_is_422_and_changes_nothing(app, client, moderator_headers, body, field):
    new_comment(client)

    response = client.post(f"{API}/actions", headers=moderator_headers, json=body)

    assert response.status_code == 422
    assert response.get_json()["errors"][field]
    assert stored_status(app, 1) == "pending"
    assert event_count(app) == 0


# --- the audit trail --------------------------------------------------------------------


def test_events_are_newest_first_and_filter_by_comment_and_moderator(
    app, client, moderator_headers
):
    other = headers_for(app, "olu")
    one, two = new_comment(client, body="one"), new_comment(client, body="two")
    act(client, moderator_headers, one, "approve")
    act(client, other, two, "spam")
    act(client, other, one, "reject", note="On reflection")

    everything = events(client, moderator_headers)
    by_comment = events(client, moderator_headers, comment_id=one)
    by_olu = events(client, moderator_headers, moderator="olu")

    assert [(e["comment_id"], e["action"], e["moderator"]) for e in everything] == [
        (one, "reject", "olu"),
        (two, "spam", "olu"),
        (one, "approve", "mia"),
    ]
    assert [e["action"] for e in by_comment] == ["reject", "approve"]
    assert [e["comment_id"] for e in by_olu] == [one, two]
    assert events(client, moderator_headers, moderator="nobody") == []
    assert events(client, moderator_headers, comment_id=12345) == []


def test_events_page_with_a_cursor(client, moderator_headers):
    comment_id = new_comment(client)
    for action in ["approve", "reject", "spam", "delete", "restore"]:
        assert act(client, moderator_headers, comment_id, action).status_code == 200

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        response = client.get(f"{API}/events", headers=moderator_headers, query_string=params)
        page = response.get_json()
        seen += [e["action"] for e in page["events"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]

    assert seen == ["restore", "delete", "spam", "reject", "approve"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"comment_id": "abc"}, "comment_id"),
        ({"comment_id": str(10**30)}, "comment_id"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": encoded("9" * 25)}, "cursor"),
        ({"cursor": encoded("-3")}, "cursor"),
    ],
    ids=[
        "comment-id-text",
        "comment-id-huge",
        "limit-zero",
        "cursor-garbage",
        "cursor-huge",
        "cursor-negative",
    ],
)
def test_bad_event_parameters_are_422(client, moderator_headers, params, field):
    response = client.get(f"{API}/events", headers=moderator_headers, query_string=params)

    assert response.status_code == 422
    assert response.get_json()["errors"][field]


# --- authentication ---------------------------------------------------------------------

ROUTES = [
    ("GET", "/comments", None),
    ("POST", "/comments/1/approve", None),
    ("POST", "/comments/1/reject", None),
    ("POST", "/comments/1/spam", None),
    ("POST", "/comments/1/restore", None),
    ("DELETE", "/comments/1", None),
    ("POST", "/actions", {"action": "approve", "ids": [1]}),
    ("GET", "/events", None),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]


def deactivate(app: Flask) -> None:
    with app.app_context(), write_transaction() as session:
        session.execute(update(Moderator).values(is_active=False))


def revoke(app: Flask) -> None:
    with app.app_context(), write_transaction() as session:
        session.execute(update(ApiToken).values(revoked_at=datetime.now(UTC)))


@pytest.fixture(
    params=[
        "missing",
        "empty-bearer",
        "basic-scheme",
        "token-scheme",
        "wrong-token",
        "token-with-junk",
        "deactivated-moderator",
        "revoked-token",
    ]
)
def bad_credentials(request, app, moderator_headers) -> dict[str, str]:
    token = moderator_headers["Authorization"].removeprefix("Bearer ")
    kind = request.param
    if kind == "deactivated-moderator":
        deactivate(app)
        return moderator_headers
    if kind == "revoked-token":
        revoke(app)
        return moderator_headers
    header = {
        "missing": None,
        "empty-bearer": "Bearer",
        "basic-scheme": "Basic " + base64.b64encode(f"mia:{token}".encode()).decode(),
        "token-scheme": f"Token {token}",
        "wrong-token": "Bearer cdk_" + "x" * 43,
        "token-with-junk": f"Bearer {token}x",
    }[kind]
    return {"Authorization": header} if header else {}


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_moderation_routes_refuse_bad_credentials_with_401(
    app, client, bad_credentials, method, path, body
):
    comment_id = new_comment(client)
    assert comment_id == 1

    response = client.open(f"{API}{path}", method=method, headers=bad_credentials, json=body)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert response.get_json() == {
        "error": {
            "code": "unauthorized",
            "message": "Sign in with a valid API token (Authorization: Bearer <token>).",
        }
    }
    assert stored_status(app, comment_id) == "pending"
    assert event_count(app) == 0


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_moderation_routes_accept_a_live_token(client, moderator_headers, method, path, body):
    new_comment(client)

    response = client.open(f"{API}{path}", method=method, headers=moderator_headers, json=body)

    # restore of a pending comment is refused on its merits, after authentication.
    assert response.status_code == (409 if path.endswith("restore") else 200)


def test_revoking_one_token_leaves_the_moderators_other_tokens_working(app, client):
    with app.app_context():
        accounts.create_moderator("kim", "a long enough password")
        kept = accounts.create_api_token("kim", "laptop")
        lost = accounts.create_api_token("kim", "phone")
    with app.app_context(), write_transaction() as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == accounts.hash_token(lost))
            .values(revoked_at=datetime.now(UTC))
        )

    def status(token: str) -> int:
        response = client.get(f"{API}/comments", headers={"Authorization": f"Bearer {token}"})
        return response.status_code

    assert status(kept) == 200
    assert status(lost) == 401


def test_decisions_are_recorded_under_the_token_owner(app, client, moderator_headers):
    other = headers_for(app, "olu")
    comment_id = new_comment(client)

    approve(client, other, comment_id)

    (event,) = events(client, moderator_headers, comment_id=comment_id)
    assert event["moderator"] == "olu"


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("get", "/api/v1/moderation/comments?article=posts%00hello", None, "article"),
        ("get", "/api/v1/moderation/comments?q=%00", None, "q"),
        ("get", "/api/v1/moderation/events?moderator=mia%00", None, "moderator"),
        ("post", "/api/v1/moderation/undo", {"batch": "ab\u0000cd"}, "batch"),
        ("get", "/api/v1/counts?article=%00", None, "article"),
    ],
)
def test_control_characters_in_filters_are_a_422_not_a_database_error(
    client, moderator_headers, method, url, body, field
):
    response = getattr(client, method)(url, headers=moderator_headers, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
