"""The current model, loaded once per process and reloaded when a newer one is stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import func, select

from service.extensions import db
from service.models import ClassifierModel

if TYPE_CHECKING:
    from service.screening.classifier.model import Model

_EXTENSION = "commentdesk.classifier.cache"


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
    # scikit-learn takes seconds to import: only processes that have a model to score with
    # (or that train one) pay for it.
    from service.screening.classifier.model import Model, ModelFormatError

    blob = db.session.scalar(select(ClassifierModel.blob).where(ClassifierModel.id == model_id))
    if blob is None:
        return None
    try:
        return Model.from_bytes(blob)
    except ModelFormatError as error:
        # Scoring stays silent rather than failing submissions; the next training replaces it.
        current_app.logger.warning("Stored classifier model %s is unusable: %s", model_id, error)
        return None


def spam_score(text: str) -> float | None:
    """The probability that `text` is spam, or None while there is no model."""
    return spam_scores([text])[0]


def spam_scores(texts: Sequence[str]) -> list[float | None]:
    if not current_app.config["CLASSIFIER_ENABLED"]:
        return [None] * len(texts)
    model = current_model()
    if model is None or not texts:
        return [None] * len(texts)
    return [float(p) for p in model.spam_probabilities(texts)]
