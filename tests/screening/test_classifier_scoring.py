"""Scoring with NumPy alone: the same probabilities as the scikit-learn pipeline it was trained
with, no scikit-learn imported by a worker that scores, older body-only models still used,
and the name and website read beside the body."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from service.extensions import db
from service.models import ClassifierModel, Comment
from service.ops.database import write_transaction
from service.screening import classifier
from service.screening.classifier import learning
from service.screening.classifier.features import BODY_ONLY, CommentText, _columns
from service.screening.classifier.model import Model, ModelFormatError
from tests.conftest import base_config, submit
from tests.screening.test_classifier import HAM, SPAM, UNSEEN_HAM, UNSEEN_SPAM, decide

# Names and links spammers use, one per spam comment of the training set.
SPAMMY_AUTHORS = [
    (f"{adjective} {thing} Online", f"https://{adjective.lower()}-{thing.lower()}.example/buy")
    for adjective, thing in zip(
        ["Cheap", "Free", "Best", "Discount", "Fast", "Top"] * 4,
        ["Pills", "Followers", "Watches", "Loans", "Casino", "Bitcoin", "Essays", "Views"] * 3,
        strict=False,
    )
][: len(SPAM)]

# Held-out comments in all the shapes the hashing must get right: accents and other
# scripts, entities, long unbroken words (a pasted link), empty fields, odd white space.
HELD_OUT = [
    CommentText(UNSEEN_SPAM, "Cheap Followers Online", "https://cheap-followers.example/"),
    CommentText(UNSEEN_HAM, "Anna"),
    CommentText("Très bien écrit, merci ! Ça résume la séance du conseil.", "Zoë Müller"),
    CommentText("Отличная статья, спасибо", "Иван", "http://пример.example/путь"),
    CommentText("日本語のコメントです。とても良い記事でした。", "山田"),
    CommentText("Tom &amp; Jerry&#39;s café said: &lt;b&gt;no&lt;/b&gt;", "O&#39;Neil"),
    CommentText("see " + "https://example.com/" + "a1b2c3" * 40, "", "https://x.example/" * 5),
    CommentText("  spaced\t\tout\n\nlines  ", "  ", None),
    CommentText("", "", ""),
    CommentText("ok", "A", "h"),
]


def _labelled() -> tuple[list[CommentText], np.ndarray]:
    ham = [CommentText(body, "Reader") for body in HAM]
    spam = [CommentText(b, n, w) for b, (n, w) in zip(SPAM, SPAMMY_AUTHORS, strict=True)]
    return ham + spam, np.array([0] * len(ham) + [1] * len(spam))


def test_feature_columns_match_scikit_learns_hashing_on_keys_of_every_length():
    from sklearn.feature_extraction import FeatureHasher

    keys = ["é日x\0"[i % 4] * i for i in range(300)] + ["", "\0", "abcd", "\U0001f600" * 3]
    hasher = FeatureHasher(n_features=2**18, input_type="string", alternate_sign=False)
    expected = hasher.transform([[key] for key in keys]).indices.tolist()
    assert _columns(keys, 2**18).tolist() == expected


def test_numpy_scorer_gives_the_probabilities_of_scikit_learns_pipeline():
    comments, labels = _labelled()
    model = learning.fit(comments, labels)
    # The pipeline as scikit-learn runs it: the same features and the same regression.
    matrix = learning.features(comments)
    columns = np.unique(matrix.indices)
    regression = LogisticRegression(C=learning.C, solver="liblinear", random_state=0)
    regression.fit(matrix[:, columns], labels)
    expected = regression.predict_proba(learning.features(HELD_OUT)[:, columns])[:, 1]

    stored = Model.from_bytes(model.to_bytes())
    np.testing.assert_allclose(stored.spam_probabilities(HELD_OUT), expected, rtol=0, atol=1e-9)
    assert len(set(np.round(expected, 6))) > 5  # not all the same probability


def test_scoring_a_stored_model_does_not_import_scikit_learn(make_app, database_url):
    app = make_app(CLASSIFIER_RETRAIN_EVERY=0)
    comments, labels = _labelled()
    with app.app_context(), write_transaction() as session:
        trained = learning.fit(comments, labels)
        session.add(
            ClassifierModel(blob=trained.to_bytes(), ham_count=22, spam_count=22, metrics={})
        )
    # A worker: the app, the stored model loaded, a comment scored.
    worker = f"""
import json, sys
from service import create_app
from service.screening import classifier
with create_app(json.loads(sys.argv[1])).app_context():
    score = classifier.spam_score({UNSEEN_SPAM!r}, "Sam", None)
