"""The operator's commands: create-moderator and create-token."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from service.extensions import db
from service.models import ApiToken, Moderator, ModeratorRole

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
