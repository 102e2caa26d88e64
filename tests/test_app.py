"""The application as an operator meets it: configuration, migrations, the OpenAPI document."""

from __future__ import annotations

import logging
import os
import re
import stat
from typing import Any

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openapi_spec_validator import validate
from werkzeug.routing import AnyConverter

from service import create_app
from service.extensions import db
from service.http.converters import IdConverter
from service.ops.config import ConfigError
from tests.conftest import base_config

ENVIRONMENT = (
    "DATABASE_URL",
    "SECRET_KEY",
    "EMAIL_KEY",
    "MODERATION",
    "ALLOWED_ORIGINS",
    "INSTANCE_PATH",
)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> pytest.MonkeyPatch:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def test_missing_secret_key_refuses_to_start_with_a_clear_message(clean_environment, tmp_path):
    clean_environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_zero_config_run_generates_and_keeps_a_secret_key(clean_environment, tmp_path):
    first = create_app()
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/commentdesk.db")
    second = create_app()
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 40


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MODERATION", "sometimes", "MODERATION must be one of"),
        ("ALLOWED_ORIGINS", "blog.example.com", "ALLOWED_ORIGINS entries must look like"),
        # The rule a site's origins follow too (service/origins.py): an Origin header
        # never has a path, so an entry with one would silently never match.
        (
            "ALLOWED_ORIGINS",
            "https://blog.example.com/news",
            r"\(scheme://host\[:port\], no path\)",
        ),
        ("MAX_REPLY_DEPTH", "deep", "MAX_REPLY_DEPTH must be a whole number"),
        ("EMAIL_CHECK_DELIVERABILITY", "maybe", "must be true or false"),
    ],
)
def test_malformed_settings_are_refused_by_name(clean_environment, name, value, message):
    clean_environment.setenv("SECRET_KEY", "k" * 40)
    clean_environment.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_settings_come_from_the_environment(clean_environment):
    clean_environment.setenv("SECRET_KEY", "k" * 40)
    clean_environment.setenv("MODERATION", "off")
    clean_environment.setenv("ALLOWED_ORIGINS", "https://a.example, https://b.example/")
    clean_environment.setenv("DATABASE_URL", "postgresql://user@db/comments")
    app = create_app()
    assert app.config["MODERATION"] == "off"
    assert app.config["ALLOWED_ORIGINS"] == ("https://a.example", "https://b.example")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db/comments"


def test_migrations_build_exactly_the_models_schema(empty_database_url):
    app = create_app(base_config(empty_database_url))
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection), db.metadata)
            tables = set(db.inspect(connection).get_table_names())
        db.engine.dispose()
    assert drift == []
    assert {"articles", "comments", "moderators", "api_tokens", "moderation_events"} <= tables


def test_openapi_document_is_valid_and_generated_from_the_schemas(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    submit = spec["paths"]["/api/v1/articles/{article}/comments"]["post"]
    assert set(submit["requestBody"]["content"]) == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    assert "Submission" in spec["components"]["schemas"]
    queue = spec["paths"]["/api/v1/moderation/comments"]["get"]
    assert queue["security"] == [{"bearerAuth": []}]


def test_unknown_api_paths_and_methods_answer_json_errors(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    wrong_method = client.put("/api/v1/counts")
    assert wrong_method.status_code == 405
    assert "GET" in wrong_method.headers["Allow"]
    assert wrong_method.get_json()["error"]["message"]


def test_zero_config_run_does_not_warn_about_allowed_origins(clean_environment, caplog):
    with caplog.at_level(logging.WARNING, logger="commentdesk.cors"):
        create_app()
    assert not [r for r in caplog.records if r.name == "commentdesk.cors"]


def test_production_without_allowed_origins_warns_at_start(clean_environment, tmp_path, caplog):
    clean_environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    clean_environment.setenv("SECRET_KEY", "k" * 40)
    with caplog.at_level(logging.WARNING, logger="commentdesk.cors"):
        create_app()
    [warning] = [r for r in caplog.records if r.name == "commentdesk.cors"]
    assert "ALLOWED_ORIGINS is not set" in warning.getMessage()


def test_instance_folder_is_not_the_source_tree_when_configured(clean_environment, tmp_path):
    clean_environment.setenv("SECRET_KEY", "k" * 40)
    app = create_app()
    assert app.instance_path == os.fspath(tmp_path / "instance")


def test_an_id_too_large_for_the_database_is_a_404_on_every_route(app):
    """Every `<int:...>` in every URL is capped at the largest stored id: a larger number is
    no such page, never an overflow in the database driver (a 500 on SQLite)."""
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IdConverter) for c in rule._converters.values()):
            continue
        values = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, IdConverter):
                values[name] = 10**30
            elif isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            else:
                values[name] = "posts/x" if name == "article" else "x"
        path = rule.rule
        for name, value in values.items():
            path = re.sub(rf"<[^>]*:{name}>", str(value), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 404, (method, path, response.status_code)
            checked += 1
    assert checked >= 10
