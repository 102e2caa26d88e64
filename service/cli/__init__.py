"""Command-line tools: `flask --app wsgi <command>`."""

from __future__ import annotations

import functools
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from service import notifications
from service.cli import comments, moderation
from service.cli.portability import export_command, import_group
from service.cli.privacy import privacy_group, purge
from service.cli.sites import sites_group
from service.errors import DomainError, SiteNotFound
from service.models import DEFAULT_SITE_SLUG, RuleKind
from service.moderation import accounts
from service.ops import backups, database
from service.screening import classifier, rules
from service.sites import registry


def init_app(app: Flask) -> None:
    # Plain click commands, so each asks for the app context itself: the `flask` command
    # pushes one, but other callers (the test CliRunner, custom groups) do not.
    app.cli.add_command(create_moderator)
    app.cli.add_command(create_token)
    app.cli.add_command(end_sessions)
    app.cli.add_command(serve)
    app.cli.add_command(notify)
    app.cli.add_command(policy_group)
    app.cli.add_command(classifier_group)
    app.cli.add_command(backup)
    for command in [*moderation.COMMANDS, *comments.COMMANDS]:
        app.cli.add_command(command)
    app.cli.add_command(import_group)
    app.cli.add_command(export_command)
    app.cli.add_command(privacy_group)
    app.cli.add_command(purge)
    app.cli.add_command(sites_group)
    for name, registered in app.cli.commands.items():
        if registered not in SCHEMA_AS_IT_IS and name != MIGRATION_GROUP:
            _needs_schema(registered)
        _with_command_timeouts(registered)


# Flask-Migrate's group: how migrations are run, shown and held back by hand, so it must
# never apply them on its own (`db current` on a held-back database says so, unchanged).
MIGRATION_GROUP = "db"


def ensure_schema() -> None:
    """The one step before any command that reads or writes the database: apply the pending
    migrations (a first run on an empty database included), or say in one line why not."""
    try:
        if database.apply_pending_migrations():
            click.echo("commentdesk: database migrations applied.", err=True)
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "unreachable"
        raise click.ClickException(
            f"Cannot use the database ({reason}). Check DATABASE_URL, then run "
            "`flask --app wsgi db upgrade`."
        ) from None


def _needs_schema(command: click.Command) -> None:
    """Run ensure_schema before the command (each subcommand of a group)."""

    def wrap(callback: Callable[..., Any]) -> Callable[..., Any]:
        @with_appcontext
        @functools.wraps(callback)
        def run(*args: Any, **kwargs: Any) -> Any:
            ensure_schema()
            return callback(*args, **kwargs)

        return run

    _wrap_every_callback(command, "ensures_schema", wrap)


def _with_command_timeouts(command: click.Command) -> None:
    """Commands (migrations and imports included) may hold the database far longer than a
    request is allowed to: give them DB_COMMAND_TIMEOUT_MS instead (service/ops/database.py)."""

    def wrap(callback: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(callback)
        def run(*args: Any, **kwargs: Any) -> Any:
            with database.command_work():
                return callback(*args, **kwargs)

        return run

    _wrap_every_callback(command, "command_timeouts", wrap)


def _wrap_every_callback(
    command: click.Command, marker: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]
) -> None:
    """Wrap the callback of the command (each subcommand of a group) once: the commands are
    module-level objects shared by every app, and `marker` says a callback is wrapped."""
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _wrap_every_callback(subcommand, marker, wrap)
        return
    callback = command.callback
    if callback is None or getattr(callback, marker, False):
        return
    wrapped = wrap(callback)
    setattr(wrapped, marker, True)
    command.callback = wrapped


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
        moderator = accounts.create_moderator(username, password, admin=admin)
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
        token = accounts.create_api_token(username, label)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo("Keep this token safe; it will not be shown again:", err=True)
    click.echo(token)


@click.command("end-sessions")
@click.argument("username")
@with_appcontext
def end_sessions(username: str) -> None:
    """Sign a moderator out in every browser (their API tokens stay valid)."""
    try:
        accounts.end_sessions(accounts.active_moderator(username).id)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Signed {username!r} out in every browser.")


REPO_ROOT = Path(__file__).resolve().parents[2]


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
    ensure_schema()
    _share_metrics_between_workers()
    args = ["gunicorn", "--chdir", str(REPO_ROOT), "--bind", bind, "--no-control-socket"]
    if (config_file := REPO_ROOT / "gunicorn.conf.py").exists():
        args += ["--config", str(config_file)]
    click.echo(f"commentdesk: migrations applied; listening on http://{bind}", err=True)
    os.execvp("gunicorn", [*args, "wsgi:app"])


