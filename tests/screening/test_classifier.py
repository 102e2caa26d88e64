"""The spam classifier learned from moderators' decisions: training, storage, reloading,
the background retraining, and the evaluation command."""

from __future__ import annotations

import io
import itertools
import logging
import pickle

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import func, select

from service.comments import articles
from service.comments.rendering import render_body
from service.extensions import db
from service.models import ClassifierModel, Comment, CommentStatus, Moderator
from service.moderation import accounts, decisions
from service.ops.database import write_transaction
from service.privacy import vault
from service.screening import classifier
from service.screening.classifier.features import CommentText
from service.screening.classifier.model import Model, ModelFormatError
from tests.conftest import submit

SPAM = [
    "Check out my channel for free gift cards!!! http://free-gifts.example/win",
    "Earn $500 a day working from home, no experience needed. Visit www.easy-cash.example",
    "CHEAP VIAGRA and CIALIS online, no prescription: pharma-deals.example",
    "Subscribe to my channel and I will subscribe back!! sub4sub",
    "Hot singles in your area are waiting for you >>> dating-now.example",
    "I made $8,000 last month with this one weird trick, click here: trick.example/money",
    "Buy Instagram followers cheap, 10k followers for $5 at followers.example",
    "Congratulations! You have won an iPhone. Claim your prize at prize-claim.example",
    "Best replica watches and handbags, huge discount today only: replica-store.example",
    "Get your payday loan approved in 5 minutes, bad credit OK! loans-fast.example",
    "Work from home and make money online, visit my profile for details!!!",
    "Crypto signals group: 300% profit guaranteed, join t.me/profit-signals now",
    "Please check out my new music video and subscribe, it would mean a lot!! link in bio",
    "Lose 20 pounds in 2 weeks with this miracle pill, order now at slim-fast-pills.example",
    "FREE V-BUCKS generator no survey, click www.free-vbucks.example",
    "Make money fast!!! Easy online income, click the link: cash-now.example/start",
    "Visit casino-bonus.example for 200 free spins and a $1000 welcome bonus",
    "Want more views? Buy YouTube views and likes at views-shop.example, cheap and fast",
    "Earn bitcoin daily with our investment plan, guaranteed returns: btc-invest.example",
    "Download free movies and software cracks at warez-zone.example",
    "Cheap essay writing service, plagiarism free, order at essays-cheap.example",
    "Click here to get free followers and likes instantly!!! followers-free.example",
]
HAM = [
    "Great article, thanks for explaining the new zoning rules so clearly.",
    "I disagree with the second point: the council voted on this twice already.",
    "My grandmother lived on that street in the sixties; lovely to see the old photos.",
    "Does anyone know whether the library will keep its Sunday opening hours?",
    "The interview with the head teacher was the most balanced piece on this so far.",
    "Small correction: the bridge reopened in March, not April.",
    "I tried the recipe last night and the sauce needed twice as long to thicken.",
    "Thanks for following up on this story, the first report left a lot out.",
    "We went to the festival on Saturday and the queues were much shorter this year.",
    "The chart in the third paragraph seems to have its axes swapped.",
    "Honestly the traffic on the ring road has been worse since the roadworks started.",
    "Would be good to hear from the residents who actually live next to the site.",
    "Interesting read. I had no idea the mill was older than the cathedral.",
    "Our school did the same thing and attendance went up within a term.",
    "The match report missed the penalty in the second half, which decided the game.",
    "I think the author is right that the budget cannot cover both projects.",
    "Lovely photos of the coast path, we walked it last summer with the kids.",
    "Can you say which consultation this refers to? I could not find it on the website.",
    "The review is fair, though I enjoyed the second act more than the critic did.",
    "As a nurse I can confirm the waiting times described here are not exaggerated.",
    "Thank you for the clear explanation of how the new parking permits work.",
    "I hope the museum keeps the free entry, it made a big difference to families.",
]
UNSEEN_SPAM = "Earn money fast from home!!! Click here for free cash: easy-money.example"
UNSEEN_HAM = "Thanks for the article, the council meeting sounded more heated than reported."


@pytest.fixture
def quiet_app(make_app):
    """An app that retrains only when told to, and always looks for a newer model."""
    return make_app(CLASSIFIER_RETRAIN_EVERY=0, CLASSIFIER_RELOAD_SECONDS=0)


_emails = itertools.count()


