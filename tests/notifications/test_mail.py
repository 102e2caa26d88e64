"""Email to the moderators over SMTP (service/notifications/mail.py)."""

from __future__ import annotations

import logging

from tests.conftest import submit
from tests.notifications.helpers import PASSWORD, assert_private, email


def test_smtp_login_failure_is_logged_without_the_password(notify_app, smtp_server, caplog):
    caplog.set_level(logging.WARNING, logger="service.notifications")
    _mailbox, port = smtp_server
    # The local server offers no AUTH (and no TLS): the login fails, the password stays put.
    app = notify_app(**email(port, SMTP_USERNAME="desk", SMTP_PASSWORD=PASSWORD))
    submit(app.test_client())

    result = app.test_cli_runner().invoke(args=["notify"])

    assert result.exit_code == 1
    assert "SMTPNotSupportedError" in caplog.text
    assert_private(caplog.text + result.output)
