"""commentdesk: a comment moderation microservice.

create_app builds the app step by step. Each step imports what it registers, as in Flask's
tutorial: importing one module of the package (the models, the policy, a use case) then
imports only what that module needs, not the whole app with its HTTP layer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None)
    configure(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    if proxies := app.config["TRUSTED_PROXIES"]:
        # Only then is X-Forwarded-For believed: otherwise any client could pick its own IP.
        # Outermost, so that every middleware sees the client's address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    return app


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    from service.ops import config, database

    app.config.from_object(config.Defaults)
    if test_config is None:
        app.config.update(config.settings_from_environment(os.environ))
    else:
        app.config.update(test_config)
    config.finalise(app.config, app.instance_path)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config
    )
    if replica := app.config["DATABASE_REPLICA_URL"]:
        app.config["SQLALCHEMY_BINDS"] = {
            database.REPLICA: {"url": replica, **database.engine_options(replica, app.config)}
        }


def register_extensions(app: Flask) -> None:
    from service import notifications
    from service.comments import articles
    from service.extensions import csrf, db, limiter, login_manager, migrate
    from service.feed import caches
    from service.http import security_headers
    from service.http.api import public as public_api
    from service.http.converters import (
        ArticleKeyConverter,
        IdConverter,
        article_key_schema,
        id_schema,
    )
    from service.http.openapi import api
    from service.http.web.sessions import HttpsAwareSessionInterface, load_moderator
    from service.ops import database, observability
    from service.privacy import my_comments, vault

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(MIGRATIONS_DIR),
        render_as_batch=True,
        render_item=database.render_type_for_migrations,
    )
    vault.init_app(app)
    app.extensions[articles.STATE_CACHE] = caches.article_states(app.config["FEED_STATE_SECONDS"])
    notifications.init_app(app)
    my_comments.init_app(app)
    # Before the API registers routes that use it.
    app.url_map.converters["article"] = ArticleKeyConverter
    app.url_map.converters["int"] = IdConverter
    api.init_app(app)
    api.register_converter(ArticleKeyConverter, article_key_schema)
    api.register_converter(IdConverter, id_schema)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    public_api.init_app(app)
    app.session_interface = HttpsAwareSessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to moderate."
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_moderator)
    csrf.init_app(app)
    limiter.init_app(app)
    observability.init_app(app)
    security_headers.init_app(app)


def register_blueprints(app: Flask) -> None:
    from service.extensions import csrf
    from service.http.api import moderation as moderation_api
    from service.http.api import public as public_api
    from service.http.api import sites as sites_api
    from service.http.openapi import api
    from service.http.web import admin, audit, editorial, people, queue, readers, widget
    from service.http.web import auth as web_auth
    from service.http.web import my_comments as mine
    from service.http.web import privacy as web_privacy
    from service.http.web import rules as web_rules
    from service.http.web import sites as web_sites

    api.register_blueprint(public_api.blp)
    api.register_blueprint(moderation_api.blp)
    api.register_blueprint(sites_api.blp)
    # The API authenticates with bearer tokens (or is public); CSRF guards cookie sessions.
    csrf.exempt(public_api.blp)
    csrf.exempt(moderation_api.blp)
    csrf.exempt(sites_api.blp)
    for blueprint in (
        web_auth.blp,
        queue.blp,
        editorial.blp,
        audit.blp,
        people.blp,
        admin.blp,
        web_sites.blp,
        web_privacy.blp,
        web_rules.blp,
        readers.blp,
        widget.blp,
        mine.blp,
    ):
        app.register_blueprint(blueprint)


def register_error_handlers(app: Flask) -> None:
    from service.http import errors

    errors.register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from service import cli

    cli.init_app(app)
