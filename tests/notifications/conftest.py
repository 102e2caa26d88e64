"""Fixtures of the notification tests: a webhook receiver, and apps whose background senders
are stopped after each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from service.notifications import notifier
from tests.notifications.helpers import PUBLIC_URL, Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.thread.start()
    yield running
    running.release.set()
    running.server.shutdown()
    running.server.server_close()
    running.thread.join(5)


@pytest.fixture
def notify_app(make_app: Any) -> Iterator[Any]:
    """Apps with notification settings; their background senders are stopped afterwards, so
    no thread outlives its test."""
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = make_app(**({"PUBLIC_URL": PUBLIC_URL, "NOTIFY_RETRY_DELAY": 0.01} | overrides))
        built.append(app)
        return app

    yield build
    for app in built:
        notifier(app).shutdown()
