"""Notification settings, checked once when the app is created (a mistake stops start-up)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from service.models import DEFAULT_SITE_SLUG
from service.ops.config import ConfigError

if TYPE_CHECKING:
    from service.sites.registry import SiteSettings

WEBHOOK_FORMATS = ("json", "slack")


@dataclass(frozen=True)
class _Names:
    """What the error messages call the receivers' settings: the environment's variables,
    or a site's fields."""

    webhook_url: str = "NOTIFY_WEBHOOK_URL"
    webhook_secret: str = "NOTIFY_WEBHOOK_SECRET"
    email_to: str = "NOTIFY_EMAIL_TO"

    @classmethod
    def of_site(cls, slug: str) -> _Names:
        return cls(
            f"The webhook URL of site {slug!r}",
            f"The webhook secret of site {slug!r}",
            f"The digest recipients of site {slug!r}",
        )


@dataclass(frozen=True)
class NotifySettings:
    public_url: str = ""
    # Slack's webhook URLs carry their token in the path: as secret as the secret itself.
    webhook_url: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)
    webhook_format: str = "json"
    webhook_timeout: float = 5.0
    retries: int = 3
    retry_delay: float = 1.0
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_timeout: float = 10.0
    email_from: str = ""
    email_to: tuple[str, ...] = ()
    pending_alert_minutes: int = 60
    # The site whose receivers these are (for_site), named in what they are sent.
    site: str = DEFAULT_SITE_SLUG
    site_name: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> NotifySettings:
        settings = cls(
            public_url=_url(config["PUBLIC_URL"], "PUBLIC_URL").rstrip("/"),
            webhook_url=_url(config["NOTIFY_WEBHOOK_URL"], "NOTIFY_WEBHOOK_URL"),
            webhook_secret=config["NOTIFY_WEBHOOK_SECRET"] or "",
            webhook_format=(config["NOTIFY_WEBHOOK_FORMAT"] or "json").strip().lower(),
            webhook_timeout=float(config["NOTIFY_WEBHOOK_TIMEOUT"]),
            retries=int(config["NOTIFY_RETRIES"]),
            retry_delay=float(config["NOTIFY_RETRY_DELAY"]),
            smtp_host=(config["SMTP_HOST"] or "").strip(),
            smtp_port=int(config["SMTP_PORT"]),
            smtp_username=config["SMTP_USERNAME"] or "",
            smtp_password=config["SMTP_PASSWORD"] or "",
            smtp_starttls=bool(config["SMTP_STARTTLS"]),
            smtp_ssl=bool(config["SMTP_SSL"]),
            smtp_timeout=float(config["SMTP_TIMEOUT"]),
            email_from=(config["NOTIFY_EMAIL_FROM"] or "").strip(),
            email_to=_addresses(config["NOTIFY_EMAIL_TO"]),
            pending_alert_minutes=int(config["PENDING_ALERT_MINUTES"]),
        )
        settings._check(_Names())
        return settings

    def for_site(self, site: SiteSettings) -> NotifySettings:
        """These settings with the site's receivers: its webhook and digest recipients (the
        default site's are the environment's unless an admin gave it its own); ConfigError
        when they do not fit together, as for the environment's at start-up."""
        names = _Names.of_site(site.slug)
        settings = replace(
            self,
            site=site.slug,
            site_name=site.name,
            webhook_url=_url(site.webhook_url, names.webhook_url),
            webhook_secret=site.webhook_secret or "",
            email_to=_addresses(site.digest_to),
        )
        settings._check(names)
        return settings

    def _check(self, names: _Names) -> None:
        if self.webhook_format not in WEBHOOK_FORMATS:
            raise ConfigError(
                f"NOTIFY_WEBHOOK_FORMAT must be one of {', '.join(WEBHOOK_FORMATS)}, "
                f"not {self.webhook_format!r}."
            )
        if self.webhook_url and self.webhook_format == "json" and not self.webhook_secret:
            raise ConfigError(
                f"{names.webhook_secret} is not set. The receiver checks each webhook's "
                "X-Commentdesk-Signature with it; set it to a long random string "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))').",
                setting="webhook_secret",
            )
        if self.email_to and not self.smtp_host:
            raise ConfigError(
                f"{names.email_to} is set but SMTP_HOST is not: set both, or neither.",
                setting="digest_to",
            )
        if self.smtp_host and "@" not in self.email_from:
            raise ConfigError(
                "NOTIFY_EMAIL_FROM is not set: the address the digest and commenters' links "
                "are sent from (one your SMTP server may send as)."
            )
        for address in self.email_to:
            if "@" not in address:
                raise ConfigError(
                    f"{names.email_to}: each must be an email address, not {address!r}.",
                    setting="digest_to",
                )
        if min(self.retries, self.smtp_port, self.pending_alert_minutes) < 0:
            raise ConfigError("NOTIFY_RETRIES, SMTP_PORT and PENDING_ALERT_MINUTES must be >= 0.")
        if self.webhook_timeout <= 0 or self.smtp_timeout <= 0 or self.retry_delay < 0:
            raise ConfigError("Notification timeouts must be positive and the retry delay >= 0.")

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.webhook_url)

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.email_to)

    @property
    def webhook_host(self) -> str:
        """Where webhooks go, fit for a log line (the path may hold a token)."""
        parts = urlsplit(self.webhook_url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _addresses(recipients: str | Iterable[str] | None) -> tuple[str, ...]:
    if isinstance(recipients, str):
        recipients = recipients.split(",")
    return tuple(a.strip() for a in recipients or () if a.strip())


def _url(value: str | None, name: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # The value itself is not repeated: a webhook URL may carry a token.
        raise ConfigError(f"{name} must be an http:// or https:// URL.")
    return value
