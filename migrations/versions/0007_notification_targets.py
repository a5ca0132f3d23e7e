"""notifications point at a target (kind, id), carry a dedupe key and an email state

Revision ID: 0007_notification_targets
Revises: 0006_chat_room_targets
Create Date: 2026-12-06 20:00:00

Each notification's post_id or stored URL becomes its target: a post ("/p/N" or post_id),
a resource ("/resources/N") or a chat message ("/chat/<slug>#mN", looked up by its room and
number); a notification whose target cannot be found any more is deleted (it led nowhere).
Existing rows get the dedupe key "legacy:<id>" and the email state "skipped" (they were
never meant to be mailed). Subjects that carried their wording lose it: the wording is now
the kind's ("X mentioned you in the chat of Procurement", not "... in X mentioned you in
the Procurement chat"). Downgrade rebuilds post_id and the URL from the target.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0007_notification_targets"
down_revision = "0006_chat_room_targets"
branch_labels = None
depends_on = None

RESOURCE_PREFIXES = (
    "Your resource is published: ",
    "Your resource was not accepted: ",
    "Your resource needs changes: ",
)
CHAT_URL = re.compile(r"^/chat/([^#/]+)#m(\d+)$")


def upgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("target_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("email_state", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("emailed_at", sa.DateTime(), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, kind, post_id, url, subject, community_id FROM notification")
    ).all()
    for row in rows:
        target = _target_of(conn, row)
        if target is None:
            conn.execute(sa.text("DELETE FROM notification WHERE id = :id"), {"id": row.id})
            continue
        conn.execute(
            sa.text(
                "UPDATE notification SET target_kind = :kind, target_id = :target, "
                "dedupe_key = :key, email_state = 'skipped', subject = :subject WHERE id = :id"
            ),
            {
                "kind": target[0],
                "target": target[1],
                "key": f"legacy:{row.id}",
                "subject": _subject_of(conn, row),
                "id": row.id,
            },
        )

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("target_kind", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("target_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("dedupe_key", existing_type=sa.String(length=120), nullable=False)
        batch_op.alter_column("email_state", existing_type=sa.String(length=10), nullable=False)
        batch_op.drop_index(batch_op.f("ix_notification_post_id"))
        batch_op.drop_constraint(batch_op.f("fk_notification_post_id_post"), type_="foreignkey")
        batch_op.drop_column("post_id")
        batch_op.drop_column("url")
        batch_op.create_index("ix_notification_target", ["target_kind", "target_id"])
        batch_op.create_index("ix_notification_email_state", ["email_state", "id"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_notification_user_id"), ["user_id", "dedupe_key"]
        )


def _target_of(conn, row) -> tuple[str, int] | None:
    if row.post_id is not None:
        return ("post", row.post_id)
    url = row.url or ""
    for prefix, kind in (("/p/", "post"), ("/resources/", "resource")):
        if url.startswith(prefix) and url[len(prefix) :].isdigit():
            return (kind, int(url[len(prefix) :]))
    match = CHAT_URL.match(url)
    if match:
        message_id = conn.execute(
            sa.text(
                "SELECT m.id FROM chat_message m JOIN chat_room r ON r.id = m.room_id "
                "JOIN community c ON r.kind = 'community' AND c.id = r.target_id "
                "WHERE c.slug = :slug AND m.number = :number"
            ),
            {"slug": match.group(1), "number": int(match.group(2))},
        ).scalar()
        return ("chat_message", message_id) if message_id else None
    return None


def _subject_of(conn, row) -> str:
    if row.kind == "chat_mention" and row.community_id is not None:
        name = conn.execute(
            sa.text("SELECT name FROM community WHERE id = :id"), {"id": row.community_id}
        ).scalar()
        return name or row.subject
    for prefix in RESOURCE_PREFIXES:
        if row.subject.startswith(prefix):
            return row.subject[len(prefix) :]
    if row.kind == "resource_review" and " for review: " in row.subject:
        return row.subject.split(" for review: ", 1)[1]
    return row.subject


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("post_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("url", sa.String(length=300), nullable=True))

    conn = op.get_bind()
    conn.execute(
        sa.text(
            "UPDATE notification SET post_id = target_id, url = '/p/' || target_id "
            "WHERE target_kind = 'post'"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE notification SET url = '/resources/' || target_id "
            "WHERE target_kind = 'resource'"
        )
    )
    chats = conn.execute(
        sa.text(
            "SELECT n.id, c.slug, m.number FROM notification n "
            "JOIN chat_message m ON m.id = n.target_id "
            "JOIN chat_room r ON r.id = m.room_id "
            "JOIN community c ON r.kind = 'community' AND c.id = r.target_id "
            "WHERE n.target_kind = 'chat_message'"
        )
    ).all()
    for note_id, slug, number in chats:
        conn.execute(
            sa.text("UPDATE notification SET url = :url WHERE id = :id"),
            {"url": f"/chat/{slug}#m{number}", "id": note_id},
        )
    conn.execute(sa.text("DELETE FROM notification WHERE url IS NULL"))
    conn.execute(
        sa.text(
            "DELETE FROM notification WHERE post_id IS NOT NULL "
            "AND post_id NOT IN (SELECT id FROM post)"
        )
    )

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("url", existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_notification_user_id"), type_="unique")
        batch_op.drop_index("ix_notification_email_state")
        batch_op.drop_index("ix_notification_target")
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_post_id_post"),
            "post",
            ["post_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_notification_post_id"), ["post_id"], unique=False)
        batch_op.drop_column("emailed_at")
        batch_op.drop_column("email_state")
        batch_op.drop_column("dedupe_key")
        batch_op.drop_column("target_id")
        batch_op.drop_column("target_kind")
