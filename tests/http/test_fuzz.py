"""No input gets a 500 (issue 15, item 3), for the class rather than the instances found so far:
schemathesis fuzzes every operation of /openapi.json in-process, with data that fits the
schema and data that does not; then what the fuzzing stored must still make readable feeds and
pages. The web forms have their own fuzz test (web/test_fuzz_forms.py)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from service.moderation import accounts
from tests.conftest import approve, submit

# Per operation and kind of data: about a minute for the whole API on a 2-core machine.
EXAMPLES = 20
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
ARTICLE = "posts/hello"


def spec_operations(spec: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    }


def admin_headers(app: Flask) -> dict[str, str]:
    # An admin, so that the admin-only operations (privacy export and erasure) run too.
    with app.app_context():
        accounts.create_moderator("ada", "correct horse battery staple", admin=True)
        return {"Authorization": f"Bearer {accounts.create_api_token('ada', 'fuzz')}"}


def some_comments(app: Flask, headers: dict[str, str]) -> dict[str, str]:
    """A thread to act on, and the path values that name it: random ids and keys rarely
    land on anything, so each operation is fuzzed once more with these."""
    client = app.test_client()
    first = submit(client, ARTICLE).get_json()["id"]
    approve(client, headers, first)
    reply = submit(client, ARTICLE, body="A reply", parent_id=first).get_json()["id"]
    return {"article": ARTICLE, "comment_id": str(reply)}


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], **fixed: Any) -> None:
    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def no_server_error(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])

    try:
        no_server_error()
    except Unsatisfiable:
        # An operation without parameters or a body has nothing that could be made invalid.
        if mode is GenerationMode.POSITIVE:
            raise


def path_names(operation: Any) -> set[str]:
    return {parameter.name for parameter in operation.path_parameters}


def test_no_operation_answers_any_input_with_a_5xx(app):
    headers = admin_headers(app)
    known = some_comments(app, headers)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    exercised: set[str] = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, headers)
        if pinned := {k: v for k, v in known.items() if k in path_names(operation)}:
            fuzz(operation, GenerationMode.POSITIVE, headers, path_parameters=pinned)
        exercised.add(f"{operation.method.upper()} {operation.path}")

    assert exercised == spec_operations(schema.raw_schema)
    feeds_and_pages_still_work(app, headers)


def feeds_and_pages_still_work(app: Flask, headers: dict[str, str]) -> None:
    """Whatever the fuzzing stored, once approved, must not break what readers read."""
    client = app.test_client()
    queue = client.get("/api/v1/moderation/comments?limit=200", headers=headers).get_json()
    pending = [comment["id"] for comment in queue["comments"]]
    if pending:
        body = {"action": "approve", "ids": pending}
        assert (
            client.post("/api/v1/moderation/actions", json=body, headers=headers).status_code == 200
        )
    ElementTree.fromstring(client.get("/comments.atom").data)
    ElementTree.fromstring(client.get(f"/articles/{ARTICLE}/comments.atom").data)
    assert client.get(f"/articles/{ARTICLE}/comments.html").status_code == 200
