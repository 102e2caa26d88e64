"""Backups: a consistent copy of the SQLite database, taken while the service runs."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from service.errors import DomainError
from service.extensions import db


class BackupNotPossible(DomainError):
    code = "backup_not_possible"


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int


def backup_database(destination: Path) -> BackupReport:
    """Copy the configured SQLite database to `destination` with SQLite's online backup API.

    The copy is one consistent snapshot even while workers write (the backup holds a read
    lock for the one step it takes). It is written beside the destination and renamed into
    place, so a failed backup never leaves a half-written file under the destination name.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupNotPossible(
            f"`flask backup` copies SQLite databases only; this one is {url.get_backend_name()}. "
            "Back up PostgreSQL with pg_dump, e.g. "
            'pg_dump --format=custom --file=commentdesk.dump "$DATABASE_URL" '
            "(see README, Backups)."
        )
    source = url.database
    if not source or source == ":memory:":
        raise BackupNotPossible("The database is in memory; there is no file to back up.")
    source_path = Path(source).resolve()
    target = destination.resolve()
    if target == source_path:
        raise BackupNotPossible("The destination is the database itself; choose another path.")
    if target.exists():
        raise BackupNotPossible(f"{destination} already exists; choose a new file name.")
    if not target.parent.is_dir():
        raise BackupNotPossible(f"The folder {target.parent} does not exist.")

    scratch = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with (
            closing(sqlite3.connect(source_path)) as live,
            closing(sqlite3.connect(scratch)) as copy,
        ):
            live.backup(copy)
            # The copy inherits WAL mode; a backup should be one self-contained file.
            copy.execute("PRAGMA journal_mode=DELETE")
        scratch.chmod(0o600)  # the copy holds encrypted addresses and moderators' hashes
        os.replace(scratch, target)
    finally:
        scratch.unlink(missing_ok=True)
    return BackupReport(path=target, size=target.stat().st_size)
