"""The current model, loaded once per process and reloaded when a newer one is stored.

Scoring needs NumPy only: importing this never imports scikit-learn."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from service.extensions import db
from service.models import ClassifierModel
from service.screening.classifier.features import CommentText
from service.screening.classifier.model import Model, ModelFormatError

_EXTENSION = "commentdesk.classifier.cache"
_WARM_UP = CommentText("A first comment, to warm up.", "Reader", "https://example.org/")


@dataclass
class _Cache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    model: Model | None = None
    model_id: int | None = None
    checked_at: float | None = None


def _cache() -> _Cache:
    # One per app (tests build several apps in one process, each on its own database).
    cache: _Cache = current_app.extensions.setdefault(_EXTENSION, _Cache())
    return cache


def current_model() -> Model | None:
    """The newest stored model, or None. Looks for a newer one at most every
    CLASSIFIER_RELOAD_SECONDS (one indexed max(id) query), and loads it when there is."""
    cache = _cache()
    now = time.monotonic()
    with cache.lock:
        interval = current_app.config["CLASSIFIER_RELOAD_SECONDS"]
        if cache.checked_at is not None and now - cache.checked_at < interval:
            return cache.model
        cache.checked_at = now
        known = cache.model_id
    latest = db.session.scalar(select(func.max(ClassifierModel.id)))
    if latest != known:
        remember(latest, _load(latest) if latest is not None else None)
    return cache.model


def remember(model_id: int | None, model: Model | None) -> None:
    """Use this model from now on (the process that trained it need not read it back)."""
    cache = _cache()
    with cache.lock:
        if model_id is None or cache.model_id is None or model_id >= cache.model_id:
            cache.model, cache.model_id = model, model_id


def _load(model_id: int) -> Model | None:
    blob = db.session.scalar(select(ClassifierModel.blob).where(ClassifierModel.id == model_id))
    if blob is None:
        return None
    try:
        model = Model.from_bytes(blob)
    except ModelFormatError as error:
        # Scoring stays silent rather than failing submissions; the next training replaces it.
        current_app.logger.warning("Stored classifier model %s is unusable: %s", model_id, error)
        return None
    # The first score pays for NumPy's and the tokenizer's first use: paid here, a worker
    # warmed after fork scores its first comment as fast as its hundredth.
    model.spam_probabilities([_WARM_UP])
    if model.fields == {"body"}:
        current_app.logger.warning(
            "Stored classifier model %s reads comment bodies only (an older format): it is used "
            "as it is until the next training; `flask --app wsgi classifier train` makes one "
            "that also reads names and websites.",
            model_id,
        )
    return model


def spam_score(body: str, name: str = "", website: str | None = None) -> float | None:
    """The probability that a comment is spam, or None while there is no model."""
    return spam_scores([CommentText(body, name, website)])[0]


def spam_scores(comments: Sequence[CommentText | str]) -> list[float | None]:
    """Each comment's spam probability (a bare string is a body with no name or website)."""
    if not current_app.config["CLASSIFIER_ENABLED"]:
        return [None] * len(comments)
    model = current_model()
    if model is None or not comments:
        return [None] * len(comments)
    texts = [c if isinstance(c, CommentText) else CommentText(c) for c in comments]
    return [float(p) for p in model.spam_probabilities(texts)]
