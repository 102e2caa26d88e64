"""Command-line tools for single comments, in a moderator's name (--moderator): decisions
(`flask --app wsgi comments approve 12 13`), their undo (`comments undo BATCH`), edits and
pins. The same use cases as the web queue and the JSON API, so a decision made here can be
undone from there, and the other way round."""

from __future__ import annotations

from typing import IO

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError

from service.audit import PAST_TENSE, AuditAction
from service.cli.moderation import MODERATOR_OPTION
from service.errors import DomainError
from service.http.schemas.common import messages_of
from service.http.schemas.moderation import ModeratorEditSchema
from service.moderation import accounts, decisions, editorial

NOTE_OPTION = click.option("--note", help="Why, for the audit log.")
UNDONE = PAST_TENSE[AuditAction.UNDO]


@click.group("comments")
def comments_group() -> None:
    """A moderator's decisions on comments (and their undo), edits and pins."""


def _report(result: decisions.BatchResult, done_phrase: str, moderator: str) -> None:
    """One line for what moved (with the batch that undoes it), one per comment that did
    not; a non-zero exit status when any did not."""
    done = [o for o in result.outcomes if o.error is None]
    refused = [o for o in result.outcomes if o.error is not None]
    if done:
        ids = " ".join(str(o.id) for o in done)
        click.echo(f"{done_phrase.capitalize()}: {ids}. Batch {result.batch}.")
        if done_phrase != UNDONE:
            click.echo(f"Undo with: flask comments undo {result.batch} --moderator {moderator}")
    for outcome in refused:
        message = outcome.error["message"] if outcome.error else ""
        click.echo(f"Not changed: {message}", err=True)
    if refused:
        raise click.exceptions.Exit(1)


def _decision_command(action: AuditAction, done_phrase: str) -> click.Command:
    @click.argument("ids", nargs=-1, required=True, type=click.IntRange(1))
    @NOTE_OPTION
    @MODERATOR_OPTION
    @with_appcontext
    def command(ids: tuple[int, ...], note: str | None, moderator: str) -> None:
        try:
            who = accounts.active_moderator(moderator).id
            result = decisions.decide_many(list(ids), action, who, note)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        _report(result, done_phrase, moderator)

    command.__doc__ = f"{done_phrase.capitalize()} the comments IDS (one batch, undoable)."
    return comments_group.command(action.value)(command)


for _action in decisions.ACTIONS:
    _decision_command(_action, PAST_TENSE[_action])


@comments_group.command("undo")
@click.argument("batch")
@MODERATOR_OPTION
@with_appcontext
def comments_undo(batch: str, moderator: str) -> None:
    """Put back what one of this moderator's decisions (its BATCH) changed."""
    try:
        result = decisions.undo(batch, accounts.active_moderator(moderator).id)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    _report(result, UNDONE, moderator)


@comments_group.command("edit")
@click.argument("comment_id", type=click.IntRange(1))
@click.argument("body_file", type=click.File("r", encoding="utf-8"))
@click.option("--note", help="Why, for the audit log.")
@MODERATOR_OPTION
@with_appcontext
def comments_edit(comment_id: int, body_file: IO[str], note: str | None, moderator: str) -> None:
    """Replace a comment's text with BODY_FILE ('-' for standard input)."""
    try:
        change = ModeratorEditSchema().load({"body": body_file.read(), "note": note})
        who = accounts.active_moderator(moderator).id
        editorial.edit(comment_id, change["body"], who, change["note"])
    except ValidationError as error:
        raise click.ClickException(messages_of(error)) from None
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Edited comment {comment_id}; the original is in the audit log.")


@comments_group.command("pin")
@click.argument("comment_id", type=click.IntRange(1))
@click.option("--unpin", is_flag=True, help="Unpin it instead.")
@MODERATOR_OPTION
@with_appcontext
def comments_pin(comment_id: int, unpin: bool, moderator: str) -> None:
    """Pin an approved comment to the top of its thread (or --unpin it)."""
    try:
        editorial.set_pinned(comment_id, not unpin, accounts.active_moderator(moderator).id)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Comment {comment_id} {'unpinned' if unpin else 'pinned'}.")


COMMANDS = [comments_group]
