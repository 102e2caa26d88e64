"""Command-line tools for dealing with people and articles: bans, commenters and article
settings (`flask --app wsgi bans ...`). The same use cases as the queue and the JSON API; each
action is taken in the name of a moderator (--moderator) for the audit log."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError

from service.comments import articles
from service.errors import DomainError
from service.http.schemas.common import messages_of
from service.http.schemas.people import ArticleChangesSchema
from service.models import BanKind
from service.moderation import accounts, bans, commenters

MODERATOR_OPTION = click.option(
    "--moderator",
    required=True,
    help="The moderator this is done in the name of (audit log), within their sites.",
)


@click.group("bans")
def bans_group() -> None:
    """Bans and suspensions of commenters, email domains and clients."""


@bans_group.command("add")
@click.option(
    "--email", help="Ban this commenter's address (hashed at once, never stored or printed)."
)
@click.option("--commenter", "email_hash", help="Ban the commenter with this email hash.")
@click.option("--domain", help="Ban every address at this email domain (and its subdomains).")
@click.option("--ip-hash", help="Ban the client with this IP hash.")
@click.option("--comment", "comment_id", type=click.IntRange(1), help="Ban this comment's author.")
@click.option("--days", type=click.IntRange(1, 3650), help="A suspension of so many days.")
@click.option("--reason", required=True, help="Why, for the other moderators.")
@click.option("--spam", is_flag=True, help="Spam-ban: also move all their comments to spam.")
@click.option(
    "--site", help="The site the ban holds on (default: the comment's, else the default site)."
)
@click.option("--all-sites", is_flag=True, help="Ban on every site (admins only).")
@MODERATOR_OPTION
@with_appcontext
def bans_add(
    email: str | None,
    email_hash: str | None,
    domain: str | None,
    ip_hash: str | None,
    comment_id: int | None,
    days: int | None,
    reason: str,
    spam: bool,
    site: str | None,
    all_sites: bool,
    moderator: str,
) -> None:
    """Ban (or, with --days, suspend) one commenter, domain or client."""
    named: dict[str, tuple[BanKind, dict[str, Any]]] = {
        "email": (BanKind.EMAIL, {"email": email}),
        "commenter": (BanKind.EMAIL, {"value": email_hash}),
        "domain": (BanKind.DOMAIN, {"value": domain}),
        "ip": (BanKind.IP, {"value": ip_hash}),
        "comment": (BanKind.EMAIL, {"comment_id": comment_id}),
    }
    given = [(kind, target) for kind, target in named.values() if next(iter(target.values()))]
    if len(given) != 1:
        raise click.UsageError(
            "Name exactly one of --email, --commenter, --domain, --ip-hash, --comment."
        )
    kind, target = given[0]
    try:
        result = bans.ban(
            bans.Target(kind, **target),
            reason,
            accounts.active_moderator(moderator),
            until=bans.until_after(days),
            spam=spam,
            site=site,
            all_sites=all_sites,
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    ban = result.ban
    click.echo(
        f"Ban {ban['id']}: {ban['label']} {ban['state']}"
        + (f" until {ban['until']:%Y-%m-%d %H:%M} UTC" if ban["until"] else "")
        + f", on {_where(ban)}."
    )
    if result.batch:
        moved = sum(o.error is None for o in result.outcomes)
        click.echo(f"{moved} comment(s) moved to spam (batch {result.batch}).")


def _where(ban: dict[str, Any]) -> str:
    return f"site {ban['site']}" if ban["site"] else bans.EVERY_SITE


@bans_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Lifted and expired bans too.")
@click.option("--search", help="Search the reason, the domain or the start of a hash.")
@click.option("--site", help="Only the bans that hold on this site (its own, every site's).")
@with_appcontext
def bans_list(show_all: bool, search: str | None, site: str | None) -> None:
    """Bans on every site, newest first."""
    try:
        page = bans.bans_page(
            None, state="all" if show_all else "active", q=search, site=site, limit=200
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    for ban in page["bans"]:
        until = f" until {ban['until']:%Y-%m-%d %H:%M}" if ban["until"] else ""
        click.echo(
            f"{ban['id']:>5}  {ban['state']}{until}  {_where(ban)}  {ban['label']}  {ban['reason']}"
        )
    if not page["bans"]:
        click.echo("No bans.")


@bans_group.command("lift")
@click.argument("ban_id", type=click.IntRange(1))
@click.option("--note", help="Why, for the audit log.")
@MODERATOR_OPTION
@with_appcontext
def bans_lift(ban_id: int, note: str | None, moderator: str) -> None:
    """End a ban or suspension now."""
    try:
        lifted = bans.lift(ban_id, accounts.active_moderator(moderator), note)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Lifted ban {lifted['id']} ({lifted['label']}).")


@click.group("commenters")
def commenters_group() -> None:
    """What moderators know about a commenter (by email hash)."""


@commenters_group.command("show")
@click.argument("email_hash")
@with_appcontext
def commenters_show(email_hash: str) -> None:
    """A commenter's comments across articles and sites, first/last seen, and notes."""
    try:
        person = commenters.profile(email_hash, None)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    counts = ", ".join(f"{n} {status}" for status, n in sorted(person["counts"].items()))
    click.echo(f"{person['name']}: {person['total']} comment(s) ({counts})")
    first, last = person["first_seen"], person["last_seen"]
    click.echo(f"First seen {first:%Y-%m-%d %H:%M} UTC, last seen {last:%Y-%m-%d %H:%M} UTC.")
    for comment in person["comments"]:
        click.echo(
            f"  #{comment['id']:<6} {comment['status']:<9} {comment['site']}: {comment['article']}"
        )
    for note in person["notes"]:
        click.echo(f"Note by {note['moderator']} ({note['created_at']:%Y-%m-%d}): {note['body']}")


