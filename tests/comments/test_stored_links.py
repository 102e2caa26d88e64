"""Comments stored before links got `noreferrer` and lost `mailto:` (rendering.py) are brought
up to date by the upgrade (migration 7b12d0a7494d), on SQLite and PostgreSQL: readers see the
same links on old comments as on new ones."""

from __future__ import annotations

import flask_migrate
from sqlalchemy import text

from service import create_app
from service.extensions import db
from service.privacy.vault import EmailVault
from tests.conftest import base_config
from tests.ops.test_backups import FIRST_REVISION, _insert_first_revision_data

STORED = (
    '<p>See <a href="https://example.net/" rel="nofollow ugc noopener">this</a> or '
    '<a href="mailto:ada@example.org" rel="nofollow ugc noopener">write to me</a></p>'
)
UPGRADED = (
    '<p>See <a href="https://example.net/" rel="nofollow ugc noopener noreferrer">this</a> or '
    '<a rel="nofollow ugc noopener noreferrer">write to me</a></p>'
)


def test_the_upgrade_gives_stored_links_the_full_rel_and_drops_mailto(empty_database_url):
    app = create_app(base_config(empty_database_url))
    client = app.test_client()
    with app.app_context():
        flask_migrate.upgrade(revision=FIRST_REVISION)
        _insert_first_revision_data(EmailVault.from_secret(app.config["SECRET_KEY"]))
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE comments SET body_html = :html WHERE id = 1"),
                               {"html": STORED})  # fmt: skip

        flask_migrate.upgrade()

    try:
        feed = client.get("/api/v1/articles/blog/old-post/comments").get_json()
        assert [c["body_html"] for c in feed["comments"]] == [UPGRADED, "<p>Old comment 2</p>"]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
