"""site version: one counter, bumped with every change to a site-wide value (settings,
footer pages, banners), so that every process knows when to read them again

Revision ID: 0019_site_version
Revises: 0018_search_titles
Create Date: 2026-12-07 23:30:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_site_version'
down_revision = '0018_search_titles'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_version'))
    )
    version = sa.table(
        'site_version', sa.column('id', sa.Integer), sa.column('version', sa.Integer)
    )
    op.bulk_insert(version, [{'id': 1, 'version': 0}])


def downgrade():
    op.drop_table('site_version')
