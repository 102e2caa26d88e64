"""The audit log page (service/http/web/audit.py): decisions listed, filtered and paged."""

from __future__ import annotations

import re

import pytest

from tests.http.web.helpers import csrf_token, flashes, sign_in


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
