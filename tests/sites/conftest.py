"""Sites are set up with digest recipients, which need a mail server to be sent to: these
tests' app has one configured (nothing is sent unless a test runs `flask notify`)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

WITH_SMTP = {"SMTP_HOST": "127.0.0.1", "NOTIFY_EMAIL_FROM": "desk@commentdesk.example"}


@pytest.fixture
def app(make_app: Any) -> Flask:
    app: Flask = make_app(**WITH_SMTP)
    return app
