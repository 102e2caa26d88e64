"""Notification settings (service/notifications/settings.py): read from the environment, and
mistakes stop start-up."""

from __future__ import annotations

import pytest

from service import create_app
from service.notifications import notifier
from service.ops.config import ConfigError, settings_from_environment
from tests.conftest import base_config
from tests.notifications.helpers import MODERATORS, PASSWORD, PUBLIC_URL, SECRET


def test_notification_settings_come_from_the_environment():
    settings = settings_from_environment(
        {
            "PUBLIC_URL": "https://comments.example.com/",
            "NOTIFY_WEBHOOK_URL": "https://hooks.example.com/x",
            "NOTIFY_WEBHOOK_SECRET": SECRET,
            "NOTIFY_WEBHOOK_FORMAT": "slack",
            "NOTIFY_RETRIES": "5",
            "SMTP_HOST": "smtp.example.com",
            "SMTP_PORT": "2525",
            "SMTP_STARTTLS": "false",
            "SMTP_PASSWORD": PASSWORD,
            "NOTIFY_EMAIL_FROM": "desk@example.com",
            "NOTIFY_EMAIL_TO": " mia@desk.example, raj@desk.example ,",
            "PENDING_ALERT_MINUTES": "90",
        }
    )
    assert settings["NOTIFY_EMAIL_TO"] == MODERATORS
    assert settings["SMTP_PORT"] == 2525 and settings["SMTP_STARTTLS"] is False
    assert settings["PENDING_ALERT_MINUTES"] == 90 and settings["NOTIFY_RETRIES"] == 5

    app = create_app(base_config("sqlite://") | settings)
    notify = notifier(app).settings
    assert notify.public_url == PUBLIC_URL
    assert notify.webhook_format == "slack"
    assert notify.email_to == MODERATORS
    assert PASSWORD not in repr(notify) and SECRET not in repr(notify)
    assert "hooks.example.com/x" not in repr(notify)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"NOTIFY_WEBHOOK_URL": "https://hooks.example.com/x"}, "NOTIFY_WEBHOOK_SECRET is not set"),
        ({"NOTIFY_WEBHOOK_URL": "hooks.example.com/x"}, "must be an http:// or https:// URL"),
        ({"NOTIFY_WEBHOOK_FORMAT": "xml"}, "NOTIFY_WEBHOOK_FORMAT must be one of json, slack"),
        ({"PUBLIC_URL": "comments.example.com"}, "PUBLIC_URL must be an http"),
        ({"NOTIFY_EMAIL_TO": ("mia@desk.example",)}, "SMTP_HOST is not"),
        ({"SMTP_HOST": "smtp.example.com"}, "NOTIFY_EMAIL_FROM is not set"),
        (
            {"SMTP_HOST": "smtp.example.com", "NOTIFY_EMAIL_TO": ("mia@desk.example",)},
            "NOTIFY_EMAIL_FROM is not set",
        ),
    ],
)
def test_notification_settings_mistakes_stop_start_up(overrides, message):
    with pytest.raises(ConfigError, match=message) as refused:
        create_app(base_config("sqlite://") | overrides)
    assert "hooks.example.com/x" not in str(refused.value)


def test_malformed_notification_numbers_are_refused_by_name():
    with pytest.raises(ConfigError, match="SMTP_PORT must be a whole number"):
        settings_from_environment({"SMTP_PORT": "smtp"})
    with pytest.raises(ConfigError, match="SMTP_STARTTLS must be true or false"):
        settings_from_environment({"SMTP_STARTTLS": "perhaps"})
