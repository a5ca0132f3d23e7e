"""moderation: audit entries name a stable target kind and the community they concern

Revision ID: 0009_moderation
Revises: 0008_jobs
Create Date: 2026-12-06 21:40:00

`audit_log.target_type` held the target's class name ("user", "chatroom"); it becomes
`target_kind`, the stable kind the wording registry knows ("member", "chat_room"; the
others keep their names). The new `community_id` is filled in where the target tells it:
a community itself, a thread's or a tag's community, a post's thread's, a community chat
room's, and a resource's first community (by position, as its notifications use). A
member's suspension concerns no community. Downgrade gives back the class names and drops
the column. (`community.archived_at` exists since 0001: archiving now makes a community
read-only instead of hiding it, which needs no schema change.)
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_moderation"
down_revision = "0008_jobs"
branch_labels = None
depends_on = None

# Class name (the old target_type) → target kind, for the names that differ.
KINDS = {"user": "member", "chatroom": "chat_room"}

# How each kind's community is found: a scalar subquery correlated to audit_log.
COMMUNITY_OF = {
    "community": "SELECT c.id FROM community c WHERE c.id = audit_log.target_id",
    "thread": "SELECT t.community_id FROM thread t WHERE t.id = audit_log.target_id",
    "tag": "SELECT t.community_id FROM tag t WHERE t.id = audit_log.target_id",
    "post": (
        "SELECT t.community_id FROM post p JOIN thread t ON t.id = p.thread_id "
        "WHERE p.id = audit_log.target_id"
    ),
    "chat_room": (
        "SELECT c.id FROM chat_room r JOIN community c ON c.id = r.target_id "
        "WHERE r.id = audit_log.target_id AND r.kind = 'community'"
    ),
    "resource": (
        "SELECT rc.community_id FROM resource_community rc "
        "JOIN community c ON c.id = rc.community_id "
        "WHERE rc.resource_id = audit_log.target_id ORDER BY c.position, c.name LIMIT 1"
    ),
}


def upgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column(
            "target_type", new_column_name="target_kind", existing_type=sa.String(length=40),
            existing_nullable=False,
        )  # fmt: skip
    # (A column renamed in a batch is not yet known to that batch's new indexes.)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_log_community_id_community"), "community",
            ["community_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip
        batch_op.create_index(batch_op.f("ix_audit_log_community_id"), ["community_id"])
        batch_op.create_index("ix_audit_log_target", ["target_kind", "target_id"])

    conn = op.get_bind()
    for old, new in KINDS.items():
        conn.execute(
            sa.text("UPDATE audit_log SET target_kind = :new WHERE target_kind = :old"),
            {"old": old, "new": new},
        )
    for kind, subquery in COMMUNITY_OF.items():
        conn.execute(
            sa.text(
                f"UPDATE audit_log SET community_id = ({subquery}) "  # noqa: S608 (constants)
                "WHERE target_kind = :kind AND target_id IS NOT NULL"
            ),
            {"kind": kind},
        )


def downgrade():
    conn = op.get_bind()
    for old, new in KINDS.items():
        conn.execute(
            sa.text("UPDATE audit_log SET target_kind = :old WHERE target_kind = :new"),
            {"old": old, "new": new},
        )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target")
        batch_op.drop_index(batch_op.f("ix_audit_log_community_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_audit_log_community_id_community"), type_="foreignkey"
        )
        batch_op.drop_column("community_id")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column(
            "target_kind", new_column_name="target_type", existing_type=sa.String(length=40),
            existing_nullable=False,
        )  # fmt: skip
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_target", ["target_type", "target_id"])
