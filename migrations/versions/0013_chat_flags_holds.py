"""chat messages can be hidden by flags; communities hold new members' first posts and
suspend members from themselves

Revision ID: 0013_chat_flags_holds
Revises: 0012_flags
Create Date: 2026-12-07 12:10:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_chat_flags_holds'
down_revision = '0012_flags'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=20), nullable=False, server_default=''))
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_first_posts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('new_member_links', sa.Integer(), nullable=False, server_default='2'))
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('suspended_reason', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('suspended_reason')
        batch_op.drop_column('suspended_until')
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_column('new_member_links')
        batch_op.drop_column('hold_first_posts')
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')
