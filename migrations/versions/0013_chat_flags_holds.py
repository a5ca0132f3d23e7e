"""chat messages can be hidden by flags; communities hold new members' first posts and
suspend members from themselves; moderators' warnings; merged threads

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
    op.create_table('member_warning',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('target_kind', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('about', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_member_warning_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moderator_id'], ['user.id'], name=op.f('fk_member_warning_moderator_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_member_warning_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_warning'))
    )
    with op.batch_alter_table('member_warning', schema=None) as batch_op:
        batch_op.create_index('ix_member_warning_open', ['user_id', 'acknowledged_at'], unique=False)
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=20), nullable=False, server_default=''))
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_first_posts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('new_member_links', sa.Integer(), nullable=False, server_default='2'))
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_thread_merged_into_id_thread'), 'thread', ['merged_into_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('suspended_reason', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_thread_merged_into_id_thread'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')
    with op.batch_alter_table('member_warning', schema=None) as batch_op:
        batch_op.drop_index('ix_member_warning_open')
    op.drop_table('member_warning')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('suspended_reason')
        batch_op.drop_column('suspended_until')
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_column('new_member_links')
        batch_op.drop_column('hold_first_posts')
    with op.batch_alter_table('chat_message', schema=None) as batch_op:
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')
