"""`flask --app wsgi import …` and `flask --app wsgi export …`: argument parsing, a progress
bar and a summary around the use cases in importer.py and exporter.py."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from service.errors import SiteNotFound
from service.models import DEFAULT_SITE_SLUG
from service.portability import exporter
from service.portability.batches import ImportReport
from service.portability.commentdesk import CommentdeskReader
from service.portability.disqus import DisqusReader
from service.portability.importer import Reader, run_import
from service.portability.isso import IssoReader
from service.portability.records import ArticleKeyRule, ImportRefused
from service.portability.wordpress import WordPressReader
from service.sites import registry

READERS: dict[str, Callable[[Path, ArticleKeyRule], Reader]] = {
    "wordpress": WordPressReader,
    "disqus": DisqusReader,
    "isso": IssoReader,
    "commentdesk": CommentdeskReader,
}


def site_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--site",
        "site_slug",
        metavar="SLUG",
        default=DEFAULT_SITE_SLUG,
        show_default=True,
        help=help_text,
    )


def _use_site(slug: str) -> registry.SiteSettings:
    """Make the site named by --site the command's current site (what the use cases work on)."""
    try:
        site = registry.by_slug(slug)
    except SiteNotFound as error:
        known = ", ".join(s.slug for s in registry.all_sites())
        raise click.BadParameter(f"{error.message} Sites: {known}.", param_hint="--site") from None
    registry.set_current(site)
    return site


@click.group("import")
def import_group() -> None:
    """Import comments from WordPress (WXR), Disqus (XML), Isso (SQLite) or a commentdesk
    JSON export (README: Import)."""


def _import_command(name: str, help_text: str) -> None:
    # Long only because of click's option declarations: the body is a dozen lines.
    @import_group.command(name, help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--article-key",
        "key_mode",
        type=click.Choice(ArticleKeyRule.MODES),
        default="path",
        show_default=True,
        help="Which part of the post's link is the article key (path: without slashes).",
    )
    @click.option(
        "--article-key-pattern",
        metavar="REGEX",
        help="Instead: a regular expression on the link; its first group is the key.",
    )
    @click.option(
        "--source-name",
        help=f"Names the source for re-import detection (default {name!r}); give each site "
        "its own when importing several.",
    )
    @site_option(
        "The site to import into. Importing the file again into the same site skips what "
        "is already there; into another site, it makes that site's own copy."
    )
    @click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
    @with_appcontext
    def command(
        file: Path,
        key_mode: str,
        article_key_pattern: str | None,
        source_name: str | None,
        site_slug: str,
        progress: bool,
    ) -> None:
        try:
            rule = ArticleKeyRule(key_mode, article_key_pattern)
        except re.error as error:
            raise click.BadParameter(str(error), param_hint="--article-key-pattern") from None
        site = _use_site(site_slug)
        reader = READERS[name](file, rule)
        click.echo(f"Checking {file.name}, then importing it…", err=True)
        # Made once the file has passed the check, with the number of comments it holds.
        bars: list[tqdm[Any]] = []

        def start_bar(total: int) -> None:
            # Looked up at call time: click's test runner swaps sys.stderr for its own.
            bars.append(tqdm(total=total, unit=" comments", disable=not progress, file=sys.stderr))

        try:
            report = run_import(
                reader,
                source_name,
                progress=lambda done: bars[0].update(done),
                on_validated=start_bar,
            )
        except ImportRefused as error:
            raise click.ClickException(str(error)) from None
        finally:
            for bar in bars:
                bar.close()
        _summary(report, site)


def _summary(report: ImportReport, site: registry.SiteSettings) -> None:
    where = "" if site.is_default else f" of site {site.slug}"
    click.echo(
        f"Imported {report.imported} of {report.found} comments from {report.source} "
        f"into {len(report.article_ids)} articles{where}."
    )
    if report.held:
        click.echo(
            f"  held {report.held} comments of posts that are not public (password-protected, "
            "private, draft or trashed) for moderation, reason private_post."
        )
    if report.locked:
        click.echo(f"  locked {report.locked} articles closed to comments in {report.source}.")
    for reason, count in report.skipped.most_common():
        click.echo(f"  skipped {count}: {reason}")
    if report.orphans:
        click.echo(
            f"  {report.orphans} replies whose parent is not in the file are top-level comments."
        )


_import_command("wordpress", "Import the comments of a WordPress export (WXR) FILE.")
_import_command("disqus", "Import the posts of a Disqus XML export FILE.")
_import_command("isso", "Import the comments of an Isso SQLite database FILE.")
_import_command(
    "commentdesk",
    "Restore a commentdesk JSON export FILE (flask export --format json); its article keys "
    "are kept as they are, so the --article-key options do not apply.",
)


@click.command("export")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["json", "wxr"]),
    default="json",
    show_default=True,
    help="json: everything, for backups (README: Export); wxr: a WordPress export file.",
)
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8", lazy=True),
    default="-",
    help="Where to write (default: standard output).",
)
@site_option(
    "The site to export: one site a file, so that `flask import commentdesk FILE --site SLUG` "
    "puts it back where it came from (or copies it to another site)."
)
@with_appcontext
def export_command(format_: str, output: TextIO, site_slug: str) -> None:
    """Write every comment of a site (the default site unless --site), with its email and
    moderation data, as JSON or WordPress WXR (whose links start with the site's public URL).

    The output holds commenters' addresses in clear: keep it as safe as the database."""
    site = _use_site(site_slug)
    write = exporter.export_json if format_ == "json" else exporter.export_wxr
    written = write(output)
    where = "" if site.is_default else f" of site {site.slug}"
    click.echo(f"Exported {written} comments{where} as {format_}.", err=True)
