"""resource proposals: a published resource's submitter proposes a new version for review

Revision ID: 0015_resource_proposals
Revises: 0014_audit_log_filters
Create Date: 2026-12-07 12:30:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_resource_proposals'
down_revision = '0014_audit_log_filters'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('resource_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('content_type', sa.String(length=120), nullable=True),
    sa.Column('file_kind', sa.String(length=20), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['proposer_id'], ['user.id'], name=op.f('fk_resource_proposal_proposer_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_resource_proposal_resource_id_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_proposal'))
    )
    with op.batch_alter_table('resource_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_proposal_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index('ix_resource_proposal_status', ['status', 'submitted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('resource_proposal', schema=None) as batch_op:
        batch_op.drop_index('ix_resource_proposal_status')
        batch_op.drop_index(batch_op.f('ix_resource_proposal_resource_id'))
    op.drop_table('resource_proposal')
