"""`flask sites ...`: the sites this deployment serves and the moderators granted each; the
same use cases as the admins' page and API (service/moderation/site_admin.py). Changes made here are
audited as the system's (no one is signed in on a terminal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from flask.cli import with_appcontext

from service.errors import DomainError
from service.models import SiteRole
from service.moderation import site_admin

RESETTABLE = [name for name in site_admin.SETTINGS if name != "name"]


def _settings_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of `add` and `set`, one a setting."""
    options = [
        click.option("--name", help="The site's name (1 to 120 characters)."),
        click.option(
            "--origin",
            "origins",
            multiple=True,
            help="An origin of the site's pages, like https://blog.example.com (repeatable; "
            "the list replaces the site's).",
        ),
        click.option("--public-url", help="The site's base URL (article keys appended)."),
        click.option(
            "--moderation",
            type=click.Choice(["pre", "off", "trusted"]),
            help="Hold every comment (pre), none (off) or only first comments (trusted).",
        ),
        click.option("--link-limit", type=int, help="Links a comment may carry, 0 to 100."),
        click.option("--close-after-days", type=int, help="Close articles after so many days."),
        click.option("--retention-days", type=int, help="Keep client data so many days."),
        click.option("--webhook-url", help="Where held comments are announced."),
        click.option("--webhook-secret", help="Signs each webhook (16 characters or more)."),
        click.option(
            "--digest-to",
            multiple=True,
            help="Who gets the digest of held comments (repeatable; replaces the list).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _given(values: dict[str, Any]) -> dict[str, Any]:
    """The settings given on the command line (a repeatable option not given is not a
    change)."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in values.items()
        if value is not None and value != ()
    }


def _refused(error: DomainError) -> click.ClickException:
    return click.ClickException(error.message)


@click.group("sites")
def sites_group() -> None:
    """The sites served, and which moderators work on each."""


@sites_group.command("add")
@click.argument("slug")
@_settings_options
@with_appcontext
def sites_add(slug: str, **settings: Any) -> None:
    """Add the site SLUG; a setting not given is the environment's."""
    try:
        site = site_admin.add(slug, _given(settings), None)
    except DomainError as error:
        raise _refused(error) from None
    click.echo(f"Added site {site['slug']} ({site['name']}).")


@sites_group.command("set")
@click.argument("slug")
@_settings_options
@click.option(
    "--reset",
    "resets",
    multiple=True,
    type=click.Choice(RESETTABLE),
    help="Set a setting back to the environment's (repeatable).",
)
@with_appcontext
def sites_set(slug: str, resets: tuple[str, ...], **settings: Any) -> None:
    """Change settings of the site SLUG (its slug never changes)."""
    changes = _given(settings)
    both = sorted(set(changes) & set(resets))
    if both:
        raise click.UsageError(f"{both[0]} is both set and reset; choose one.")
    if not changes and not resets:
        raise click.UsageError("Name a setting to change, or --reset one.")
    try:
        site = site_admin.change(slug, changes | dict.fromkeys(resets), None)
    except DomainError as error:
        raise _refused(error) from None
    click.echo(f"Changed site {site['slug']}: {', '.join([*changes, *resets])}.")


@sites_group.command("remove")
@click.argument("slug")
@click.option(
    "--delete-comments",
    is_flag=True,
    help="Needed for a site with articles: delete its comments, articles, rules and bans.",
)
@with_appcontext
def sites_remove(slug: str, delete_comments: bool) -> None:
    """Remove the site SLUG (never the default one)."""
    try:
        removed = site_admin.remove(slug, delete_comments, None)
    except DomainError as error:
        raise _refused(error) from None
    click.echo(
        f"Removed site {slug} with {removed['comments']} comment(s) "
        f"on {removed['articles']} article(s)."
    )


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(value) or "-"
    if value in (None, ""):
        return "-"
    return str(value)


@sites_group.command("list")
@with_appcontext
def sites_list() -> None:
    """Every site with the settings that apply; "environment" marks one the site leaves
    to the environment."""
    for site in site_admin.list_sites():
        default = "default site, " if site["is_default"] else ""
        click.echo(
            f"{site['slug']}  {site['name']}  ({default}{site['articles']} article(s), "
            f"{site['comments']} comment(s))"
        )
        applied = site["applied"]
        for name in RESETTABLE:
            if name == "webhook_secret":
                # Never printed: whether one is set is what an operator needs to know.
                value = "set" if applied["webhook_secret_set"] else "-"
            else:
                value = applied[name]
            source = "  (environment)" if name in site["from_environment"] else ""
            click.echo(f"  {name:<17} {_shown(value)}{source}")


def _grants_line(username: str, grants: list[dict[str, Any]]) -> str:
    held = ", ".join(f"{g['site']} ({g['role']})" for g in grants) or "no sites"
    return f"{username} works on: {held}."


@sites_group.command("grant")
@click.argument("username")
@click.argument("slug")
@click.option(
    "--role",
    type=click.Choice([role.value for role in SiteRole]),
    default=SiteRole.MODERATOR.value,
    show_default=True,
    help="moderator, or site_admin (the site's articles' settings too).",
)
@with_appcontext
def sites_grant(username: str, slug: str, role: str) -> None:
    """Let moderator USERNAME work on the site SLUG (or change their role there)."""
    try:
        grants = site_admin.grant(site_admin.moderator_named(username), slug, role, None)
    except DomainError as error:
        raise _refused(error) from None
    click.echo(_grants_line(username, grants))


@sites_group.command("revoke")
@click.argument("username")
@click.argument("slug")
@with_appcontext
def sites_revoke(username: str, slug: str) -> None:
    """Take the site SLUG away from moderator USERNAME."""
    try:
        grants = site_admin.revoke(site_admin.moderator_named(username), slug, None)
    except DomainError as error:
        raise _refused(error) from None
    click.echo(_grants_line(username, grants))
