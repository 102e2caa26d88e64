"""Seed the benchmark database: a small article, a large one, and the small one again on two
more sites.

Run by run.py as `python bench/seed.py` from the repository root, with the service's
environment (DATABASE_URL, SECRET_KEY, MODERATION=off, FORM_TOKEN_REQUIRED=false) already
set. It migrates the database, then writes:

- SMALL_KEY: 20 approved comments, submitted through the real use case (`submissions.submit`),
  so the article's count and feed version are kept the way production keeps them;
- SMALL_KEY on each of OTHER_SITES too (the same key, a thread of its own per site), for the
  three-site feed scenario;
- LARGE_KEY: 10,000 approved comments, bulk-inserted (the use case would take minutes), each
  one encrypted, hashed, rendered and fingerprinted like a submitted one, with increasing
  `created_at`; the article's `approved_count` and `feed_version` are then set to match.

It checks both articles' counters against the comments table, writes a feed cursor for each
of the large article's comments to --cursors-file, and prints one JSON line on standard
output: what it seeded, and the names (never the values) of the settings the service took
from the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
from sqlalchemy import func, insert, select, update

from service import create_app, cursors
from service.comments import submissions
from service.comments.rendering import render_body
from service.extensions import db
from service.feed import thread
from service.models import Article, ClassifierModel, Comment, CommentStatus, Site
from service.ops import config
from service.ops.database import write_transaction
from service.privacy import vault
from service.screening import similarity
from service.sites import registry

SMALL_KEY = "bench/small"
# Two sites besides the default one, each with its own SMALL_KEY thread.
OTHER_SITES = ("north", "south")
LARGE_KEY = "bench/large"
SMALL_COUNT = 20
LARGE_COUNT = 10_000
# Every REPLY_EVERY-th comment answers the latest top-level one, so the feed's parent join
# has work to do, as it would on a real thread.
REPLY_EVERY = 5
# Commenters come back: the large thread has this many distinct addresses.
COMMENTERS = 500
INSERT_BATCH = 1_000


def comment_body(index: int) -> str:
    return (
        f"Comment {index}: I read this twice. The part about *caching* is right, "
        f"but `max-age` alone will not save you. More at https://example.org/notes/{index}"
    )


def add_other_sites() -> None:
    with write_transaction() as session:
        for slug in OTHER_SITES:
            session.add(Site(slug=slug, name=slug.title(), origins=[f"https://{slug}.example"]))
        registry.changed(session)


def seed_small(site_number: int = 0) -> None:
    """Submit SMALL_COUNT comments to the current site's SMALL_KEY through the use case
    (moderation is off: all approved)."""
    parent_id: int | None = None
    for index in range(SMALL_COUNT):
        # Twenty readers a site, each on an address of their own (one would be stopped as a
        # flood).
        reader = site_number * SMALL_COUNT + index
        ip = f"192.0.2.{reader + 1}"
        client = submissions.ClientInfo(ip=ip, user_agent="bench seed")
        is_reply = index % REPLY_EVERY == REPLY_EVERY - 1
        result = submissions.submit(
            submissions.NewComment(
                article_key=SMALL_KEY,
                name=f"Reader {index}",
                email=f"reader{reader}@example.org",
                body=comment_body(index),
                parent_id=parent_id if is_reply else None,
            ),
            client,
        )
        if result.comment.status != CommentStatus.APPROVED:
            raise RuntimeError(
                f"a seeded comment was not approved ({result.comment.status}): "
                f"{result.comment.reasons}; seeding needs MODERATION=off"
            )
        if not is_reply:
            parent_id = result.comment.id


def large_comment_rows(article_id: int, first_id: int, start: datetime) -> list[dict[str, Any]]:
    """LARGE_COUNT approved comments as insert rows, oldest first, one second apart."""
    email_vault = vault.vault()
    rows: list[dict[str, Any]] = []
    parent_id: int | None = None
    for index in range(LARGE_COUNT):
        row_id = first_id + index
        is_reply = index % REPLY_EVERY == REPLY_EVERY - 1 and parent_id is not None
        email = f"reader{index % COMMENTERS}@example.org"
        created_at = start + timedelta(seconds=index)
        body = comment_body(index)
        rows.append(
            {
                "id": row_id,
                "article_id": article_id,
                "parent_id": parent_id if is_reply else None,
                "depth": 1 if is_reply else 0,
                "status": CommentStatus.APPROVED,
                "status_before_delete": None,
                "name": f"Reader {index % COMMENTERS}",
                "email_encrypted": email_vault.encrypt(email),
                "email_hash": email_vault.email_hash(email),
                "website": None,
                "body": body,
                "body_html": render_body(body),
                "created_at": created_at,
                "updated_at": created_at,
                "ip_hash": email_vault.ip_hash(f"198.51.100.{index % 250 + 1}"),
                "user_agent": "bench seed",
                "reasons": [],
                "fingerprint": similarity.fingerprint(body),
            }
        )
        if not is_reply:
            parent_id = row_id
    return rows


def seed_large() -> None:
    """Bulk-insert LARGE_COUNT approved comments and set the article's counters to match."""
    start = datetime.now(UTC) - timedelta(seconds=LARGE_COUNT + 3_600)
    session = db.session
    article_id = session.execute(
        insert(Article)
        .values(
            site_id=registry.default().id,
            key=LARGE_KEY,
            created_at=start,
            approved_count=0,
            feed_version=0,
        )
        .returning(Article.id)
    ).scalar_one()
    first_id = (session.execute(select(func.max(Comment.id))).scalar() or 0) + 1
    rows = large_comment_rows(article_id, first_id, start + timedelta(seconds=1))
    for offset in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(Comment), rows[offset : offset + INSERT_BATCH])
    session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(approved_count=LARGE_COUNT, feed_version=LARGE_COUNT)
    )
    session.commit()


