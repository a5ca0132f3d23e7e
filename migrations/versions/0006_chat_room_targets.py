"""chat rooms belong to a target (kind, target_id), made with it

Revision ID: 0006_chat_room_targets
Revises: 0005_sessions
Create Date: 2026-12-06 19:50:00

Every existing room becomes kind "community" with its community's id; every community
without a room gets one (reads no longer make rooms). The name and community_id columns go.
Downgrade: community rooms get their community_id and slug back; rooms of other kinds
(none exist before events) and rooms of communities that are gone are deleted with their
messages, mutes and read positions, since the old schema cannot hold them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_chat_room_targets"
down_revision = "0005_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("chat_room", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("target_id", sa.Integer(), nullable=True))
    op.execute("UPDATE chat_room SET kind = 'community', target_id = community_id")
    op.execute(
        "INSERT INTO chat_room (name, community_id, kind, target_id, last_number, created_at) "
        "SELECT c.slug, c.id, 'community', c.id, 0, CURRENT_TIMESTAMP FROM community c "
        "WHERE NOT EXISTS (SELECT 1 FROM chat_room r "
        "WHERE r.kind = 'community' AND r.target_id = c.id)"
    )
    with op.batch_alter_table("chat_room", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("target_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_chat_room_name"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_chat_room_community_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_chat_room_community_id_community"), type_="foreignkey"
        )
        batch_op.drop_column("name")
        batch_op.drop_column("community_id")
        batch_op.create_unique_constraint(batch_op.f("uq_chat_room_kind"), ["kind", "target_id"])


def _delete_rooms(where: str) -> None:
    """Delete rooms and what refers to them (explicitly: SQLite migrates with foreign keys
    off, so ON DELETE CASCADE does not act)."""
    for child in ("chat_message", "chat_mute", "chat_read"):
        op.execute(f"DELETE FROM {child} WHERE room_id IN (SELECT id FROM chat_room WHERE {where})")
    op.execute(f"DELETE FROM chat_room WHERE {where}")


def downgrade():
    # Rooms of other kinds (events) and of communities that are gone have no place in the
    # old schema.
    _delete_rooms(
        "kind <> 'community' OR NOT EXISTS "
        "(SELECT 1 FROM community c WHERE c.id = chat_room.target_id)"
    )
    with op.batch_alter_table("chat_room", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("community_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE chat_room SET community_id = target_id, "
        "name = (SELECT c.slug FROM community c WHERE c.id = chat_room.target_id)"
    )
    with op.batch_alter_table("chat_room", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_chat_room_kind"), type_="unique")
        batch_op.drop_column("target_id")
        batch_op.drop_column("kind")
        batch_op.alter_column("name", existing_type=sa.String(length=80), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_chat_room_name"), ["name"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_chat_room_community_id"), ["community_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_chat_room_community_id_community"), "community",
            ["community_id"], ["id"], ondelete="CASCADE",
        )  # fmt: skip
