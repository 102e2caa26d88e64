"""Settings: defaults, and the environment variables that override them (read in create_app)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from service import origins as site_origins

MODERATION_MODES = ("pre", "off", "trusted")
LOG_FORMATS = ("json", "text")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message tells the operator what to do.
    `setting` names the site field at fault, where a site's settings were checked."""

    def __init__(self, message: str, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class Defaults:
    MODERATION = "pre"
    DATABASE_REPLICA_URL: str | None = None
    ALLOWED_ORIGINS: tuple[str, ...] = ()
    # Whole request bodies above this size are refused with 413 before parsing.
    MAX_CONTENT_LENGTH = 64 * 1024
    MAX_REPLY_DEPTH = 5
    DUPLICATE_WINDOW_SECONDS = 600
    # How long after posting a commenter may edit or withdraw a comment (0: never).
    EDIT_WINDOW_MINUTES = 15
    EMAIL_CHECK_DELIVERABILITY = False
    FEED_MAX_AGE = 10
    FEED_PAGE_SIZE = 50
    # Rendered feed pages kept per worker process (each a few kB).
    FEED_CACHE_PAGES = 1024
    # Seconds a worker trusts an article's cached feed version before asking the database.
    FEED_STATE_SECONDS = 1.0
    # Comments a moderator may pin at the top of one article's thread.
    MAX_PINNED_COMMENTS = 3
    QUEUE_PAGE_SIZE = 50
    # /demo, a sample article with the widget: None turns it on for debug runs and for the
    # zero-config embedded default (no DATABASE_URL), and off everywhere else.
    DEMO_PAGE: bool | None = None
    # The site's base URL, to link queue entries to their article pages (key appended).
    SITE_URL = ""
    # Sign-in throttling (moderation/sign_ins.py): failed sign-ins per account name and per
    # client address within the window, counted in the database; 0 turns a count off.
    LOGIN_FAILURES_PER_ACCOUNT = 5
    LOGIN_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW_SECONDS = 900
    # Moderators' sessions end after this long without a request, and this long after
    # signing in whatever happens (http/web/sessions.py); 0 turns one off.
    SESSION_IDLE_SECONDS = 2 * 3600
    SESSION_MAX_SECONDS = 12 * 3600
    # Werkzeug's scrypt; only the test suite lowers the cost.
    PASSWORD_HASH_METHOD = "scrypt"
    RATELIMIT_STORAGE_URI = "memory://"
    # No X-RateLimit-*/Retry-After on every answer; a 429 carries its own Retry-After.
    RATELIMIT_HEADERS_ENABLED = False
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    # Secure is added per request whenever the request came over HTTPS (see web/sessions.py).
    SESSION_COOKIE_SECURE = False

    # Spam and abuse policy (service/policy/). Word and domain lists from the environment
    # are merged with the ones admins edit in the moderation UI.
    LINK_LIMIT = 2
    HOLD_WORDS: tuple[str, ...] = ()
    DENY_WORDS: tuple[str, ...] = ()
    DENY_DOMAINS: tuple[str, ...] = ()
    MIN_FORM_SECONDS = 3.0
    # false: a submission without the form's token is not held (a site's own backend posts).
    FORM_TOKEN_REQUIRED = True
    SUBMIT_RATE_LIMIT = "5 per minute;50 per day"
    RATELIMIT_ENABLED = True
    # Redis unreachable: keep limiting in process memory rather than failing requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    FLOOD_SECONDS = 15
    CLOSE_AFTER_DAYS = 0
    SURGE_SUBMISSIONS = 30
    SURGE_SPAM = 10
    SURGE_WINDOW_SECONDS = 600
    SURGE_COOLDOWN_SECONDS = 3600
    # How many proxies in front of the service set X-Forwarded-For; 0 trusts none.
    TRUSTED_PROXIES = 0
    # false: no model is loaded or consulted (its reason never appears).
    CLASSIFIER_ENABLED = True
    CLASSIFIER_HOLD_THRESHOLD = 0.7
    CLASSIFIER_SPAM_THRESHOLD = 0.95
    # The classifier (service/classifier/) learns from moderators' approve/spam decisions:
    # no model until this many of each, retrained in the background after this many new
    # ones (0: only `flask classifier train`), a newer stored model picked up within seconds.
    CLASSIFIER_MIN_PER_CLASS = 20
    CLASSIFIER_RETRAIN_EVERY = 50
    CLASSIFIER_RELOAD_SECONDS = 30
    AKISMET_API_KEY = ""
    AKISMET_BLOG_URL = ""

    # Notifications (service/notifications/): nothing is sent until a webhook URL or an SMTP
    # host is set. PUBLIC_URL is this service's own base URL, for links to the queue.
    PUBLIC_URL = ""
    NOTIFY_WEBHOOK_URL = ""
    NOTIFY_WEBHOOK_SECRET = ""
    NOTIFY_WEBHOOK_FORMAT = "json"
    NOTIFY_WEBHOOK_TIMEOUT = 5
    NOTIFY_RETRIES = 3
    # Seconds before the first retry; each further retry waits twice as long.
    NOTIFY_RETRY_DELAY = 1.0
    SMTP_HOST = ""
    SMTP_PORT = 587
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    SMTP_STARTTLS = True
    SMTP_SSL = False
    SMTP_TIMEOUT = 10
    NOTIFY_EMAIL_FROM = ""
    NOTIFY_EMAIL_TO: tuple[str, ...] = ()
    PENDING_ALERT_MINUTES = 60

    # Privacy (service/privacy/personal_data.py): `flask purge` forgets IP hashes and user agents of
    # comments older than this many days; 0 keeps them.
    RETENTION_DAYS = 0
    # "My comments" (service/privacy/my_comments.py): how long the emailed link works; 0: no email.
    # Sent only when SMTP_HOST, NOTIFY_EMAIL_FROM and PUBLIC_URL are set.
    MY_COMMENTS_LINK_HOURS = 72
    # Only to commenters who ask, once a day per address, and at most this many an hour for
    # the whole site (0: none), so nobody can make the site mail strangers in bulk.
    MY_COMMENTS_MAIL_PER_HOUR = 100

    # Database timeouts (service/ops/database.py). A request waits this long for a statement
    # (on SQLite: for the write lock), for a row or table lock, and for a free pooled
    # connection, then answers 503; CLI commands, migrations and imports get
    # DB_COMMAND_TIMEOUT_MS instead (0: no limit; SQLite then waits 30 s for the lock).
    DB_STATEMENT_TIMEOUT_MS = 3000
    DB_LOCK_TIMEOUT_MS = 2000
    DB_POOL_TIMEOUT_SECONDS = 2.0
    DB_COMMAND_TIMEOUT_MS = 0

    # Access and audit logs (service/ops/observability.py): one JSON object a line, or "text".
    LOG_FORMAT = "json"

    API_TITLE = "commentdesk"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}.")


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None
    if number < 0:
        raise ConfigError(f"{name} must not be negative.")
    return number