def add_comments(
    app: Flask,
    bodies: list[str],
    status: CommentStatus,
    authors: list[tuple[str, str | None]] | None = None,
) -> list[int]:
    """Comments as the policy left them (no moderator involved), each from its own address,
    by "Reader" with no website unless `authors` gives each one's name and website."""
    authors = authors or [("Reader", None)] * len(bodies)
    with app.app_context():
        email_vault = vault.vault()
        with write_transaction() as session:
            article = articles.lock_or_create(session, "news/council")
            comments = []
            for body, (name, website) in zip(bodies, authors, strict=True):
                email = f"reader{next(_emails)}@example.org"
                comments.append(
                    Comment(
                        article_id=article.id,
                        status=status,
                        name=name,
                        website=website,
                        email_encrypted=email_vault.encrypt(email),
                        email_hash=email_vault.email_hash(email),
                        body=body,
                        body_html=render_body(body),
                        reasons=[],
                    )
                )
            session.add_all(comments)
            session.flush()
            return [comment.id for comment in comments]


def moderator_id(app: Flask) -> int:
    with app.app_context():
        existing = db.session.scalar(select(Moderator.id).limit(1))
        if existing is not None:
            return existing
        return accounts.create_moderator("mia", "correct horse battery staple").id


def decide(
    app: Flask,
    ham: list[str],
    spam: list[str],
    spam_authors: list[tuple[str, str | None]] | None = None,
) -> None:
    """Held comments, then a moderator's bulk decisions: approve the ham, mark the spam."""
    mia = moderator_id(app)
    ham_ids = add_comments(app, ham, CommentStatus.PENDING)
    spam_ids = add_comments(app, spam, CommentStatus.PENDING, spam_authors)
    with app.app_context():
        if ham_ids:
            decisions.decide_many(ham_ids, "approve", mia)
        if spam_ids:
            decisions.decide_many(spam_ids, "spam", mia)


def stored_models(app: Flask) -> list[ClassifierModel]:
    with app.app_context():
        return list(db.session.scalars(select(ClassifierModel).order_by(ClassifierModel.id)))


def test_no_model_and_no_score_until_enough_decisions_of_each_kind(quiet_app):
    decide(quiet_app, HAM[:19], SPAM)
    with quiet_app.app_context():
        report = classifier.train_from_decisions()
        assert not report.trained
        assert (report.ham_count, report.spam_count, report.min_per_class) == (19, 22, 20)
        assert classifier.current_model() is None
        assert classifier.spam_score(UNSEEN_SPAM) is None
        assert classifier.spam_scores([UNSEEN_SPAM, UNSEEN_HAM]) == [None, None]
    assert stored_models(quiet_app) == []


def test_only_comments_a_moderator_decided_are_learned_from(quiet_app):
    # Left approved or spam by the policy itself: learning from those would teach the
    # classifier its own verdicts back.
    add_comments(quiet_app, HAM, CommentStatus.APPROVED)
    add_comments(quiet_app, SPAM, CommentStatus.SPAM)
    # Rejected is not spam (rude, off-topic), and a spam decision undone counts no more.
    decide(quiet_app, [], SPAM[:5])
    mia = moderator_id(quiet_app)
    rejected = add_comments(quiet_app, ["Off-topic rant about parking"], CommentStatus.PENDING)
    with quiet_app.app_context():
        decisions.decide_many(rejected, "reject", mia)
        marked = decisions.decide_many(
            add_comments(quiet_app, ["Visit my page"], CommentStatus.PENDING), "spam", mia
        )
        decisions.undo(marked.batch, mia)
        report = classifier.train_from_decisions(min_per_class=2)
    assert (report.ham_count, report.spam_count) == (0, 5)


def test_training_stores_numeric_arrays_that_load_back_to_the_same_model(quiet_app):
    decide(quiet_app, HAM, SPAM)
    with quiet_app.app_context():
        report = classifier.train_from_decisions()
        assert report.trained
        assert (report.ham_count, report.spam_count) == (22, 22)
        in_use = classifier.current_model()
    [row] = stored_models(quiet_app)
    assert row.id == report.model_id
    assert (row.ham_count, row.spam_count) == (22, 22)
    assert row.metrics == report.metrics
    assert set(row.metrics) >= {"precision", "recall", "f1", "folds"}
    assert row.metrics["folds"] == 5
    # A NumPy archive of plain numbers: it loads with pickles refused.
    with np.load(io.BytesIO(row.blob), allow_pickle=False) as stored:
        model_arrays = {"format", "blocks", "indices", "weights", "intercept"}
        assert set(stored.files) == model_arrays | {"out_of_fold_keys", "out_of_fold"}
        assert all(stored[name].dtype.kind in "ifU" for name in stored.files)
    loaded = Model.from_bytes(row.blob)
    texts = [CommentText(text) for text in (UNSEEN_SPAM, UNSEEN_HAM, *HAM[:3])]
    assert in_use is not None
    np.testing.assert_allclose(loaded.spam_probabilities(texts), in_use.spam_probabilities(texts))


