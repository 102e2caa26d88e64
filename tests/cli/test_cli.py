"""The operator's commands: create-moderator and create-token, and the schema every command
that uses the database finds in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from service import cli, create_app
from service.extensions import db
from service.models import ApiToken, Comment, Moderator, ModeratorRole
from tests.conftest import base_config, dispose

WXR = Path(__file__).parents[1] / "data" / "imports" / "wordpress.xml"

PASSWORD = "a perfectly long password"


def moderators(app: Flask) -> list[Moderator]:
    with app.app_context():
        return list(db.session.scalars(select(Moderator).order_by(Moderator.id)))


def token_rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ApiToken))


def create_moderator(runner: Any, username: str, password: str = PASSWORD, *flags: str) -> Any:
    return runner.invoke(
        args=["create-moderator", username, "--password-stdin", *flags], input=f"{password}\n"
    )


def test_create_moderator_reads_the_password_from_stdin(app, runner):
    result = create_moderator(runner, "rosa")

    assert result.exit_code == 0, result.output
    assert "Created moderator 'rosa'." in result.output
    assert PASSWORD not in result.output
    (rosa,) = moderators(app)
    assert rosa.username == "rosa"
    assert rosa.role == ModeratorRole.MODERATOR
    assert rosa.is_active
    assert rosa.password_hash != PASSWORD
    assert check_password_hash(rosa.password_hash, PASSWORD)


def test_create_moderator_with_admin_flag_makes_an_admin(app, runner):
    result = create_moderator(runner, "root", PASSWORD, "--admin")

    assert result.exit_code == 0, result.output
    assert "Created admin 'root'." in result.output
    assert moderators(app)[0].role == ModeratorRole.ADMIN


def test_create_moderator_prompts_twice_without_password_stdin(app, runner):
    result = runner.invoke(args=["create-moderator", "rosa"], input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert check_password_hash(moderators(app)[0].password_hash, PASSWORD)


def test_create_moderator_refuses_a_duplicate_username(app, runner):
    assert create_moderator(runner, "rosa").exit_code == 0

    again = create_moderator(runner, "rosa", "a different long password")

    assert again.exit_code != 0
    assert "already exists" in again.output
    (rosa,) = moderators(app)
    assert check_password_hash(rosa.password_hash, PASSWORD)


@pytest.mark.parametrize("password", ["", "short", "123456789"], ids=["empty", "5", "9"])
def test_create_moderator_refuses_a_short_password(app, runner, password):
    result = create_moderator(runner, "rosa", password)

    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert moderators(app) == []


@pytest.mark.parametrize("username", ["", "   ", "x" * 81], ids=["empty", "blank", "too-long"])
def test_create_moderator_refuses_an_unusable_username(app, runner, username):
    result = create_moderator(runner, username)

    assert result.exit_code != 0
    assert "username" in result.output.lower()
    assert moderators(app) == []


def test_create_token_prints_a_working_token_as_the_last_line(app, runner):
    assert create_moderator(runner, "rosa").exit_code == 0

    result = runner.invoke(args=["create-token", "rosa", "--label", "ci"])

    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("cdk_")
    client = app.test_client()
    ok = client.get("/api/v1/moderation/comments", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    with app.app_context():
        (stored,) = db.session.scalars(select(ApiToken))
        assert stored.label == "ci"
        assert token not in stored.token_hash


def test_each_create_token_makes_a_new_token(app, runner):
    assert create_moderator(runner, "rosa").exit_code == 0

    first = runner.invoke(args=["create-token", "rosa"]).output.strip().splitlines()[-1]
    second = runner.invoke(args=["create-token", "rosa"]).output.strip().splitlines()[-1]

    assert first != second
    assert token_rows(app) == 2


def test_create_token_for_an_unknown_moderator_fails(app, runner):
    result = runner.invoke(args=["create-token", "nobody"])

    assert result.exit_code != 0
    assert "nobody" in result.output
    assert token_rows(app) == 0


def _revision(app: Flask) -> tuple[str, ...]:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


# Every command that needs the schema, run first thing against an empty database.
FIRST_COMMANDS = [
    (["import", "wordpress", str(WXR), "--no-progress"], "Imported 6 of 7 comments"),
    (["export", "--format", "json"], '"format": "commentdesk-export"'),
    (["create-moderator", "mia", "--password-stdin"], "Created moderator 'mia'."),
    (["privacy", "export", "ada@example.org"], '"comments": []'),
]


@pytest.mark.parametrize(("args", "expected"), FIRST_COMMANDS)
def test_a_first_command_on_an_empty_database_applies_the_migrations(
    empty_database_url, args, expected
):
    app = create_app(base_config(empty_database_url))
    try:
        result = app.test_cli_runner().invoke(args=args, input=f"{PASSWORD}\n")

        assert result.exit_code == 0, result.output
        assert expected in result.output
        assert "commentdesk: database migrations applied." in result.output
        assert len(_revision(app)) == 1
        again = app.test_cli_runner().invoke(args=args, input=f"{PASSWORD}\n")
        assert "migrations applied" not in again.output
    finally:
        dispose([app])


def test_every_command_that_uses_the_database_checks_the_schema_first(app):
    exempt = {command.name for command in cli.SCHEMA_AS_IT_IS}
    unchecked = []

    def visit(command: Any, path: str) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                visit(sub, f"{path} {name}")
        elif not getattr(command.callback, "ensures_schema", False):
            unchecked.append(path.strip())

    for name, command in app.cli.commands.items():
        if name not in exempt | {cli.MIGRATION_GROUP}:
            visit(command, name)
    assert unchecked == []
    assert exempt == {"serve", "backup"}


def test_a_database_that_cannot_be_opened_is_one_line_of_error(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"))

    result = app.test_cli_runner().invoke(args=["import", "wordpress", str(WXR)])

    assert result.exit_code == 1
    assert result.output.startswith("Error: Cannot use the database (")
    assert "`flask --app wsgi db upgrade`" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    with app.app_context():
        assert not Path(tmp_path / "missing").exists()


def test_a_schema_made_without_migrations_is_left_alone(app, runner):
    assert create_moderator(runner, "mia").exit_code == 0
    assert _revision(app) == ()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
