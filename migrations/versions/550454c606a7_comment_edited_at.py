"""comment edited_at: when the commenter last edited the text

Revision ID: 550454c606a7
Revises: 8e17f14e39d7
Create Date: 2026-11-25 01:44:17.903290

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '550454c606a7'
down_revision = '8e17f14e39d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