def test_spam_scores_higher_than_legitimate_comments_it_never_saw(quiet_app):
    decide(quiet_app, HAM, SPAM)
    with quiet_app.app_context():
        classifier.train_from_decisions()
        spam_score, ham_score = classifier.spam_scores([UNSEEN_SPAM, UNSEEN_HAM])
    assert spam_score is not None and ham_score is not None
    assert spam_score > 0.5 > ham_score


def test_bytes_that_are_not_a_model_are_refused_without_unpickling():
    class Boom:
        def __reduce__(self):
            return (pytest.fail, ("a stored model was unpickled",))

    pickled = io.BytesIO()
    np.save(pickled, np.array([Boom()], dtype=object), allow_pickle=True)
    old_format = io.BytesIO()
    np.savez(old_format, format=np.array([0, 16]), indices=np.zeros(0, np.int32))
    lone_array = io.BytesIO()
    np.save(lone_array, np.zeros(3))
    blobs = [
        b"",
        b"not a model",
        pickle.dumps(Boom()),
        pickled.getvalue(),
        lone_array.getvalue(),
        old_format.getvalue(),
    ]
    for blob in blobs:
        with pytest.raises(ModelFormatError):
            Model.from_bytes(blob)


def test_an_unusable_stored_model_leaves_the_classifier_silent(quiet_app, caplog):
    with quiet_app.app_context(), write_transaction() as session:
        session.add(ClassifierModel(blob=b"garbage", ham_count=1, spam_count=1, metrics={}))
    with quiet_app.app_context(), caplog.at_level(logging.WARNING):
        assert classifier.spam_score(UNSEEN_SPAM) is None
    assert "unusable" in caplog.text


def test_a_model_trained_by_another_process_is_picked_up(make_app):
    worker = make_app(CLASSIFIER_RETRAIN_EVERY=0, CLASSIFIER_RELOAD_SECONDS=0)
    cached = make_app(CLASSIFIER_RETRAIN_EVERY=0, CLASSIFIER_RELOAD_SECONDS=3600)
    trainer = make_app(CLASSIFIER_RETRAIN_EVERY=0)
    for app in (worker, cached):
        with app.app_context():
            assert classifier.current_model() is None
    decide(trainer, HAM, SPAM)
    with trainer.app_context():
        first = classifier.train_from_decisions()
    with worker.app_context():
        assert classifier.current_model() is not None
        assert classifier.spam_score(UNSEEN_SPAM) is not None
    with cached.app_context():
        # Checked a moment ago; the next look at the database is an hour away.
        assert classifier.current_model() is None

    decide(trainer, ["A second legitimate comment about the council budget."], [])
    with trainer.app_context():
        second = classifier.train_from_decisions()
    assert first.model_id is not None and second.model_id is not None
    assert second.model_id > first.model_id
    first_row, second_row = stored_models(worker)
    unseen = CommentText(UNSEEN_SPAM, "Reader")
    newest = Model.from_bytes(second_row.blob).spam_probability(unseen)
    assert newest != Model.from_bytes(first_row.blob).spam_probability(unseen)
    with worker.app_context():
        assert classifier.spam_score(UNSEEN_SPAM, "Reader") == pytest.approx(newest)


def test_only_the_newest_few_models_are_kept(quiet_app):
    decide(quiet_app, HAM, SPAM)
    with quiet_app.app_context():
        ids = [classifier.train_from_decisions().model_id for _ in range(5)]
    assert [row.id for row in stored_models(quiet_app)] == ids[-3:]


