"""moderator queue_view: each moderator's choice of the full or the compact queue

Revision ID: fdc14724d6e6
Revises: 745914ecf0ad
Create Date: 2026-12-04 23:35:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fdc14724d6e6'
down_revision = '745914ecf0ad'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_view', sa.Enum('full', 'compact', name='queue_view', native_enum=False, create_constraint=True, length=16), server_default='full', nullable=False))


def downgrade():
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.drop_column('queue_view')
