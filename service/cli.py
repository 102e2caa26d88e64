"""Command-line tools: `flask --app wsgi <command>`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import flask_migrate
from flask import Flask
from flask.cli import with_appcontext

from service import auth
from service.errors import DomainError


def init_app(app: Flask) -> None:
    # Plain click commands, so each asks for the app context itself: the `flask` command
    # pushes one, but other callers (the test CliRunner, custom groups) do not.
    app.cli.add_command(create_moderator)
    app.cli.add_command(create_token)
    app.cli.add_command(serve)


@click.command("create-moderator")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--admin", is_flag=True, help="Also allowed to manage moderators and tokens.")
@with_appcontext
def create_moderator(username: str, password_stdin: bool, admin: bool) -> None:
    """Create a moderator account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        moderator = auth.create_moderator(username, password, admin=admin)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {moderator.role.value} {moderator.username!r}.")


@click.command("create-token")
@click.argument("username")
@click.option("--label", default="", help="What the token is for, to recognise it later.")
@with_appcontext
def create_token(username: str, label: str) -> None:
    """Create an API token for a moderator; it is printed once, as the last line."""
    try:
        token = auth.create_api_token(username, label)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo("Keep this token safe; it will not be shown again:", err=True)
    click.echo(token)


REPO_ROOT = Path(__file__).resolve().parent.parent


@click.command("serve")
@click.option(
    "--bind",
    default=lambda: os.environ.get("BIND", "127.0.0.1:8000"),
    show_default="$BIND or 127.0.0.1:8000",
    help="Address and port to listen on.",
)
@with_appcontext
def serve(bind: str) -> None:
    """Apply migrations, then run the service under gunicorn."""
    flask_migrate.upgrade()
    args = ["gunicorn", "--chdir", str(REPO_ROOT), "--bind", bind, "--no-control-socket"]
    if (config_file := REPO_ROOT / "gunicorn.conf.py").exists():
        args += ["--config", str(config_file)]
    click.echo(f"commentdesk: migrations applied; listening on http://{bind}", err=True)
    os.execvp("gunicorn", [*args, "wsgi:app"])
