"""imported comments per site: an import's source ids are the site's, so the same file
imported into two sites gives two sets

Revision ID: d41c0e7a9b35
Revises: 3d5a9c2e7f10
Create Date: 2026-12-05 04:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41c0e7a9b35'
down_revision = '3d5a9c2e7f10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('imported_comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
    # Each imported comment's site is its article's (before sites: the default one).
    op.execute(
        'UPDATE imported_comments SET site_id = (SELECT articles.site_id FROM comments '
        'JOIN articles ON articles.id = comments.article_id '
        'WHERE comments.id = imported_comments.comment_id)'
    )
    with op.batch_alter_table('imported_comments', schema=None) as batch_op:
        batch_op.alter_column('site_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('pk_imported_comments'), type_='primary')
        batch_op.create_primary_key(
            batch_op.f('pk_imported_comments'), ['site_id', 'source', 'source_id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_imported_comments_site_id_sites'), 'sites', ['site_id'], ['id'],
            ondelete='CASCADE',
        )


def downgrade():
    connection = op.get_bind()
    # Two sites' imports may share source ids, which the single key cannot hold.
    shared = connection.scalar(sa.text(
        'SELECT count(*) FROM (SELECT source, source_id FROM imported_comments '
        'GROUP BY source, source_id HAVING count(*) > 1) AS twice'
    ))
    if shared:
        raise RuntimeError(
            'The same source was imported into several sites; remove the other sites '
            '(flask sites remove SLUG --delete-comments) before downgrading.'
        )
    with op.batch_alter_table('imported_comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_imported_comments_site_id_sites'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('pk_imported_comments'), type_='primary')
        batch_op.create_primary_key(batch_op.f('pk_imported_comments'), ['source', 'source_id'])
        batch_op.drop_column('site_id')
