"""What one submission costs the database, counted in statements (not timed): with every
check armed, a submission reads the article, the sender's earlier comments and the surge
window, and writes the comment; the bans and the policy's rules come from the worker's copies,
not a query each time."""

from __future__ import annotations

from flask import Flask

from service.http.warmup import warm_worker
from service.models import BanKind
from service.moderation import bans
from service.moderation.accounts import create_moderator
from service.screening import classifier
from tests.moderation.test_queue_scale import counting_queries
from tests.screening.helpers import post
from tests.screening.test_classifier import HAM, SPAM, UNSEEN_HAM, UNSEEN_SPAM, decide

# Every check on, as bench/submissions.py arms them (surges counted, pre-moderation).
CHECKS_ON = {
    "MODERATION": "pre",
    "SURGE_SUBMISSIONS": 1000,
    "SURGE_SPAM": 1000,
    "HOLD_WORDS": "casino",
    "DENY_DOMAINS": "spam.example",
    # The worker trusts its copies of the bans and rules this long: the test is not about expiry.
    "FEED_STATE_SECONDS": 60,
}
# The article, the sender's earlier comments, the surge window, the insert; PostgreSQL adds
# the sender's advisory lock.
STATEMENTS = {"sqlite": 4, "postgresql": 5}
# Tables whose rows each worker keeps a copy of (service/ops/state_versions.py).
COPIED = ("bans", "policy_rules", "policy_settings", "state_versions")
# Where decide() puts the comments the model learns from.
STORY = "news/council"


def _banned(app: Flask, count: int, moderator_name: str = "mia") -> None:
    with app.app_context():
        moderator = create_moderator(moderator_name, "correct horse battery staple")
        for n in range(count):
            target = bans.Target(BanKind.DOMAIN, value=f"banned{n}.example")
            bans.ban(target, "spam", moderator)


def test_a_submission_runs_a_fixed_handful_of_statements_none_for_bans_or_rules(make_app):
    app = make_app(**CHECKS_ON)
    _banned(app, 5)
    client = app.test_client()
    assert post(client, email="first@example.org", body="Warms this worker.").status_code == 201

    with counting_queries(app) as statements:
        response = post(client, email="second@example.org", body="An opinion of my own.")

    assert response.status_code == 201, response.get_json()
    dialect = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0].split("+")[0]
    assert len(statements) <= STATEMENTS[dialect], "\n".join(statements)
    copied = [s for s in statements if any(table in s for table in COPIED)]
    assert not copied, "a submission queried what the worker keeps a copy of"


def test_a_warmed_worker_s_first_submission_runs_what_its_hundredth_does(make_app):
    # Another process trained the model (on comments of STORY); this worker starts after it,
    # as gunicorn starts one.
    trainer = make_app(CLASSIFIER_RETRAIN_EVERY=0)
    decide(trainer, HAM, SPAM)
    with trainer.app_context():
        assert classifier.train_from_decisions().model_id is not None
    _banned(trainer, 3, "noor")
    worker = make_app(**CHECKS_ON)
    warm_worker(worker)
    client = worker.test_client()

    with counting_queries(worker) as first:
        assert post(client, STORY, email="first@example.org", body=UNSEEN_HAM).status_code == 201
    with counting_queries(worker) as second:
        assert post(client, STORY, email="second@example.org", body=UNSEEN_SPAM).status_code == 201

    # Without the warm-up the first also loads the model, the bans and the rules.
    assert len(first) == len(second), "\n".join(first)
    assert not [s for s in first if any(table in s for table in ("classifier_models", *COPIED))]
