"""events: events, their RSVPs and waiting list, reminders sent once, feedback, calendar feeds

Revision ID: 0010_events
Revises: 0009_moderation
Create Date: 2026-12-07 00:55:44

New tables, and `user.event_emails` (true for existing members: event reminders and changes
by email, as for new ones). No data is carried.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_events'
down_revision = '0009_moderation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_calendar_feed_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token', name=op.f('uq_calendar_feed_token'))
    )
    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('organiser_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('join_url', sa.String(length=500), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('rsvp_deadline', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('room_state', sa.String(length=10), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_event_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_event_ends_after_start')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_event_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organiser_id'], ['user.id'], name=op.f('fk_event_organiser_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['record_id'], ['resource.id'], name=op.f('fk_event_record_id_resource'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_record_id'), ['record_id'], unique=False)
        batch_op.create_index('ix_event_room_state', ['room_state', 'starts_at'], unique=False)
        batch_op.create_index('ix_event_starts', ['starts_at', 'id'], unique=False)

    op.create_table('event_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_event_feedback_rating_range')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_feedback_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_event_feedback_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_feedback')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_event_feedback_event_id'))
    )
    op.create_table('event_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_reminder_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_event_reminder_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_reminder')),
    sa.UniqueConstraint('user_id', 'event_id', 'kind', name=op.f('uq_event_reminder_user_id'))
    )
    with op.batch_alter_table('event_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_reminder_user_id'), ['user_id'], unique=False)

    op.create_table('event_rsvp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('waiting_since', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_rsvp_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_event_rsvp_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_rsvp')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_event_rsvp_event_id'))
    )
    with op.batch_alter_table('event_rsvp', schema=None) as batch_op:
        batch_op.create_index('ix_event_rsvp_status', ['event_id', 'status', 'waiting_since', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_rsvp_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('event_emails', sa.Boolean(), nullable=False, server_default=sa.true())
        )



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('event_emails')

    with op.batch_alter_table('event_rsvp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_rsvp_user_id'))
        batch_op.drop_index('ix_event_rsvp_status')

    op.drop_table('event_rsvp')
    with op.batch_alter_table('event_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_reminder_user_id'))

    op.drop_table('event_reminder')
    op.drop_table('event_feedback')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_starts')
        batch_op.drop_index('ix_event_room_state')
        batch_op.drop_index(batch_op.f('ix_event_record_id'))
        batch_op.drop_index(batch_op.f('ix_event_community_id'))

    op.drop_table('event')
    op.drop_table('calendar_feed')