# Set by serve when it made the metrics folder itself: gunicorn.conf.py removes it at exit.
OWN_METRICS_DIR = "COMMENTDESK_OWN_METRICS_DIR"


def _share_metrics_between_workers() -> None:
    """Without a shared folder each gunicorn worker counts alone and a scrape shows whichever
    worker answered it: give the workers one, emptied of an earlier run's counts."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        folder = tempfile.mkdtemp(prefix="commentdesk-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        os.environ[OWN_METRICS_DIR] = folder
        click.echo(f"commentdesk: workers share their metrics in {folder}", err=True)
    for stale in Path(folder).glob("*.db"):
        stale.unlink()


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(destination: Path) -> None:
    """Write a consistent copy of the SQLite database to DESTINATION, while the service runs.

    PostgreSQL is backed up with pg_dump instead (see README)."""
    try:
        report = backups.backup_database(destination)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Backed up the database to {report.path} ({report.size} bytes).")


# Commands that take the database as they find it: serve applies the migrations itself
# (through ensure_schema), and a backup must copy the database from before any upgrade.
SCHEMA_AS_IT_IS: set[click.Command] = {serve, backup}


@click.command("notify")
@click.option("--digest/--no-digest", default=True, help="Email the digest of held comments.")
@click.option("--alert/--no-alert", default=True, help="Alert if the queue waits too long.")
@with_appcontext
def notify(digest: bool, alert: bool) -> None:
    """Email moderators the newly held comments; alert when the oldest waits too long.

    Each site's go to its own receivers (its digest recipients, its webhook). Meant for cron
    (every 15 minutes, say); exits non-zero when a delivery failed."""
    sites = registry.all_sites()
    reports = []
    for site in sites:
        # One line per step as before on a single site; with several, each says whose it is.
        prefix = f"[{site.slug}] " if len(sites) > 1 else ""
        if digest:
            reports.append((prefix, notifications.send_digest(site)))
        if alert:
            reports.append((prefix, notifications.check_stale_queue(site)))
    for prefix, report in reports:
        click.echo(prefix + report.message)
    if not all(report.ok for _, report in reports):
        raise click.ClickException("Some notifications were not delivered (see above).")


@click.group("policy")
def policy_group() -> None:
    """The spam policy's rules."""


def _use_site(slug: str) -> None:
    """Run this command for the site `slug` (as a request for that site would)."""
    try:
        registry.set_current(registry.by_slug(slug))
    except SiteNotFound as error:
        raise click.ClickException(f"{error.message} `flask sites list` shows them.") from None


SITE_OPTION = click.option(
    "--site",
    default=DEFAULT_SITE_SLUG,
    show_default=True,
    help="The site whose rules and decisions to use (its slug).",
)


@policy_group.command("simulate")
@SITE_OPTION
@click.option("--hold-word", "hold_words", multiple=True, help="Add a hold word (repeatable).")
@click.option("--deny-word", "deny_words", multiple=True, help="Add a deny word (repeatable).")
@click.option("--deny-domain", "deny_domains", multiple=True, help="Add a denied domain.")
@click.option("--link-limit", type=click.IntRange(0, 100), help="Try another link limit.")
@click.option("--classifier-hold", type=click.FloatRange(0, 1), help="Try a hold threshold.")
@click.option("--classifier-spam", type=click.FloatRange(0, 1), help="Try a spam threshold.")
@click.option("--last", default=1000, show_default=True, help="How many decisions to replay.")
@with_appcontext
def simulate(
    site: str,
    hold_words: tuple[str, ...],
    deny_words: tuple[str, ...],
    deny_domains: tuple[str, ...],
    link_limit: int | None,
    classifier_hold: float | None,
    classifier_spam: float | None,
    last: int,
) -> None:
    """Replay a change over the last decisions moderators made on a site, without saving it.

    The site's own lists, link limit and decisions; the environment's lists and the
    classifier's thresholds are every site's."""
    _use_site(site)
    lists = rules.admin_lists()
    lists[RuleKind.HOLD_WORD] += hold_words
    lists[RuleKind.DENY_WORD] += deny_words
    lists[RuleKind.DENY_DOMAIN] += deny_domains
    numbers = {
        "link_limit": link_limit,
        "classifier_hold": classifier_hold,
        "classifier_spam": classifier_spam,
    }
    try:
        proposed = rules.proposed(lists, {k: v for k, v in numbers.items() if v is not None})
        result = rules.simulate(proposed, last=last)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Replayed the last {result.considered} comments moderators decided.")
    click.echo(f"{'':10} {'held':>6} {'approved':>9} {'refused':>8} {'false positives':>16}")
    for label, replay in (("current", result.current), ("proposed", result.proposed)):
        rate = replay.false_positive_rate
        shown = f"{rate:.0%}" if rate is not None else "-"
        click.echo(
            f"{label:10} {replay.flagged:>6} {replay.flagged_approved:>9} "
            f"{replay.flagged_refused:>8} {shown:>16}"
        )
    if result.classifier_scored:
        click.echo(
            "Classifier scores are out-of-fold: "
            "each decision scored by a model that did not see it."
        )


