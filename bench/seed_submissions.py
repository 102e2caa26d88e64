"""Seed a database for the submission benchmark (bench/submissions.py): every check armed.

Run as `python bench/seed_submissions.py` from the repository root with the service's
environment set. It migrates the database, stores a spam model trained on TubeSpam, adds
BANS bans (commenters, domains and clients, as a newsroom collects them), and makes an admin
with an API token for the bulk decision. Prints one JSON line: the token and what it seeded.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from datetime import UTC, datetime

import flask_migrate
from seed import seed_classifier
from sqlalchemy import insert

from service import create_app
from service.comments import articles
from service.extensions import db
from service.models import Ban, BanKind
from service.moderation import accounts
from service.ops.database import write_transaction
from service.privacy import vault

BANS = 10_000
# The story the load goes into. It exists before the servers start (a story already has
# comments when workers restart), so a first submission measures the worker, not the
# article's creation.
HOT_ARTICLE = "bench/hot-story"


def seed_bans(count: int) -> None:
    email_vault = vault.vault()
    now = datetime.now(UTC)
    rows = []
    for index in range(count):
        kind = (BanKind.EMAIL, BanKind.IP, BanKind.DOMAIN)[index % 3]
        if kind is BanKind.EMAIL:
            value = email_vault.email_hash(f"banned{index}@example.net")
        elif kind is BanKind.IP:
            value = email_vault.ip_hash(f"198.51.{index // 256 % 256}.{index % 256}") or ""
        else:
            value = f"banned{index}.example"
        rows.append({"kind": kind, "value": value, "reason": "bench", "created_at": now})
    with write_transaction() as session:
        session.execute(insert(Ban), rows)


def main() -> int:
    began = time.monotonic()
    app = create_app()
    with app.app_context():
        flask_migrate.upgrade()
        classifier = seed_classifier()
        seed_bans(BANS)
        with write_transaction() as session:
            articles.ids_creating_missing(session, [HOT_ARTICLE])
        password = secrets.token_urlsafe(16)
        accounts.create_moderator("bench-admin", password, admin=True)
        token = accounts.create_api_token("bench-admin", "submission benchmark")
        db.session.remove()
        db.engine.dispose()
    report = {"token": token, "bans": BANS, **classifier}
    report["seconds"] = round(time.monotonic() - began, 2)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
