"""The signed webhook: a JSON POST per event, retried with backoff, and the per-process
Notifier that sends it on a background thread, so a submission never waits for the receiver
nor fails because of it.

Log lines name the receiver's host and the delivery, never the URL's path (Slack keeps its
token there), the secret, or anything a commenter typed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import uuid
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

import requests
from flask import Flask, current_app

from service.models import utcnow
from service.notifications.messages import Event
from service.notifications.settings import NotifySettings

logger = logging.getLogger(__name__)

EXTENSION_KEY = "commentdesk.notifications"
SIGNATURE_HEADER = "X-Commentdesk-Signature"
TIMESTAMP_HEADER = "X-Commentdesk-Timestamp"
DELIVERY_HEADER = "X-Commentdesk-Delivery"
EVENT_HEADER = "X-Commentdesk-Event"
CONNECT_TIMEOUT = 3.0
# Deliveries waiting behind a slow or dead receiver, at most; beyond, new ones are dropped
# (logged) rather than pile up in memory. The queue page and the digest still show them.
MAX_WAITING = 100
# Statuses worth retrying; any other refusal (401, 404, ...) is a configuration problem.
_RETRYABLE = {408, 425, 429}


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of the raw body, hex, like GitHub's."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(event: Event, webhook_format: str, delivery: str, sent_at: datetime) -> bytes:
    if webhook_format == "slack":
        payload = {"text": event.text}
    else:
        # The body repeats the timestamp and delivery id so the signature covers them.
        payload = {
            "event": event.name,
            "delivery": delivery,
            "sent_at": sent_at.isoformat(),
            **event.data,
        }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def deliver(
    settings: NotifySettings,
    event: Event,
    stop: threading.Event | None = None,
    attempts: int | None = None,
) -> bool:
    """POST the event until the receiver answers 2xx or the attempts run out; True if it did.

    Waits retry_delay, then twice that, and so on between attempts; `stop` cuts the waiting
    short (the process is shutting down)."""
    stop = stop or threading.Event()
    attempts = attempts if attempts is not None else settings.retries + 1
    delivery, sent_at = uuid.uuid4().hex, utcnow()
    body = encode(event, settings.webhook_format, delivery, sent_at)
    headers = _headers(settings, event, body, delivery, sent_at)
    where = (delivery, event.name, settings.webhook_host)
    problem, made = "not attempted", 0
    for attempt in range(1, attempts + 1):
        if attempt > 1 and stop.wait(settings.retry_delay * 2 ** (attempt - 2)):
            break
        made = attempt
        answer = _post(settings, body, headers)
        if answer is None:
            return True
        problem, retryable = answer
        if not retryable:
            logger.error(
                "Webhook %s (%s) to %s refused with %s; not retried: check the receiver "
                "and NOTIFY_WEBHOOK_URL.",
                *where,
                problem,
            )
            return False
        if attempt < attempts:
            logger.warning(
                "Webhook %s (%s) to %s failed (attempt %d of %d): %s; retrying.",
                *where,
                attempt,
                attempts,
                problem,
            )
    logger.error("Webhook %s (%s) to %s gave up after %d attempt(s): %s.", *where, made, problem)
    return False


def _headers(
    settings: NotifySettings, event: Event, body: bytes, delivery: str, sent_at: datetime
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "commentdesk-webhook",
        EVENT_HEADER: event.name,
        DELIVERY_HEADER: delivery,
        TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
    }
    if settings.webhook_secret:
        headers[SIGNATURE_HEADER] = sign(settings.webhook_secret, body)
    return headers


def _post(
    settings: NotifySettings, body: bytes, headers: dict[str, str]
) -> tuple[str, bool] | None:
    """One attempt: None when the receiver took it, else what went wrong and whether trying
    again could help."""
    try:
        response = requests.post(
            settings.webhook_url,
            data=body,
            headers=headers,
            timeout=(min(CONNECT_TIMEOUT, settings.webhook_timeout), settings.webhook_timeout),
            allow_redirects=False,
            # The answer's body is never read: only its status matters.
            stream=True,
        )
    except requests.RequestException as error:
        # The exception's text repeats the URL, path and token included: name it only.
        return type(error).__name__, True
    response.close()
    if 200 <= response.status_code < 300:
        return None
    retryable = response.status_code >= 500 or response.status_code in _RETRYABLE
    return f"HTTP {response.status_code}", retryable


class Notifier:
    """Sends webhook events on one background thread per process, started at the first event.

    Nothing runs when no webhook is configured. `flush` waits for what is queued (tests, and
    anyone who needs delivery before going on); `shutdown` stops retrying and ends the thread.
    """

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._executor: ThreadPoolExecutor | None = None
        self._waiting: set[Future[bool]] = set()
        # After a delivery to a receiver gave up, the next ones to it get one attempt each
        # until one succeeds, so a dead receiver does not keep a backlog waiting through every
        # retry (nor hold up the other sites' receivers).
        self._receivers_down: set[str] = set()

    def send(self, event: Event, settings: NotifySettings | None = None) -> None:
        """Queue the event for the receiver of `settings` (a site's, NotifySettings.for_site;
        the environment's by default) and return at once; delivery problems are logged,
        never raised."""
        settings = settings or self.settings
        if not settings.webhook_enabled:
            return
        with self._lock:
            if self._stop.is_set():
                logger.warning("Webhook (%s) not sent: notifications are shut down.", event.name)
                return
            if len(self._waiting) >= MAX_WAITING:
                logger.error(
                    "Webhook (%s) dropped: %d deliveries already wait for %s.",
                    event.name,
                    len(self._waiting),
                    settings.webhook_host,
                )
                return
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="commentdesk-notify"
                )
            try:
                future = self._executor.submit(self._deliver, event, settings)
            except RuntimeError as error:
                # No thread to be had (the interpreter is exiting, or out of threads): the
                # submission stands; the queue page and the digest still show the comment.
                logger.error("Webhook (%s) not sent: %s.", event.name, error)
                return
            self._waiting.add(future)
        future.add_done_callback(self._finished)

    def _deliver(self, event: Event, settings: NotifySettings) -> bool:
        # Only the delivering thread reads and writes the receivers that are down.
        down = settings.webhook_url in self._receivers_down
        delivered = deliver(settings, event, self._stop, 1 if down else None)
        if delivered:
            self._receivers_down.discard(settings.webhook_url)
        else:
            self._receivers_down.add(settings.webhook_url)
        return delivered

    def _finished(self, future: Future[bool]) -> None:
        with self._lock:
            self._waiting.discard(future)
        if not future.cancelled() and (error := future.exception()) is not None:
            # A bug, not a delivery problem (those are handled in deliver): say so loudly.
            logger.error("Webhook delivery crashed.", exc_info=error)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event was delivered or given up; False on timeout."""
        with self._lock:
            waiting = list(self._waiting)
        return not futures.wait(waiting, timeout).not_done

    def shutdown(self, wait: bool = True) -> None:
        """Stop: events not yet started are dropped (logged), the one under way ends soon."""
        self._stop.set()
        with self._lock:
            executor, self._executor = self._executor, None
            dropped = sum(1 for f in self._waiting if not f.running() and not f.done())
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)
        if dropped:
            logger.warning("%d webhook deliveries dropped at shutdown.", dropped)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Notifier(NotifySettings.from_config(app.config))


def notifier(app: Flask | None = None) -> Notifier:
    found: Notifier = (app or current_app).extensions[EXTENSION_KEY]
    return found
