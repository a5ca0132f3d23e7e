"""flags: members flag what they see; enough flags hide it until a moderator decides

Revision ID: 0012_flags
Revises: 0011_digests
Create Date: 2026-12-07 08:40:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_flags'
down_revision = '0011_digests'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('flagger_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_flag_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_flag_decided_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['flagger_id'], ['user.id'], name=op.f('fk_flag_flagger_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag')),
    sa.UniqueConstraint('flagger_id', 'target_kind', 'target_id', name=op.f('uq_flag_flagger_id'))
    )
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flag_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_flag_target', ['target_kind', 'target_id'], unique=False)
        batch_op.create_index('ix_flag_open', ['decided_at', 'community_id'], unique=False)
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag_threshold', sa.Integer(), nullable=False, server_default='3'))
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=20), nullable=False, server_default=''))
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.drop_column('hidden_at')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_column('flag_threshold')
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.drop_index('ix_flag_open')
        batch_op.drop_index('ix_flag_target')
        batch_op.drop_index(batch_op.f('ix_flag_community_id'))
    op.drop_table('flag')
