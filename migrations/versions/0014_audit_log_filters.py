"""audit log filters: indexes for a community's and a person's entries, newest first

Revision ID: 0014_audit_log_filters
Revises: 0013_chat_flags_holds
Create Date: 2026-12-07 12:00:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_audit_log_filters'
down_revision = '0013_chat_flags_holds'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_community_id')
        batch_op.create_index('ix_audit_log_community_created', ['community_id', 'created_at'], unique=False)
        batch_op.create_index('ix_audit_log_actor_created', ['actor_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_actor_created')
        batch_op.drop_index('ix_audit_log_community_created')
        batch_op.create_index('ix_audit_log_community_id', ['community_id'], unique=False)