@click.group("classifier")
def classifier_group() -> None:
    """The spam classifier learned from moderators' decisions."""


@classifier_group.command("train")
@click.option(
    "--min-per-class",
    type=click.IntRange(min=2),
    help="Approved and spam comments needed of each (default CLASSIFIER_MIN_PER_CLASS).",
)
@with_appcontext
def classifier_train(min_per_class: int | None) -> None:
    """Train on the comments moderators approved or marked as spam, and use the result."""
    report = classifier.train_from_decisions(min_per_class)
    if not report.trained or report.metrics is None:
        click.echo(
            f"Not enough decisions yet: {report.ham_count} approved and {report.spam_count} "
            f"spam comments; the classifier needs {report.min_per_class} of each."
        )
        return
    m = report.metrics
    click.echo(
        f"Model {report.model_id} trained on {report.ham_count} approved and "
        f"{report.spam_count} spam comments."
    )
    click.echo(
        f"Cross-validated ({m['folds']} folds, probability 0.5): precision {m['precision']:.3f}, "
        f"recall {m['recall']:.3f}, F1 {m['f1']:.3f}."
    )


@classifier_group.command("evaluate")
@click.option("--train", "train_path", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--test", "test_path", required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--cv", "folds", type=click.IntRange(min=0), default=0, help="Also cross-validate on --train."
)
@click.option(
    "--threshold",
    "thresholds",
    type=click.FloatRange(0, 1),
    multiple=True,
    help="Spam probability to flag at (repeatable; default 0.5 and the configured thresholds).",
)
@with_appcontext
def classifier_evaluate(
    train_path: Path, test_path: Path, folds: int, thresholds: tuple[float, ...]
) -> None:
    """Train on one labelled CSV (columns text,label; 1 = spam; optionally name or author,
    and website) and measure on another.

    Nothing is stored: this measures the method, e.g. on the public TubeSpam data set."""
    config = current_app.config
    if folds == 1:
        raise click.BadParameter("use 0 (none) or at least 2 folds", param_hint="--cv")
    wanted = thresholds or (
        0.5,
        config["CLASSIFIER_HOLD_THRESHOLD"],
        config["CLASSIFIER_SPAM_THRESHOLD"],
    )
    try:
        result = classifier.evaluate(train_path, test_path, sorted(set(wanted)), folds)
    except classifier.DatasetError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Trained on {train_path.name}: {result.train_ham + result.train_spam} comments "
        f"({result.train_spam} spam, {result.train_ham} legitimate)."
    )
    click.echo(
        f"Tested on {test_path.name}: {result.test_ham + result.test_spam} comments "
        f"({result.test_spam} spam, {result.test_ham} legitimate)."
    )
    click.echo(f"{'threshold':>9} {'precision':>9} {'recall':>7} {'F1':>6}")
    for s in result.scores:
        click.echo(f"{s.threshold:>9.2f} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f}")
    for s in result.scores:
        click.echo(f"Confusion matrix at {s.threshold:.2f} (rows: actual; columns: predicted):")
        click.echo(f"  {'':<10} {'legitimate':>10} {'spam':>6}")
        click.echo(f"  {'legitimate':<10} {s.true_ham:>10} {s.false_spam:>6}")
        click.echo(f"  {'spam':<10} {s.missed_spam:>10} {s.true_spam:>6}")
    if result.folds:
        click.echo(f"{folds}-fold cross-validation on {train_path.name} (probability 0.5):")
        for name in ("precision", "recall", "f1"):
            values = [getattr(fold, name) for fold in result.folds]
            label = "F1" if name == "f1" else name
            click.echo(
                f"  {label:<9} {statistics.mean(values):.3f} ± {statistics.pstdev(values):.3f}"
                f"  (folds: {', '.join(f'{v:.3f}' for v in values)})"
            )
