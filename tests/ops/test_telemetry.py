"""What use cases report: the audit line and the submission counter, outside any request
(as from the CLI), in the same metric objects /metrics serves."""

from __future__ import annotations

import json
import logging

from service.moderation import accounts
from service.ops import telemetry
from tests.ops.test_observability import metric_samples, sample


def test_an_audit_line_outside_a_request_names_the_moderator_and_no_request_id(app, caplog):
    caplog.set_level(logging.INFO, logger="commentdesk")
    with app.app_context():
        moderator = accounts.create_moderator("ada", "correct horse battery staple")
        telemetry.audit("approve", 3, moderator.id, "batch-1")
    [line] = [r.getMessage() for r in caplog.records if r.name == "commentdesk.audit"]
    assert json.loads(line) | {"ts": None} == {
        "ts": None,
        "logger": "commentdesk.audit",
        "request_id": None,
        "action": "approve",
        "count": 3,
        "moderator": "ada",
        "batch": "batch-1",
        # No comments named: no site to name.
        "site": "",
    }


def test_a_submission_counted_outside_a_request_shows_in_the_metrics_scrape(app, client):
    with app.app_context():
        telemetry.count_submission("spam")
        telemetry.count_submission("spam")
    assert sample(metric_samples(client), "commentdesk_submissions_total", verdict="spam") == 2
