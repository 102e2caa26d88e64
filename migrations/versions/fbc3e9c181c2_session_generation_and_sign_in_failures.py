"""session generation and sign-in failures: revocable moderator sessions (a counter in every
session id) and failed sign-ins counted in the database, shared by every worker and replica

Revision ID: fbc3e9c181c2
Revises: fdc14724d6e6
Create Date: 2026-12-05 01:12:57.880560

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fbc3e9c181c2'
down_revision = 'fdc14724d6e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_hash', sa.String(length=64), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_failures_account_hash'), ['account_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failures_address_hash'), ['address_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failures_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('moderators', schema=None) as batch_op:
        batch_op.drop_column('session_generation')

    with op.batch_alter_table('sign_in_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_created_at'))
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_address_hash'))
        batch_op.drop_index(batch_op.f('ix_sign_in_failures_account_hash'))

    op.drop_table('sign_in_failures')
