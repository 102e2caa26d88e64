"""Settings: defaults, and the environment variables that override them (read in create_app)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MODERATION_MODES = ("pre", "off")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message tells the operator what to do."""


class Defaults:
    MODERATION = "pre"
    ALLOWED_ORIGINS: tuple[str, ...] = ()
    # Whole request bodies above this size are refused with 413 before parsing.
    MAX_CONTENT_LENGTH = 64 * 1024
    MAX_REPLY_DEPTH = 5
    DUPLICATE_WINDOW_SECONDS = 600
    EDIT_WINDOW_MINUTES = 15
    EMAIL_CHECK_DELIVERABILITY = False
    FEED_MAX_AGE = 10
    FEED_PAGE_SIZE = 50
    # Rendered feed pages kept per worker process (each a few kB).
    FEED_CACHE_PAGES = 1024
    FEED_PAGE_SIZE_MAX = 200
    QUEUE_PAGE_SIZE = 50
    # The site's base URL, to link queue entries to their article pages (key appended).
    SITE_URL = ""
    LOGIN_RATE_LIMIT = "5 per minute"
    # Werkzeug's scrypt; only the test suite lowers the cost.
    PASSWORD_HASH_METHOD = "scrypt"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    # Secure is added per request whenever the request came over HTTPS (see web/sessions.py).
    SESSION_COOKIE_SECURE = False
    JSON_SORT_KEYS = False

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
    origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
    for origin in origins:
        if not origin.startswith(("http://", "https://")) and origin != "*":
            raise ConfigError(
                f"ALLOWED_ORIGINS entries must look like https://blog.example.com, not {origin!r}."
            )
    return origins


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Translate the documented environment variables into Flask config keys."""
    settings: dict[str, Any] = {}
    if url := environ.get("DATABASE_URL"):
        # Heroku-style URLs name the old driver; psycopg 3 is what we ship.
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        settings["SQLALCHEMY_DATABASE_URI"] = url
    for name in (
        "SECRET_KEY",
        "EMAIL_KEY",
        "SITE_URL",
        "LOGIN_RATE_LIMIT",
        "RATELIMIT_STORAGE_URI",
    ):
        if environ.get(name):
            settings[name] = environ[name]
    if "MODERATION" in environ:
        mode = environ["MODERATION"].strip().lower()
        if mode not in MODERATION_MODES:
            raise ConfigError(
                f"MODERATION must be one of {', '.join(MODERATION_MODES)}, not {mode!r}."
            )
        settings["MODERATION"] = mode
    if "ALLOWED_ORIGINS" in environ:
        settings["ALLOWED_ORIGINS"] = _origins(environ["ALLOWED_ORIGINS"])
    if "SESSION_COOKIE_SECURE" in environ:
        settings["SESSION_COOKIE_SECURE"] = _flag(
            environ["SESSION_COOKIE_SECURE"], "SESSION_COOKIE_SECURE"
        )
    if "EMAIL_CHECK_DELIVERABILITY" in environ:
        settings["EMAIL_CHECK_DELIVERABILITY"] = _flag(
            environ["EMAIL_CHECK_DELIVERABILITY"], "EMAIL_CHECK_DELIVERABILITY"
        )
    for name in (
        "MAX_REPLY_DEPTH",
        "EDIT_WINDOW_MINUTES",
        "FEED_MAX_AGE",
        "MAX_CONTENT_LENGTH",
        "DUPLICATE_WINDOW_SECONDS",
    ):
        if name in environ:
            settings[name] = _positive_int(environ[name], name)
    return settings


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
    if embedded:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(instance_path) / 'commentdesk.db'}"
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
