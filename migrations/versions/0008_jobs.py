"""jobs: due times and claims of the periodic jobs

Revision ID: 0008_jobs
Revises: 0007_notification_targets
Create Date: 2026-12-06 19:20:00

A new table only: each registered job gets its row, due at once, the first time a runner
sees it, so no data is carried.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_jobs'
down_revision = '0007_notification_targets'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('next_run_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('last_started_at', sa.DateTime(), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_jobs'))
    )


def downgrade():
    op.drop_table('jobs')