def _origins(value: str) -> tuple[str, ...]:
    # One rule for an origin, the sites' own included (service/origins.py); "*" opens
    # CORS to every page (never redirects).
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    try:
        return tuple(e if e == "*" else site_origins.checked_origin(e) for e in entries)
    except ValueError as error:
        raise ConfigError(f"ALLOWED_ORIGINS entries {error}") from None


def _text(value: str, _name: str) -> str:
    return value.strip()


def _number(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}.") from None
    if number < 0:
        raise ConfigError(f"{name} must not be negative.")
    return number


def _words(value: str, _name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _domains(value: str, name: str) -> tuple[str, ...]:
    # As the admin page stores them: "https://Spam.Example/" means spam.example.
    cleaned = (
        domain.lower().removeprefix("https://").removeprefix("http://").strip("/.")
        for domain in _words(value, name)
    )
    return tuple(domain for domain in cleaned if domain)


def _moderation(value: str, name: str) -> str:
    mode = value.strip().lower()
    if mode not in MODERATION_MODES:
        raise ConfigError(f"{name} must be one of {', '.join(MODERATION_MODES)}, not {mode!r}.")
    return mode


def _log_format(value: str, name: str) -> str:
    log_format = value.strip().lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"{name} must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}.")
    return log_format


def _database_url(url: str, _name: str) -> str:
    # Heroku-style URLs name the old driver; psycopg 3 is what we ship.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


