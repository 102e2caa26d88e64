"""Flask extensions, created unbound; create_app binds them to an app."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic can alter them later (SQLite batch mode included).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Use cases return objects after committing; expiring them would reload each one.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

if TYPE_CHECKING:
    # db.Model is built at run time as a subclass of Base, and mypy cannot take a base class
    # from an attribute; models subclass Model, which mypy checks as the typed Base.
    Model = Base
else:
    Model = db.Model

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Where the app keeps its keyed hash of client addresses (set by service/privacy/vault.py).
CLIENT_HASH = "commentdesk.client_hash"


def client_key() -> str:
    """Who a rate limit counts: the keyed hash of the client's address, as stored with
    comments, so the limits' storage (Redis) never holds an address in clear."""
    client_hash: Callable[[str], str | None] = current_app.extensions[CLIENT_HASH]
    return client_hash(get_remote_address()) or ""


limiter = Limiter(key_func=client_key)


@limiter.request_filter
def _reads_are_not_limited() -> bool:
    # Only posts (comments, sign-ins) and commenters' edits carry limits; skipping the check
    # for everything else keeps it off the public feed's hot path.
    return request.method not in ("POST", "PATCH")


__all__ = ["Model", "client_key", "csrf", "db", "limiter", "login_manager", "migrate"]
