"""sites: one deployment, several sites; articles, rules and bans move into the default site

Revision ID: 85ce3ef35f6b
Revises: c7ccebfe557a
Create Date: 2026-12-05 04:23:33.227525

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '85ce3ef35f6b'
down_revision = 'c7ccebfe557a'
branch_labels = None
depends_on = None


# The default site: what today's API paths serve and the environment's settings describe.
DEFAULT_SLUG = 'default'


def upgrade():
    sites = op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('origins', sa.JSON(), nullable=False),
    sa.Column('public_url', sa.String(length=2048), nullable=True),
    sa.Column('moderation', sa.Enum('pre', 'off', 'trusted', name='site_moderation', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('link_limit', sa.Integer(), nullable=True),
    sa.Column('close_after_days', sa.Integer(), nullable=True),
    sa.Column('retention_days', sa.Integer(), nullable=True),
    sa.Column('webhook_url', sa.String(length=2048), nullable=True),
    sa.Column('webhook_secret', sa.String(length=255), nullable=True),
    sa.Column('digest_to', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('slug', name=op.f('uq_sites_slug'))
    )
    op.create_table('site_grants',
    sa.Column('moderator_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('moderator', 'site_admin', name='site_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.ForeignKeyConstraint(['moderator_id'], ['moderators.id'], name=op.f('fk_site_grants_moderator_id_moderators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_grants_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('moderator_id', 'site_id', name=op.f('pk_site_grants'))
    )
    with op.batch_alter_table('site_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_grants_site_id'), ['site_id'], unique=False)

    # Every setting of the default site is left empty: the environment keeps defining it, as
    # before the upgrade (service/sites/registry.py).
    connection = op.get_bind()
    connection.execute(sites.insert().values(
        slug=DEFAULT_SLUG, name='Default site', created_at=datetime.now(UTC), origins=[],
    ))
    default_id = connection.scalar(sa.select(sites.c.id).where(sites.c.slug == DEFAULT_SLUG))

    # Added nullable, filled, then made NOT NULL: existing rows move into the default site.
    for table in ('articles', 'policy_rules', 'bans'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
        connection.execute(sa.text(f'UPDATE {table} SET site_id = :site'), {'site': default_id})

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.alter_column('site_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_articles_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_articles_site_id'), ['site_id', 'key'])
        batch_op.create_foreign_key(batch_op.f('fk_articles_site_id_sites'), 'sites', ['site_id'], ['id'])

    with op.batch_alter_table('bans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bans_site_id'), ['site_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_bans_site_id_sites'), 'sites', ['site_id'], ['id'])

    with op.batch_alter_table('policy_rules', schema=None) as batch_op:
        batch_op.alter_column('site_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_policy_rules_kind'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_policy_rules_site_id'), ['site_id', 'kind', 'value'])
        batch_op.create_foreign_key(batch_op.f('fk_policy_rules_site_id_sites'), 'sites', ['site_id'], ['id'], ondelete='CASCADE')

    # The link limit an admin set becomes the default site's; classifier thresholds stay
    # deployment-wide settings. It was stored as a number and applied as int(value): cut the
    # same way here (PostgreSQL's CAST would round 2.7 up to 3, SQLite's cuts it to 2).
    link_limit = connection.scalar(sa.text(
        "SELECT value FROM policy_settings WHERE name = 'link_limit'"
    ))
    if link_limit is not None:
        connection.execute(
            sa.text("UPDATE sites SET link_limit = :limit WHERE id = :site"),
            {'limit': int(link_limit), 'site': default_id},
        )
    connection.execute(sa.text("DELETE FROM policy_settings WHERE name = 'link_limit'"))

    # Moderators keep what they moderated: the one site there was.
    connection.execute(sa.text(
        "INSERT INTO site_grants (moderator_id, site_id, role) "
        "SELECT id, :site, 'moderator' FROM moderators WHERE role = 'moderator'"
    ), {'site': default_id})


def downgrade():
    connection = op.get_bind()
    # Only the default site's data can go back to the single-site schema: another site's
    # rules would merge into (or collide with) the one list, its bans would widen to every
    # reader, its articles would share one key space.
    held = [
        table for table in ('articles', 'policy_rules', 'bans')
        if connection.scalar(sa.text(
            f"SELECT count(*) FROM {table} JOIN sites ON sites.id = {table}.site_id "
            "WHERE sites.slug != :slug"
        ), {'slug': DEFAULT_SLUG})
    ]
    if held:
        raise RuntimeError(
            'Other sites than the default one have '
            + ', '.join(table.replace('policy_', '') for table in held)
            + '; remove those sites (flask sites remove SLUG --delete-comments) '
            'before downgrading.'
        )
    connection.execute(sa.text(
        "INSERT INTO policy_settings (name, value, updated_at) "
        "SELECT 'link_limit', link_limit, created_at FROM sites "
        "WHERE slug = :slug AND link_limit IS NOT NULL"
    ), {'slug': DEFAULT_SLUG})
    with op.batch_alter_table('policy_rules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_policy_rules_site_id_sites'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_policy_rules_site_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_policy_rules_kind'), ['kind', 'value'])
        batch_op.drop_column('site_id')

    with op.batch_alter_table('bans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bans_site_id_sites'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_bans_site_id'))
        batch_op.drop_column('site_id')

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_articles_site_id_sites'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_articles_site_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_articles_key'), ['key'])
        batch_op.drop_column('site_id')

    with op.batch_alter_table('site_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_grants_site_id'))

    op.drop_table('site_grants')
    op.drop_table('sites')