print(json.dumps({{"score": score, "modules": sorted(sys.modules)}}))
"""
    config = json.dumps(base_config(database_url))
    done = subprocess.run(
        [sys.executable, "-c", worker, config], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    expected = trained.spam_probability(CommentText(UNSEEN_SPAM, "Sam", None))
    assert answer["score"] == pytest.approx(expected, abs=1e-12)
    assert "sklearn" not in answer["modules"]
    assert "scipy" not in answer["modules"]


def test_a_body_only_model_in_the_older_format_still_scores(quiet_app, caplog):
    comments, labels = _labelled()
    matrix = learning.features(comments, BODY_ONLY)
    columns = np.unique(matrix.indices)
    regression = LogisticRegression(C=learning.C, solver="liblinear", random_state=0)
    regression.fit(matrix[:, columns], labels)
    weights = np.zeros(2 * 2**18)
    weights[columns] = regression.coef_[0]
    # Format 1 exactly as it was stored before names and websites were read.
    indices = np.flatnonzero(weights).astype(np.int32)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        format=np.array([1, 2**18], dtype=np.int64),
        indices=indices,
        weights=weights[indices],
        intercept=regression.intercept_.astype(np.float64),
    )
    with quiet_app.app_context(), write_transaction() as session:
        session.add(
            ClassifierModel(blob=buffer.getvalue(), ham_count=22, spam_count=22, metrics={})
        )
    expected = regression.predict_proba(learning.features(HELD_OUT, BODY_ONLY)[:, columns])
    with quiet_app.app_context(), caplog.at_level(logging.WARNING):
        scores = classifier.spam_scores(HELD_OUT)
    np.testing.assert_allclose(scores, expected[:, 1], rtol=0, atol=1e-9)
    assert "reads comment bodies only" in caplog.text
    assert "classifier train" in caplog.text


def test_a_spammy_name_and_website_raise_the_score_of_an_innocent_body(quiet_app):
    decide(quiet_app, HAM, SPAM, spam_authors=SPAMMY_AUTHORS)
    with quiet_app.app_context():
        assert classifier.train_from_decisions().trained
        spammy = classifier.spam_score(
            UNSEEN_HAM, "Cheap Followers Online", "https://cheap-followers.example/buy"
        )
        ordinary = classifier.spam_score(UNSEEN_HAM, "Anna", None)
    assert spammy is not None and ordinary is not None
    assert spammy > 0.7 > 0.3 > ordinary

    # Through a submission: the same body is held for its author alone.
    client = quiet_app.test_client()
    by_spammer = submit(
        client,
        body=UNSEEN_HAM,
        name="Cheap Followers Online",
        website="https://cheap-followers.example/buy",
        email="one@example.org",
    )
    by_reader = submit(client, body=UNSEEN_HAM, name="Anna", email="two@example.org")
    assert by_spammer.status_code == by_reader.status_code == 201
    assert "classifier" in reason_codes(quiet_app, by_spammer.get_json()["id"])
    assert "classifier" not in reason_codes(quiet_app, by_reader.get_json()["id"])


def reason_codes(app, comment_id: int) -> list[str]:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        return [reason["code"] for reason in comment.reasons]


@pytest.fixture
def quiet_app(make_app):
    return make_app(CLASSIFIER_RETRAIN_EVERY=0, CLASSIFIER_RELOAD_SECONDS=0)


def _blocks(**changes: object) -> np.ndarray:
    block = {"field": "body", "analyzer": "word", "ngram_range": [1, 2], "n_features": 2**18}
    return np.array(json.dumps([block | changes]))


def _stored(**changes: object) -> bytes:
    arrays: dict[str, object] = {
        "format": np.array([2]),
        "blocks": _blocks(),
        "indices": np.array([3, 9], dtype=np.int32),
        "weights": np.array([0.5, -0.5]),
        "intercept": np.array([0.1]),
    } | changes
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_a_well_formed_stored_model_loads():
    assert Model.from_bytes(_stored()).fields == {"body"}


MALFORMED = {
    "not-json": {"blocks": np.array("not json")},
    "no-blocks": {"blocks": np.array("[]")},
    "unknown-field": {"blocks": _blocks(field="email")},
    "unknown-analyzer": {"blocks": _blocks(analyzer="char")},
    "bad-range": {"blocks": _blocks(ngram_range=[2, 1])},
    "huge-hash-space": {"blocks": _blocks(n_features=2**40)},
    "unsorted": {"indices": np.array([9, 3], dtype=np.int32)},
    "out-of-range": {"indices": np.array([3, 2**18], dtype=np.int32)},
    "nan": {"weights": np.array([np.nan, 1.0])},
    "future-format": {"format": np.array([3])},
}


@pytest.mark.parametrize("changes", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_stored_model_is_refused(changes):
    with pytest.raises(ModelFormatError):
        Model.from_bytes(_stored(**changes))