@commenters_group.command("note")
@click.argument("email_hash")
@click.argument("body")
@click.option("--site", help="The site the note is for (default: their latest comment's).")
@MODERATOR_OPTION
@with_appcontext
def commenters_note(email_hash: str, body: str, site: str | None, moderator: str) -> None:
    """Add a moderators' note about a commenter."""
    try:
        commenters.add_note(email_hash, body, accounts.active_moderator(moderator), site)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo("Note added.")


@click.group("articles")
def articles_group() -> None:
    """Articles: settings and pending comments."""


@articles_group.command("list")
@click.option("--search", help="Search keys and titles.")
@with_appcontext
def articles_list(search: str | None) -> None:
    """Articles, most pending comments first."""
    for article in articles.with_pending(q=search):
        settings = [
            "locked" if article["locked"] else "",
            f"closes {article['closes_at']:%Y-%m-%d %H:%M}" if article["closes_at"] else "",
            f"moderation {article['moderation']}" if article["moderation"] else "",
        ]
        extra = ", ".join(s for s in settings if s)
        click.echo(
            f"{article['pending_count']:>5} pending  {article['article']}"
            + (f"  ({article['title']})" if article["title"] else "")
            + (f"  [{extra}]" if extra else "")
        )


@articles_group.command("set")
@click.argument("key")
@click.option("--title", help="The article's title (admins).")
@click.option("--url", help="The article's canonical URL (admins).")
@click.option("--closes-at", help="ISO date and time (UTC unless given), or 'never'.")
@click.option(
    "--mode", type=click.Choice(["pre", "off", "trusted", "site"]), help="'site': the site's."
)
@MODERATOR_OPTION
@with_appcontext
def articles_set(
    key: str,
    title: str | None,
    url: str | None,
    closes_at: str | None,
    mode: str | None,
    moderator: str,
) -> None:
    """Change an article's settings."""
    given: dict[str, Any] = {
        name: value for name, value in (("title", title), ("url", url)) if value is not None
    }
    if closes_at is not None:
        given["closes_at"] = None if closes_at == "never" else _utc(closes_at)
    if mode is not None:
        given["moderation"] = None if mode == "site" else mode
    try:
        changes = ArticleChangesSchema().load(given)
        who = accounts.active_moderator(moderator)
        article = articles.update_settings(key, changes, who.id)
    except ValidationError as error:
        raise click.ClickException(messages_of(error)) from None
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Saved the settings of {article['article']}.")


def _utc(text: str) -> str:
    return text if text.endswith("Z") or "+" in text[10:] else f"{text}+00:00"


COMMANDS = [bans_group, commenters_group, articles_group]
