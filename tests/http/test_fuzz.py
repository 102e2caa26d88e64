"""No input gets a 500 (issue 15, item 3), for the class rather than the instances found so far:
schemathesis fuzzes every operation of /openapi.json in-process, with data that fits the
schema and data that does not; then what the fuzzing stored must still make readable feeds and
pages. Hypothesis then sends raw JSON of any shape (deep, huge numbers) to every operation that
reads a body. The web forms have their own fuzz test (web/test_fuzz_forms.py)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from service.moderation import accounts
from tests.conftest import approve, submit
from tests.http.test_ugly_input import body_operations

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


# Raw JSON of any shape, beyond what a schema describes: values of every type under the
# fields' own names, numbers of thousands of digits (json.dumps cannot write them: a marker
# is replaced afterwards) and nesting from none to thousands of levels.
_BIG = '"__many_digits__"'
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(st.characters(codec="utf-8"), max_size=30)
    | st.just(_BIG.strip('"'))
)


def raw_json(field_names: list[str]) -> st.SearchStrategy[str]:
    values = st.recursive(
        _LEAVES,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(field_names) | st.text(max_size=10), inner, max_size=6
            )
        ),
        max_leaves=12,
    )
    return st.builds(
        lambda value, depth, digits: (
            "[" * depth + json.dumps(value).replace(_BIG, "9" * digits) + "]" * depth
        ),
        values,
        st.sampled_from([0, 0, 0, 1, 2, 50, 1000, 5000]),
        st.sampled_from([20, 400, 4000, 5000]),
    )


def test_no_operation_answers_any_json_body_with_a_5xx(app):
    headers = admin_headers(app)
    known = some_comments(app, headers)
    spec = app.test_client().get("/openapi.json").get_json()
    field_names = sorted(
        {
            name
            for schema in spec["components"]["schemas"].values()
            for name in schema.get("properties", {})
        }
    )
    operations = list(body_operations(app, known))
    assert operations

    @settings(FUZZ_SETTINGS, max_examples=EXAMPLES * len(operations))
    @given(operation=st.sampled_from(operations), body=raw_json(field_names))
    def no_server_error(operation: tuple[str, str], body: str) -> None:
        method, url = operation
        response = app.test_client().open(
            url, method=method, headers=headers, data=body, content_type="application/json"
        )
        assert response.status_code < 500, (method, url, body[:300])

    no_server_error()
