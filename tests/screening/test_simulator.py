"""The rules simulator's classifier figures are out-of-fold: replaying the current model over
the decisions it was trained on reported no false positives, while it flags legitimate
comments it has not seen. On the page, through `flask policy simulate`, and in the use case."""

from __future__ import annotations

import re

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import select

from service.models import ClassifierModel
from service.moderation import accounts
from service.ops.database import write_transaction
from service.screening import classifier, rules
from service.screening.classifier import CommentText
from service.screening.classifier.model import Model
from tests.http.web.helpers import PASSWORD, sign_in
from tests.screening.test_classifier import HAM, SPAM, decide
from tests.screening.test_rules import RULES_PAGE, rules_form

# Legitimate comments that quote spam: a model that learned them scores them low; one that
# did not, as it meets the next such comment, scores some of them as spam.
QUOTING_SPAM = [
    "Earn money fast from home!!! Click here for free cash: that is the scam text my dad got",
    "Subscribe to my channel and I will subscribe back!! is all these bots ever write here",
    "Make money online, visit my profile for details: the spam this page gets every day",
    "Free followers and likes instantly!!! click the link: the message that hacked my account",
]
APPROVED = HAM + QUOTING_SPAM
OUT_OF_FOLD = "out-of-fold: each decision scored by a model that did not see it"


@pytest.fixture
def trained(make_app) -> Flask:
    app = make_app(CLASSIFIER_RETRAIN_EVERY=0, CLASSIFIER_RELOAD_SECONDS=0)
    decide(app, APPROVED, SPAM)
    with app.app_context():
        assert classifier.train_from_decisions().trained
    return app


def test_simulated_false_positives_count_comments_the_model_did_not_see(trained, monkeypatch):
    with trained.app_context():
        hold = rules.current_rules().classifier_hold
        # The current model has learned every approved comment: it holds none of them.
        in_sample = classifier.spam_scores([CommentText(body, "Reader") for body in APPROVED])
        assert max(s for s in in_sample if s is not None) < hold
        result = rules.simulate(rules.current_rules())
        with monkeypatch.context() as replay_in_sample:
            replay_in_sample.setattr(classifier, "out_of_fold_scores", classifier.spam_scores)
            before = rules.simulate(rules.current_rules())
    assert result.considered == before.considered == len(APPROVED) + len(SPAM)
    assert before.current.flagged_approved == 0
    assert result.current.flagged_approved > 0
    assert result.current.false_positive_rate is not None
    assert result.current.false_positive_rate > 0
    assert result.classifier_scored


def test_a_model_stored_without_out_of_fold_scores_is_cross_validated_at_replay(trained):
    # As a model trained before they were stored: the same figures, computed when asked.
    decided = [CommentText(body, "Reader") for body in APPROVED + SPAM]
    with trained.app_context():
        stored = classifier.out_of_fold_scores(decided)
        with write_transaction() as session:
            row = session.scalars(select(ClassifierModel)).one()
            row.blob = Model.from_bytes(row.blob).to_bytes()
        recomputed = classifier.out_of_fold_scores(decided)
        result = rules.simulate(rules.current_rules())
    np.testing.assert_allclose(recomputed, stored, rtol=0, atol=1e-9)
    assert result.current.flagged_approved > 0


def test_out_of_fold_scores_leave_comments_it_never_learned_from_to_the_current_model(trained):
    unseen = CommentText("A comment about the harbour nobody has decided yet.", "Sam")
    with trained.app_context():
        assert classifier.out_of_fold_scores([unseen]) == classifier.spam_scores([unseen])


def test_the_page_says_its_classifier_figures_are_out_of_fold(trained):
    with trained.app_context():
        accounts.create_moderator("root", PASSWORD, admin=True)
    client = trained.test_client()
    sign_in(client, "root")
    response = client.post(RULES_PAGE, data=rules_form(client, do="simulate"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Classifier scores are {OUT_OF_FOLD}" in page
    held = re.search(r'<th scope="row">Current rules</th><td>\d+</td><td>(\d+)</td>', page)
    assert held and int(held.group(1)) > 0


def test_the_cli_says_its_classifier_figures_are_out_of_fold(trained):
    result = trained.test_cli_runner().invoke(args=["policy", "simulate"])
    assert result.exit_code == 0, result.output
    assert f"Classifier scores are {OUT_OF_FOLD}." in result.output
    current = re.search(r"^current\s+\d+\s+(\d+)\s+\d+\s+\S+$", result.output, re.M)
    assert current and int(current.group(1)) > 0


def test_without_a_model_the_page_says_the_classifier_is_silent(app, client):
    with app.app_context():
        accounts.create_moderator("root", PASSWORD, admin=True)
    sign_in(client, "root")
    page = client.post(RULES_PAGE, data=rules_form(client, do="simulate")).get_data(as_text=True)
    assert "No classifier model yet" in page
    assert OUT_OF_FOLD not in page
