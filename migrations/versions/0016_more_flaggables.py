"""resources, events and profiles can be hidden by flags; posts carry a moderator's edit
reason

Revision ID: 0016_more_flaggables
Revises: 0015_resource_proposals
Create Date: 2026-12-07 14:50:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_more_flaggables'
down_revision = '0015_resource_proposals'
branch_labels = None
depends_on = None

HIDDEN = ('resource', 'event')
EDITED = ('post',)


def upgrade():
    for table in HIDDEN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('hidden_at', sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column('hidden_reason', sa.String(length=20), nullable=False, server_default=''))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile_hidden_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('profile_hidden_reason', sa.String(length=20), nullable=False, server_default=''))
    for table in EDITED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('moderator_edit_reason', sa.String(length=300), nullable=False, server_default=''))
            batch_op.add_column(sa.Column('moderator_edited_by_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_moderator_edited_by_id_user'), 'user', ['moderator_edited_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    for table in EDITED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_moderator_edited_by_id_user'), type_='foreignkey')
            batch_op.drop_column('moderator_edited_by_id')
            batch_op.drop_column('moderator_edit_reason')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('profile_hidden_reason')
        batch_op.drop_column('profile_hidden_at')
    for table in HIDDEN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('hidden_reason')
            batch_op.drop_column('hidden_at')