def approved_in_table(key: str) -> int:
    return db.session.execute(
        select(func.count(Comment.id))
        .join(Article, Article.id == Comment.article_id)
        .where(
            Article.site_id == registry.current().id,
            Article.key == key,
            Comment.status == CommentStatus.APPROVED,
        )
    ).scalar_one()


def check_article(key: str, expected: int) -> dict[str, Any]:
    """The current site's article's stored counters agree with its comments; what the feed
    will report."""
    state = thread.article_state(key)
    counted = approved_in_table(key)
    if not state.count == counted == expected:
        raise RuntimeError(
            f"{key}: articles.approved_count={state.count}, approved rows={counted}, "
            f"expected {expected}"
        )
    if state.feed_version < 1:
        raise RuntimeError(f"{key}: feed_version was never bumped")
    return {"site": registry.current().slug, "key": key, "approved": counted, "etag": state.etag}


def write_cursors(path: Path) -> None:
    """A feed cursor for every comment of LARGE_KEY, oldest first: "the page after this one"."""
    rows = db.session.execute(
        select(Comment.created_at, Comment.id)
        .join(Article, Article.id == Comment.article_id)
        .where(Article.key == LARGE_KEY)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    path.write_text(
        "".join(cursors.encode(created_at, row_id) + "\n" for created_at, row_id in rows)
    )


def _tubespam_train() -> Path:
    """TubeSpam's training file: under TUBESPAM_DIR, else in a `shared/data/tubespam` beside
    the repository (a clone) or beside the folder of worktrees it is in."""
    if configured := os.environ.get("TUBESPAM_DIR"):
        return Path(configured) / "train.csv"
    repo = Path(__file__).resolve().parent.parent
    candidates = [base / "shared" / "data" / "tubespam" / "train.csv" for base in repo.parents[:2]]
    return next((path for path in candidates if path.exists()), candidates[0])


TUBESPAM_TRAIN = _tubespam_train()


def seed_classifier() -> dict[str, Any]:
    """A spam model for the "all checks on" submission scenario, so scoring is measured too:
    trained on the public TubeSpam set when it is beside the repository."""
    if not TUBESPAM_TRAIN.exists():
        return {"classifier": f"not seeded: {TUBESPAM_TRAIN} is missing"}
    from service.screening.classifier.evaluation import read_labelled
    from service.screening.classifier.learning import fit

    texts, labels = read_labelled(TUBESPAM_TRAIN)
    trained = fit(texts, labels)
    with write_transaction() as session:
        session.add(
            ClassifierModel(
                blob=trained.to_bytes(),
                ham_count=int((labels == 0).sum()),
                spam_count=int((labels == 1).sum()),
                metrics={},
            )
        )
    return {"classifier": f"trained on {len(texts)} TubeSpam comments"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Seed the benchmark database.")
    parser.add_argument(
        "--cursors-file", type=Path, required=True, help="where to write the large feed's cursors"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    began = time.monotonic()
    app = create_app()
    if app.config["MODERATION"] != "off":
        raise SystemExit("seed.py needs MODERATION=off in its environment")
    if app.config["FORM_TOKEN_REQUIRED"]:
        raise SystemExit("seed.py needs FORM_TOKEN_REQUIRED=false in its environment")
    with app.app_context():
        flask_migrate.upgrade()
        add_other_sites()
        seed_small()
        seed_large()
        articles = [check_article(SMALL_KEY, SMALL_COUNT), check_article(LARGE_KEY, LARGE_COUNT)]
        for number, slug in enumerate(OTHER_SITES, start=1):
            registry.set_current(registry.by_slug(slug))
            seed_small(number)
            articles.append(check_article(SMALL_KEY, SMALL_COUNT))
        registry.set_current(registry.default())
        write_cursors(args.cursors_file)
        classifier = seed_classifier()
        db.session.remove()
        db.engine.dispose()
    report = {
        "articles": articles,
        "large_cursors_file": str(args.cursors_file),
        **classifier,
        "seconds": round(time.monotonic() - began, 2),
        # Names only: which settings the service took from the environment, for the record.
        "settings_from_environment": sorted(config.settings_from_environment(os.environ)),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
