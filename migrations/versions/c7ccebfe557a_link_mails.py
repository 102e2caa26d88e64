"""link_mails: when a "my comments" link was last emailed to an address (by its keyed hash),
for the once-a-day and per-hour limits

Revision ID: c7ccebfe557a
Revises: 7b12d0a7494d
Create Date: 2026-12-05 01:13:19.130955

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7ccebfe557a'
down_revision = '7b12d0a7494d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('link_mails',
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email_hash', name=op.f('pk_link_mails'))
    )
    with op.batch_alter_table('link_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_mails_sent_at'), ['sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('link_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_mails_sent_at'))

    op.drop_table('link_mails')
