"""commenter notes belong to a site: existing notes move into the default site

Revision ID: 3d5a9c2e7f10
Revises: 85ce3ef35f6b
Create Date: 2026-12-05 04:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d5a9c2e7f10'
down_revision = '85ce3ef35f6b'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    default_id = connection.scalar(sa.text("SELECT id FROM sites WHERE slug = 'default'"))
    # Added nullable, filled, then made NOT NULL: every note so far was the one site's.
    with op.batch_alter_table('commenter_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
    connection.execute(sa.text('UPDATE commenter_notes SET site_id = :site'), {'site': default_id})
    with op.batch_alter_table('commenter_notes', schema=None) as batch_op:
        batch_op.alter_column('site_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_commenter_notes_site_id'), ['site_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_commenter_notes_site_id_sites'), 'sites', ['site_id'], ['id'])


def downgrade():
    with op.batch_alter_table('commenter_notes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_commenter_notes_site_id_sites'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_commenter_notes_site_id'))
        batch_op.drop_column('site_id')
