"""state versions: a number per worker-cached set (the bans), bumped when it changes

Revision ID: b7c4e1f0a2d9
Revises: fbc3e9c181c2
Create Date: 2026-12-05 01:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c4e1f0a2d9'
down_revision = 'fbc3e9c181c2'
branch_labels = None
depends_on = None


def upgrade():
    state_versions = op.create_table(
        'state_versions',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_state_versions')),
    )
    op.bulk_insert(state_versions, [{'name': 'bans', 'version': 0}])


def downgrade():
    op.drop_table('state_versions')
