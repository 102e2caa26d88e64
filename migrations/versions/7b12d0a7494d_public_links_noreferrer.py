"""public links noreferrer, no mailto: stored comment HTML brought to what the sanitizer now
writes (rel="nofollow ugc noopener noreferrer"; mailto links lose their href, keeping the text)

Revision ID: 7b12d0a7494d
Revises: b7c4e1f0a2d9
Create Date: 2026-12-05 01:47:12.000000

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b12d0a7494d'
down_revision = 'b7c4e1f0a2d9'
branch_labels = None
depends_on = None

OLD_REL = 'rel="nofollow ugc noopener"'
NEW_REL = 'rel="nofollow ugc noopener noreferrer"'
# The sanitizer (nh3) writes attributes double-quoted, so a stored href is exactly this shape.
MAILTO_HREF = re.compile(r' href="mailto:[^"]*"', re.IGNORECASE)


def upgrade():
    comments = sa.table('comments', sa.column('id', sa.Integer), sa.column('body_html', sa.Text))
    op.execute(
        comments.update()
        .where(comments.c.body_html.contains(OLD_REL))
        .values(body_html=sa.func.replace(comments.c.body_html, OLD_REL, NEW_REL))
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(comments.c.id, comments.c.body_html).where(
            comments.c.body_html.ilike('%href="mailto:%')
        )
    ).all()
    for comment_id, html in rows:
        connection.execute(
            comments.update()
            .where(comments.c.id == comment_id)
            .values(body_html=MAILTO_HREF.sub('', html))
        )


def downgrade():
    # Forward-only, like every migration here: the old, weaker rel is not brought back.
    pass
