"""Retrain in the background every CLASSIFIER_RETRAIN_EVERY moderator decisions.

Never in the request path: the moderation use cases only count; one thread per process
trains at a time, and a failure is logged, never raised into a moderator's request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Flask, current_app

from service.models import CommentStatus
from service.ops import database
from service.screening.classifier.training import train_from_decisions

_EXTENSION = "commentdesk.classifier.retraining"
# Only these decisions change what the classifier learns from.
_LEARNED_FROM = {CommentStatus.APPROVED.value, CommentStatus.SPAM.value}


@dataclass
class _Retraining:
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: int = 0
    thread: threading.Thread | None = None


def _state(app: Flask) -> _Retraining:
    state: _Retraining = app.extensions.setdefault(_EXTENSION, _Retraining())
    return state


def note_decisions(statuses: Iterable[str]) -> None:
    """Called after a moderation use case committed, with the statuses it moved comments
    to; starts a retraining once enough approvals and spam decisions have added up."""
    every = current_app.config["CLASSIFIER_RETRAIN_EVERY"]
    count = sum(1 for status in statuses if status in _LEARNED_FROM)
    if not every or not count:
        return
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state = _state(app)
    with state.lock:
        state.pending += count
        busy = state.thread is not None and state.thread.is_alive()
        if state.pending < every or busy:
            return
        state.pending = 0
        state.thread = threading.Thread(
            target=_retrain, args=(app,), name="classifier-retraining", daemon=True
        )
        state.thread.start()


def _retrain(app: Flask) -> None:
    # Background work, not a request: no request's database timeouts.
    with app.app_context(), database.command_work():
        try:
            report = train_from_decisions()
        except Exception:
            # Nobody waits for this thread to raise to: log the traceback, keep the old model.
            app.logger.exception("Retraining the spam classifier failed")
            return
        if report.trained:
            app.logger.info(
                "Spam classifier retrained on %s approved and %s spam comments: %s",
                report.ham_count,
                report.spam_count,
                report.metrics,
            )


def wait_for_retraining(timeout: float | None = None) -> bool:
    """Wait for this process's retraining, if one runs; False if it is still running."""
    thread = _state(current_app).thread
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True
