"""`flask --app wsgi privacy export|erase EMAIL` and `flask --app wsgi purge`: commenters'
rights from the command line, around the use cases in personal_data.py."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from service.errors import DomainError
from service.privacy import personal_data
from service.privacy.personal_data import ErasureMode
from service.sites import registry


@click.group("privacy")
def privacy_group() -> None:
    """Answer a commenter's request: what do you hold about me, and delete it."""


SITE_OPTION = click.option(
    "--site",
    "slugs",
    multiple=True,
    help="Only on this site (its slug; repeat for several). Default: every site.",
)


def _sites(slugs: tuple[str, ...]) -> frozenset[int] | None:
    try:
        return frozenset(registry.by_slug(slug).id for slug in slugs) if slugs else None
    except DomainError as error:
        raise click.ClickException(error.message) from None


@privacy_group.command("export")
@click.argument("email")
@SITE_OPTION
@with_appcontext
def privacy_export(email: str, slugs: tuple[str, ...]) -> None:
    """Print every comment stored under EMAIL, with its state, as JSON."""
    document = personal_data.export_person(email, _sites(slugs))
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@privacy_group.command("erase")
@click.argument("email")
@click.option(
    "--anonymise",
    "mode",
    flag_value=ErasureMode.ANONYMISE.value,
    help="Keep the comments' text, under 'Anonymous'.",
)
@click.option(
    "--delete",
    "mode",
    flag_value=ErasureMode.DELETE.value,
    help="Remove the comments' text too; replies stay under a placeholder.",
)
@SITE_OPTION
@with_appcontext
def privacy_erase(email: str, mode: str | None, slugs: tuple[str, ...]) -> None:
    """Erase the address, IP data and name of every comment stored under EMAIL."""
    if mode is None:
        raise click.UsageError("Say what to do with the comments: --anonymise or --delete.")
    erasure = personal_data.erase_person(email, ErasureMode(mode), _sites(slugs))
    # The address is not repeated: this output may end up in a log.
    where = ", ".join(erasure.sites) if slugs else "every site"
    click.echo(
        f"Erased the commenter's data from {erasure.comments} comments ({erasure.mode.value}) "
        f"on {where}; an audit event records it."
    )


@click.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Instead of each site's retention period: forget client data older than this many "
    "days, on every site.",
)
@with_appcontext
def purge(days: int | None) -> None:
    """Forget IP hashes and user agents of comments older than their site's retention period
    (the site's own, else RETENTION_DAYS; for cron). Reports each site when there are several."""
    purged = personal_data.purge_client_data(days)
    if len(purged) == 1:
        click.echo(f"Removed IP hashes and user agents from {purged[0].comments} comments.")
        return
    for site in purged:
        if site.days:
            click.echo(
                f"[{site.site}] Removed IP hashes and user agents from {site.comments} "
                f"comments older than {site.days} days."
            )
        else:
            click.echo(f"[{site.site}] Keeps client data (no retention period).")
