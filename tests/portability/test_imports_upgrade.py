"""Migration d41c0e7a9b35 keys imported comments by site: an installation's earlier imports
become the default site's (so re-running them still skips everything), and the way back is
refused while two sites share a source's ids."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import text

from service import create_app
from service.extensions import db
from tests.conftest import base_config, run_cli
from tests.two_sites import add_site

WXR = Path(__file__).parents[1] / "data" / "imports" / "wordpress.xml"
BEFORE = "85ce3ef35f6b"


def source_ids(app) -> list[tuple[str, str, str]]:
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT sites.slug, imported_comments.source, imported_comments.source_id "
                "FROM imported_comments JOIN sites ON sites.id = imported_comments.site_id "
                "ORDER BY imported_comments.source_id"
            )
        )
        return [tuple(row) for row in rows]


def test_earlier_imports_become_the_default_sites_and_the_way_back_keeps_them(
    empty_database_url,
):
    app = create_app(base_config(empty_database_url))
    try:
        with app.app_context():
            flask_migrate.upgrade()
        assert run_cli(app, "import", "wordpress", str(WXR), "--no-progress").exit_code == 0
        with app.app_context():
            flask_migrate.downgrade(revision=BEFORE)
            with db.engine.connect() as connection:
                kept = connection.scalar(text("SELECT count(*) FROM imported_comments"))
            assert kept == 6

            flask_migrate.upgrade()

        upgraded = source_ids(app)
        assert len(upgraded) == 6
        assert {slug for slug, _, _ in upgraded} == {"default"}
        again = run_cli(app, "import", "wordpress", str(WXR), "--no-progress")
        assert "Imported 0 of 7 comments" in again.output

        add_site(app, "b")
        run_cli(app, "import", "wordpress", str(WXR), "--no-progress", "--site", "b")
        # Refused (flask-migrate logs the migration's message and exits), nothing changed.
        with app.app_context(), pytest.raises(SystemExit):
            flask_migrate.downgrade(revision=BEFORE)
        assert len(source_ids(app)) == 12
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
