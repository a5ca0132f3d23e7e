"""digests: email choices per category, digest schedule and exclusions, digests built, bounces

Revision ID: 0011_digests
Revises: 0010_events
Create Date: 2026-12-07 06:01:40

`user.event_emails` becomes an email choice: a member who had turned event emails off gets
"events: never"; everyone else keeps the default (immediately). Downgrade carries it back.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_digests'
down_revision = '0010_events'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('digest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=12), nullable=False),
    sa.Column('covers_from', sa.DateTime(), nullable=False),
    sa.Column('covers_until', sa.DateTime(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('mail_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mail_id'], ['outbound_mail.id'], name=op.f('fk_digest_mail_id_outbound_mail'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_digest_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest')),
    sa.UniqueConstraint('user_id', 'period', name=op.f('uq_digest_user_id'))
    )
    op.create_table('digest_exclusion',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_digest_exclusion_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_digest_exclusion_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'community_id', name=op.f('pk_digest_exclusion'))
    )
    op.create_table('email_choice',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('delivery', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_email_choice_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'category', name=op.f('pk_email_choice'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_day', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('digest_hour', sa.Integer(), nullable=False, server_default='8'))
        batch_op.add_column(sa.Column('email_stopped_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('bounce_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('email_bounced_at', sa.DateTime(), nullable=True))
    op.execute(
        "INSERT INTO email_choice (user_id, category, delivery) "
        "SELECT id, 'events', 'never' FROM \"user\" WHERE NOT event_emails"
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('event_emails')



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_emails', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute(
        "UPDATE \"user\" SET event_emails = false WHERE id IN (SELECT user_id FROM email_choice "
        "WHERE category = 'events' AND delivery IN ('never', 'digest'))"
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('email_bounced_at')
        batch_op.drop_column('bounce_count')
        batch_op.drop_column('email_stopped_at')
        batch_op.drop_column('digest_hour')
        batch_op.drop_column('digest_day')

    op.drop_table('email_choice')
    op.drop_table('digest_exclusion')
    op.drop_table('digest')