def test_enough_new_decisions_retrain_in_the_background(make_app):
    app = make_app(CLASSIFIER_RETRAIN_EVERY=10, CLASSIFIER_MIN_PER_CLASS=4)
    decide(app, HAM[:4], SPAM[:5])  # nine decisions: one short
    mia = moderator_id(app)
    with app.app_context():
        assert classifier.wait_for_retraining(timeout=10)
        assert db.session.scalar(select(func.count(ClassifierModel.id))) == 0
        rejected = add_comments(app, ["Off topic."], CommentStatus.PENDING)
        decisions.decide(rejected[0], "reject", mia)  # not a decision it learns from
        assert classifier.wait_for_retraining(timeout=10)
        assert db.session.scalar(select(func.count(ClassifierModel.id))) == 0

        held = add_comments(app, [HAM[4]], CommentStatus.PENDING)
        decisions.decide(held[0], "approve", mia)  # the tenth
        assert classifier.wait_for_retraining(timeout=30)
        [row] = stored_models(app)
        assert (row.ham_count, row.spam_count) == (5, 5)
        assert classifier.spam_score(UNSEEN_SPAM) is not None


def test_a_failing_background_retraining_is_logged_not_raised(make_app, caplog, monkeypatch):
    app = make_app(CLASSIFIER_RETRAIN_EVERY=2)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("service.screening.classifier.retraining.train_from_decisions", broken)
    with caplog.at_level(logging.ERROR):
        decide(app, HAM[:1], SPAM[:1])
        with app.app_context():
            assert classifier.wait_for_retraining(timeout=10)
    assert "Retraining the spam classifier failed" in caplog.text
    assert "disk full" in caplog.text


def test_a_submission_the_model_finds_spammy_is_held_with_the_probability(quiet_app):
    decide(quiet_app, HAM, SPAM)
    with quiet_app.app_context():
        classifier.train_from_decisions()
    response = submit(quiet_app.test_client(), body=UNSEEN_SPAM, email="new@example.org")
    assert response.status_code == 201, response.get_json()
    with quiet_app.app_context():
        comment = db.session.get(Comment, response.get_json()["id"])
        assert comment is not None
        [reason] = [r for r in comment.reasons if r["code"] == "classifier"]
    assert reason["message"].startswith("classifier: spam 0.")


def test_train_command_prints_counts_and_cross_validated_metrics(quiet_app):
    runner = quiet_app.test_cli_runner()
    result = runner.invoke(args=["classifier", "train"])
    assert result.exit_code == 0, result.output
    assert "Not enough decisions yet: 0 approved and 0 spam comments" in result.output

    decide(quiet_app, HAM, SPAM)
    result = runner.invoke(args=["classifier", "train"])
    assert result.exit_code == 0, result.output
    assert "trained on 22 approved and 22 spam comments" in result.output
    assert "Cross-validated (5 folds, probability 0.5): precision " in result.output


def write_csv(path, rows: list[tuple[str, int]]) -> None:
    lines = ["ID,author,date,text,label"]
    for n, (text, label) in enumerate(rows):
        quoted = '"' + text.replace('"', '""') + '"'
        lines.append(f"id{n},someone,2014-11-07,{quoted},{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_evaluate_command_reports_precision_recall_and_confusion_matrix(runner, tmp_path):
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    write_csv(train, [(t, 1) for t in SPAM[:16]] + [(t, 0) for t in HAM[:16]])
    write_csv(test, [(t, 1) for t in SPAM[16:]] + [(t, 0) for t in HAM[16:]])
    args = ["classifier", "evaluate", "--train", str(train), "--test", str(test), "--cv", "4"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    output = result.output
    assert "Trained on train.csv: 32 comments (16 spam, 16 legitimate)." in output
    assert "Tested on test.csv: 12 comments (6 spam, 6 legitimate)." in output
    assert "threshold precision  recall     F1" in output
    assert "     0.50 " in output and "     0.70 " in output and "     0.95 " in output
    assert "Confusion matrix at 0.50 (rows: actual; columns: predicted):" in output
    assert "4-fold cross-validation on train.csv (probability 0.5):" in output
    for line in ("  precision ", "  recall    ", "  F1        "):
        assert line in output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("comment,spam\nhello,1\n", "needs a header with `text` and `label` columns"),
        ("text,label\nhello,maybe\n", "line 2: label 'maybe' is not 1/0/spam/ham"),
        ("text,label\nhello,1\nworld,1\n", "needs at least 2 spam and legitimate comments"),
    ],
)
def test_evaluate_command_explains_an_unusable_file(runner, tmp_path, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["classifier", "evaluate", "--train", str(bad), "--test", str(bad)])
    assert result.exit_code != 0
    assert message in result.output
