"""Metrics and log lines say which site a request, a submission or a decision was for, with
the slug of a real site only: a slug a client makes up creates no label value."""

from __future__ import annotations

import json
import logging

from service.models import SiteRole
from tests.conftest import submit
from tests.ops.test_observability import access_lines, metric_samples, sample
from tests.two_sites import add_site, moderator, submit_on

B_ORIGIN = "https://b.example.net"
FEED = "/api/v1/articles/posts/hello/comments"


def site_values(samples, name: str) -> set[str]:
    return {
        dict(labels).get("site", "")
        for sample_name, labels in samples
        if sample_name == name and "site" in dict(labels)
    }


def test_submissions_decisions_and_requests_are_counted_by_site(app):
    add_site(app, "b", origins=[B_ORIGIN])
    # An admin: one bulk action across both sites.
    admin_headers = moderator(app, "ada", admin=True)
    client = app.test_client()
    on_default = submit(client, body="Default.").get_json()["id"]
    on_b = [submit_on(client, B_ORIGIN, body=f"B {n}").get_json()["id"] for n in range(2)]
    decided = client.post(
        "/api/v1/moderation/actions",
        json={"action": "approve", "ids": [on_default, *on_b]},
        headers=admin_headers,
    )
    assert decided.status_code == 200
    client.get(FEED, headers={"Origin": B_ORIGIN})

    samples = metric_samples(client)

    submitted = "commentdesk_submissions_total"
    assert sample(samples, submitted, verdict="pending", site="default") == 1
    assert sample(samples, submitted, verdict="pending", site="b") == 2
    decisions = "commentdesk_decisions_total"
    assert sample(samples, decisions, action="approve", site="default") == 1
    assert sample(samples, decisions, action="approve", site="b") == 2
    requests = "commentdesk_http_requests_total"
    endpoint = "public.ArticleComments"
    assert sample(samples, requests, endpoint=endpoint, method="POST", site="b") == 2
    assert sample(samples, requests, endpoint=endpoint, method="GET", site="b") == 1
    # A moderator's request is for no one site.
    moderation = sample(samples, requests, method="POST", status="200", site="")
    assert moderation == 1


def test_repeat_reads_answered_in_front_of_flask_carry_their_site(app, caplog):
    add_site(app, "b", origins=[B_ORIGIN])
    client = app.test_client()
    submit_on(client, B_ORIGIN)
    etag = client.get(FEED, headers={"Origin": B_ORIGIN}).headers["ETag"]
    caplog.set_level(logging.INFO, logger="commentdesk")
    caplog.clear()

    repeat = client.get(FEED, headers={"Origin": B_ORIGIN, "If-None-Match": etag})

    assert repeat.status_code == 304
    [line] = access_lines(caplog)
    assert line["site"] == "b"
    samples = metric_samples(client)
    requests = "commentdesk_http_requests_total"
    assert sample(samples, requests, status="304", site="b") == 1


def test_the_access_and_audit_lines_name_the_site(app, caplog):
    add_site(app, "b", origins=[B_ORIGIN])
    client = app.test_client()
    caplog.set_level(logging.INFO, logger="commentdesk")
    on_b = submit_on(client, B_ORIGIN).get_json()["id"]
    # A moderator of site b, who may decide there.
    b_moderator = moderator(app, "bea", sites={"b": SiteRole.MODERATOR})
    client.post(f"/api/v1/moderation/comments/{on_b}/approve", headers=b_moderator)

    [posted, approved] = access_lines(caplog)
    assert (posted["method"], posted["site"]) == ("POST", "b")
    assert approved["site"] == ""
    [audit] = [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "commentdesk.audit"
    ]
    assert (audit["action"], audit["site"]) == ("approve", "b")


def test_a_site_slug_a_client_makes_up_creates_no_label_value(app):
    add_site(app, "b", origins=[B_ORIGIN])
    client = app.test_client()
    for made_up in ("nope", "x" * 60, "b%00"):
        assert client.get(f"/api/v1/sites/{made_up}/articles/a/comments").status_code == 404
    client.get(FEED, headers={"Origin": "https://unknown.example.org"})

    samples = metric_samples(client)

    assert site_values(samples, "commentdesk_http_requests_total") <= {"", "default", "b"}