# Every documented environment variable, the config key it sets, and how it is read.
ENVIRONMENT: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", _database_url),
    "DATABASE_REPLICA_URL": ("DATABASE_REPLICA_URL", _database_url),
    "MODERATION": ("MODERATION", _moderation),
    "LOG_FORMAT": ("LOG_FORMAT", _log_format),
    "ALLOWED_ORIGINS": ("ALLOWED_ORIGINS", lambda value, _: _origins(value)),
    "EMAIL_CHECK_DELIVERABILITY": ("EMAIL_CHECK_DELIVERABILITY", _flag),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _flag),
    "RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _flag),
    "CLASSIFIER_ENABLED": ("CLASSIFIER_ENABLED", _flag),
    "FORM_TOKEN_REQUIRED": ("FORM_TOKEN_REQUIRED", _flag),
    "SMTP_STARTTLS": ("SMTP_STARTTLS", _flag),
    "SMTP_SSL": ("SMTP_SSL", _flag),
    "NOTIFY_EMAIL_TO": ("NOTIFY_EMAIL_TO", _words),
    "HOLD_WORDS": ("HOLD_WORDS", _words),
    "DENY_WORDS": ("DENY_WORDS", _words),
    "DENY_DOMAINS": ("DENY_DOMAINS", _domains),
    "MIN_FORM_SECONDS": ("MIN_FORM_SECONDS", _number),
    "FEED_STATE_SECONDS": ("FEED_STATE_SECONDS", _number),
    "DB_POOL_TIMEOUT_SECONDS": ("DB_POOL_TIMEOUT_SECONDS", _number),
    "CLASSIFIER_HOLD_THRESHOLD": ("CLASSIFIER_HOLD_THRESHOLD", _number),
    "CLASSIFIER_SPAM_THRESHOLD": ("CLASSIFIER_SPAM_THRESHOLD", _number),
    **{
        name: (name, _text)
        for name in (
            "SECRET_KEY",
            "EMAIL_KEY",
            "SITE_URL",
            "PUBLIC_URL",
            "SUBMIT_RATE_LIMIT",
            "RATELIMIT_STORAGE_URI",
            "RATELIMIT_KEY_PREFIX",
            "NOTIFY_WEBHOOK_URL",
            "NOTIFY_WEBHOOK_SECRET",
            "NOTIFY_WEBHOOK_FORMAT",
            "SMTP_HOST",
            "SMTP_USERNAME",
            "SMTP_PASSWORD",
            "NOTIFY_EMAIL_FROM",
            "AKISMET_API_KEY",
            "AKISMET_BLOG_URL",
        )
    },
    **{
        name: (name, _positive_int)
        for name in (
            "MAX_REPLY_DEPTH",
            "FEED_MAX_AGE",
            "MAX_CONTENT_LENGTH",
            "DUPLICATE_WINDOW_SECONDS",
            "EDIT_WINDOW_MINUTES",
            "NOTIFY_WEBHOOK_TIMEOUT",
            "NOTIFY_RETRIES",
            "SMTP_PORT",
            "PENDING_ALERT_MINUTES",
            "LINK_LIMIT",
            "FLOOD_SECONDS",
            "CLOSE_AFTER_DAYS",
            "SURGE_SUBMISSIONS",
            "SURGE_SPAM",
            "SURGE_WINDOW_SECONDS",
            "SURGE_COOLDOWN_SECONDS",
            "TRUSTED_PROXIES",
            "CLASSIFIER_MIN_PER_CLASS",
            "CLASSIFIER_RETRAIN_EVERY",
            "CLASSIFIER_RELOAD_SECONDS",
            "MAX_PINNED_COMMENTS",
            "RETENTION_DAYS",
            "MY_COMMENTS_LINK_HOURS",
            "LOGIN_FAILURES_PER_ACCOUNT",
            "LOGIN_FAILURES_PER_ADDRESS",
            "LOGIN_FAILURE_WINDOW_SECONDS",
            "SESSION_IDLE_SECONDS",
            "SESSION_MAX_SECONDS",
            "DB_STATEMENT_TIMEOUT_MS",
            "DB_LOCK_TIMEOUT_MS",
            "DB_COMMAND_TIMEOUT_MS",
            "MY_COMMENTS_MAIL_PER_HOUR",
        )
    },
}


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Translate the documented environment variables into Flask config keys.

    An empty variable counts as unset, as in docker-compose `.env` files."""
    return {
        key: parse(environ[name], name)
        for name, (key, parse) in ENVIRONMENT.items()
        if environ.get(name, "").strip()
    }


def local_secret_key(instance_path: str) -> str:
    """The zero-config run's secret: generated once, kept in the instance folder.

    Written to a temporary file and linked into place so that several workers
    starting at once all end up reading the same key.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "secret_key"
    if not key_file.exists():
        scratch = folder / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        scratch.write_text(secrets.token_urlsafe(48))
        scratch.chmod(0o600)
        try:
            os.link(scratch, key_file)
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    return key_file.read_text().strip()


def finalise(config: dict[str, Any] | Any, instance_path: str) -> None:
    """Fill in what depends on other settings: the database default and the secret key."""
    embedded = not config.get("SQLALCHEMY_DATABASE_URI")
    # The zero-configuration run (no DATABASE_URL): a local trial, not a production site.
    config["ZERO_CONFIG"] = embedded
    if embedded:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(instance_path) / 'commentdesk.db'}"
    if config.get("DEMO_PAGE") is None:
        config["DEMO_PAGE"] = embedded or bool(config.get("DEBUG"))
    if config.get("SECRET_KEY"):
        return
    if config.get("TESTING") or config.get("DEBUG"):
        config["SECRET_KEY"] = secrets.token_urlsafe(48)
        return
    if embedded:
        config["SECRET_KEY"] = local_secret_key(instance_path)
        return
    raise ConfigError(
        "SECRET_KEY is not set. Set it in the environment to a long random string "
        "(python -c 'import secrets; print(secrets.token_urlsafe(48))'); see .env.example."
    )
